//! `bitloom dap`: a Debug Adapter Protocol server over the same engine and session as
//! `bitloom debug` — the editor's buttons call the session's run-control methods
//! ([`Session::stepi`], [`Session::step_lines`], [`Session::reverse_step`], ...), its
//! variables are the machine's state as the REPL's views read it, and its debug console
//! runs the REPL's commands and expressions.
//!
//! Modules: [`transport`] (Content-Length framing), [`protocol`] (serde types of the
//! messages), `launch` (initialize/launch/restart/disconnect: the session's lifecycle),
//! `control` (run control and the stop events), `breakpoints` (source, instruction and
//! data breakpoints), `variables` (scopes, variables, setVariable, evaluate, stack trace),
//! `memory` (disassemble, readMemory, writeMemory).
//!
//! One thread reads messages and forwards them to the adapter's loop; it raises the
//! engine's interrupt flag itself when a `pause` (or `disconnect`/`terminate`) arrives, so
//! a running `continue` stops at the next check. Every request gets a response: malformed
//! JSON, unknown commands, bad arguments and requests out of order (`next` before
//! `launch`) get error responses; the adapter never exits on them.

mod breakpoints;
mod control;
mod launch;
mod memory;
pub mod protocol;
pub mod transport;
mod variables;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

use serde_json::{json, Value};

use crate::commands::Session;
use bitloom_emu::trap::Trap;
use protocol::Request;
use transport::FrameError;

/// What the reader thread hands the adapter.
enum Incoming {
    /// A message body.
    Message(Vec<u8>),
    /// A framing error (the stream goes on).
    Bad(String),
    /// The input ended (or failed).
    End,
}

/// Serve one client on `input`/`output` until it disconnects or the input ends.
pub fn serve<R, W>(input: R, output: W) -> std::io::Result<()>
where
    R: BufRead + Send + 'static,
    W: Write,
{
    let interrupt = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let flag = interrupt.clone();
    let reader = std::thread::spawn(move || read_loop(input, tx, flag));
    let mut a = Adapter::new(output, interrupt);
    for inc in rx.iter() {
        match inc {
            Incoming::Message(b) => a.handle_bytes(&b)?,
            Incoming::Bad(e) => a.send_error(0, "", &format!("unreadable message: {e}"))?,
            Incoming::End => break,
        }
        if a.done {
            break;
        }
    }
    drop(rx);
    // The reader ends at the end of the input; after a disconnect it may be blocked on a
    // read of a stream the client keeps open, so it is not joined then.
    if !a.done {
        let _ = reader.join();
    }
    Ok(())
}

fn read_loop<R: BufRead>(mut input: R, tx: mpsc::Sender<Incoming>, flag: Arc<AtomicBool>) {
    loop {
        let inc = match transport::read_message(&mut input) {
            Ok(Some(b)) => {
                // Requests that must reach a running command now.
                if let Ok(v) = serde_json::from_slice::<Value>(&b) {
                    if matches!(
                        v.get("command").and_then(Value::as_str),
                        Some("pause" | "disconnect" | "terminate")
                    ) {
                        flag.store(true, Ordering::Relaxed);
                    }
                }
                Incoming::Message(b)
            }
            Ok(None) => Incoming::End,
            Err(FrameError::Io(e)) => {
                let _ = tx.send(Incoming::Bad(e.to_string()));
                Incoming::End
            }
            Err(e @ FrameError::Header(_)) => Incoming::Bad(e.to_string()),
        };
        let end = matches!(inc, Incoming::End);
        if tx.send(inc).is_err() || end {
            // A disconnect while a command runs must also interrupt it.
            flag.store(true, Ordering::Relaxed);
            return;
        }
    }
}

/// What the adapter does after sending a successful response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RunKind {
    /// Run forward to a stop (`continue`, and the start after `configurationDone`).
    Continue,
    /// Run backward to a stop.
    ReverseContinue,
    /// `stepIn` (`instr`: one instruction).
    StepIn { instr: bool },
    /// `next`.
    Next { instr: bool },
    /// `stepOut`.
    StepOut,
    /// `stepBack`.
    StepBack { instr: bool },
    /// Report a stop at the entry point.
    Entry,
}

/// A successful response body, and the run to start after it is sent.
struct Reply {
    body: Value,
    then: Option<RunKind>,
}

impl Reply {
    fn body(body: Value) -> Result<Reply, String> {
        Ok(Reply { body, then: None })
    }
    fn run(then: RunKind) -> Result<Reply, String> {
        Ok(Reply {
            body: Value::Null,
            then: Some(then),
        })
    }
}

/// The adapter's state.
struct Adapter<W: Write> {
    out: W,
    seq: i64,
    /// `initialize` was answered.
    initialized: bool,
    /// The session, after `launch`.
    sess: Option<Session>,
    /// The launch arguments (for `restart`; the session's loader has the rest).
    stop_on_entry: bool,
    no_debug: bool,
    /// `configurationDone` was answered.
    configured: bool,
    /// `terminated` was sent.
    terminated: bool,
    /// Leave the loop.
    done: bool,
    /// The editor's source breakpoints per source path (as the client sent it).
    src_bps: BTreeMap<String, breakpoints::SourceFile>,
    /// Engine numbers of instruction breakpoints.
    instr_bps: Vec<u32>,
    /// Engine numbers of data breakpoints (watchpoints).
    data_bps: Vec<u32>,
    /// Hit-condition ignore counts, re-armed on restart.
    hit_ignore: HashMap<u32, u64>,
    /// The trap of the last exception stop (`exceptionInfo`).
    last_trap: Option<Trap>,
    interrupt: Arc<AtomicBool>,
}

impl<W: Write> Adapter<W> {
    fn new(out: W, interrupt: Arc<AtomicBool>) -> Self {
        Adapter {
            out,
            seq: 1,
            initialized: false,
            sess: None,
            stop_on_entry: false,
            no_debug: false,
            configured: false,
            terminated: false,
            done: false,
            src_bps: BTreeMap::new(),
            instr_bps: Vec::new(),
            data_bps: Vec::new(),
            hit_ignore: HashMap::new(),
            last_trap: None,
            interrupt,
        }
    }

    fn send(&mut self, mut v: Value) -> std::io::Result<()> {
        v["seq"] = json!(self.seq);
        self.seq += 1;
        let body = serde_json::to_vec(&v).map_err(std::io::Error::other)?;
        transport::write_message(&mut self.out, &body)
    }

    fn send_event(&mut self, event: &str, body: Value) -> std::io::Result<()> {
        let mut v = json!({"type": "event", "event": event});
        if !body.is_null() {
            v["body"] = body;
        }
        self.send(v)
    }

    fn send_error(&mut self, request_seq: i64, command: &str, msg: &str) -> std::io::Result<()> {
        self.send(json!({
            "type": "response",
            "request_seq": request_seq,
            "success": false,
            "command": command,
            "message": msg,
            "body": {"error": {"id": 1, "format": msg, "showUser": true}},
        }))
    }

    /// Text for the debug console.
    fn output(&mut self, category: &str, text: &str) -> std::io::Result<()> {
        self.send_event("output", json!({"category": category, "output": text}))
    }

    fn handle_bytes(&mut self, b: &[u8]) -> std::io::Result<()> {
        let v: Value = match serde_json::from_slice(b) {
            Ok(v) => v,
            Err(e) => return self.send_error(0, "", &format!("malformed JSON: {e}")),
        };
        let seq = v.get("seq").and_then(Value::as_i64).unwrap_or(0);
        let req: Request = match serde_json::from_value(v) {
            Ok(r) => r,
            Err(e) => return self.send_error(seq, "", &format!("not a request: {e}")),
        };
        if req.kind != "request" {
            return self.send_error(
                req.seq,
                &req.command,
                &format!("expected a message of type `request`, not `{}`", req.kind),
            );
        }
        match self.dispatch(&req) {
            Ok(reply) => {
                let mut r = json!({
                    "type": "response",
                    "request_seq": req.seq,
                    "success": true,
                    "command": req.command,
                });
                if !reply.body.is_null() {
                    r["body"] = reply.body;
                }
                self.send(r)?;
                self.after(&req.command)?;
                if let Some(k) = reply.then {
                    self.run(k)?;
                }
                Ok(())
            }
            Err(e) => self.send_error(req.seq, &req.command, &e),
        }
    }

    fn dispatch(&mut self, req: &Request) -> Result<Reply, String> {
        let c = req.command.as_str();
        let a = &req.arguments;
        if c == "initialize" {
            return self.initialize(a);
        }
        if !self.initialized {
            return Err(format!(
                "`{c}` before `initialize`: the first request must be `initialize`"
            ));
        }
        match c {
            "launch" => return self.launch(a),
            "attach" => {
                return Err(
                    "`attach` is not supported: use `launch` (with `bitloom dap --port N` the adapter already runs)"
                        .into(),
                )
            }
            "disconnect" => return self.disconnect(),
            "threads" => return Reply::body(json!({"threads": [{"id": 1, "name": "loom"}]})),
            _ => {}
        }
        if self.sess.is_none() {
            return Err(if KNOWN.contains(&c) {
                format!("`{c}` before `launch`: no program is loaded yet")
            } else {
                unknown(c)
            });
        }
        match c {
            "configurationDone" => self.configuration_done(),
            "restart" => self.restart(a),
            "terminate" => self.terminate(),
            "setBreakpoints" => self.set_breakpoints(a),
            "setInstructionBreakpoints" => self.set_instruction_breakpoints(a),
            "setExceptionBreakpoints" => Reply::body(json!({"breakpoints": []})),
            "dataBreakpointInfo" => self.data_breakpoint_info(a),
            "setDataBreakpoints" => self.set_data_breakpoints(a),
            "continue" => self.go(c, a, RunKind::Continue),
            "next" => self.go_step(c, a, |instr| RunKind::Next { instr }),
            "stepIn" => self.go_step(c, a, |instr| RunKind::StepIn { instr }),
            "stepOut" => self.go(c, a, RunKind::StepOut),
            "stepBack" => self.go_step(c, a, |instr| RunKind::StepBack { instr }),
            "reverseContinue" => self.go(c, a, RunKind::ReverseContinue),
            "pause" => self.pause(),
            "stackTrace" => self.stack_trace(a),
            "scopes" => self.scopes(a),
            "variables" => self.variables(a),
            "setVariable" => self.set_variable(a),
            "evaluate" => self.evaluate(a),
            "exceptionInfo" => self.exception_info(),
            "disassemble" => self.disassemble(a),
            "readMemory" => self.read_memory(a),
            "writeMemory" => self.write_memory(a),
            _ => Err(unknown(c)),
        }
    }

    /// Events that follow a request's response.
    fn after(&mut self, command: &str) -> std::io::Result<()> {
        match command {
            "launch" => {
                let banner = self.session().banner();
                self.output("console", &banner)?;
                self.send_event("initialized", Value::Null)
            }
            "terminate" => {
                if !self.terminated {
                    self.terminated = true;
                    self.send_event("terminated", Value::Null)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn session(&mut self) -> &mut Session {
        self.sess.as_mut().expect("checked by dispatch")
    }
}

/// The requests this adapter answers (for "before launch" versus "unknown").
const KNOWN: &[&str] = &[
    "configurationDone",
    "restart",
    "terminate",
    "setBreakpoints",
    "setInstructionBreakpoints",
    "setExceptionBreakpoints",
    "dataBreakpointInfo",
    "setDataBreakpoints",
    "continue",
    "next",
    "stepIn",
    "stepOut",
    "stepBack",
    "reverseContinue",
    "pause",
    "stackTrace",
    "scopes",
    "variables",
    "setVariable",
    "evaluate",
    "exceptionInfo",
    "disassemble",
    "readMemory",
    "writeMemory",
];

fn unknown(c: &str) -> String {
    format!("unknown or unsupported request `{c}`")
}
