//! `bitloom dap` driven as an editor drives it: a client spawns the adapter on stdio,
//! sends the requests VS Code sends (initialize, launch, setBreakpoints, configurationDone,
//! ...) and checks the answers. The whole exchange of the main session is compared with
//! `tests/golden/dap/tiled_bug.json` (`BLESS=1` rewrites it, and the excerpt of it shown
//! in docs/DEBUGGING.md); key facts are also asserted directly, against values the REPL's
//! golden transcript shows. Other tests: malformed and out-of-order requests, a trapping
//! program, the TCP listener, `restart` reloading a program edited on disk.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use bitloom_debugger::dap::transport;
use serde_json::{json, Value};

const TIMEOUT: Duration = Duration::from_secs(60);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bless() -> bool {
    std::env::var_os("BLESS").is_some_and(|v| v != "0")
}

/// A client of one adapter process, keeping the exchange (paths under the repository
/// root shown as `$ROOT`).
struct Client {
    child: Child,
    stdin: Option<Box<dyn Write + Send>>,
    rx: Receiver<Option<Value>>,
    seq: i64,
    log: Vec<Value>,
}

fn normalise(v: &Value) -> Value {
    let root = root().canonicalize().unwrap();
    let s = serde_json::to_string(v).unwrap();
    let s = s.replace(&*root.to_string_lossy(), "$ROOT");
    serde_json::from_str(&s).unwrap()
}

fn reader_thread(r: impl BufRead + Send + 'static) -> Receiver<Option<Value>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut r = r;
        loop {
            match transport::read_message(&mut r) {
                Ok(Some(b)) => {
                    let v: Value = serde_json::from_slice(&b).expect("adapter sent bad JSON");
                    if tx.send(Some(v)).is_err() {
                        return;
                    }
                }
                _ => {
                    let _ = tx.send(None);
                    return;
                }
            }
        }
    });
    rx
}

impl Client {
    fn spawn() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bitloom"))
            .arg("dap")
            .current_dir(root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn bitloom dap");
        let stdin: ChildStdin = child.stdin.take().unwrap();
        let rx = reader_thread(BufReader::new(child.stdout.take().unwrap()));
        Client {
            child,
            stdin: Some(Box::new(stdin)),
            rx,
            seq: 0,
            log: Vec::new(),
        }
    }

    fn raw(&mut self, bytes: &[u8]) {
        let w = self.stdin.as_mut().expect("stdin open");
        w.write_all(bytes).unwrap();
        w.flush().unwrap();
    }

    fn send(&mut self, command: &str, args: Value) -> i64 {
        self.seq += 1;
        let mut m = json!({"seq": self.seq, "type": "request", "command": command});
        if !args.is_null() {
            m["arguments"] = args;
        }
        self.log.push(json!({ "->": normalise(&m) }));
        let body = serde_json::to_vec(&m).unwrap();
        let mut framed = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        framed.extend(body);
        self.raw(&framed);
        self.seq
    }

    fn recv(&mut self) -> Value {
        match self.rx.recv_timeout(TIMEOUT) {
            Ok(Some(v)) => {
                self.log.push(json!({ "<-": normalise(&v) }));
                v
            }
            Ok(None) => panic!("the adapter closed its output; exchange:\n{}", self.dump()),
            Err(_) => panic!("no message in {TIMEOUT:?}; exchange:\n{}", self.dump()),
        }
    }

    fn dump(&self) -> String {
        serde_json::to_string_pretty(&self.log).unwrap()
    }

    /// Send a request and read up to its response (events before it are kept in the log).
    fn request(&mut self, command: &str, args: Value) -> Value {
        let seq = self.send(command, args);
        loop {
            let m = self.recv();
            if m["type"] == "response" && m["request_seq"] == seq {
                assert_eq!(m["command"], command);
                return m;
            }
        }
    }

    /// Send a request and read up to its response; the response and the events before it.
    fn request_events(&mut self, command: &str, args: Value) -> (Value, Vec<Value>) {
        let seq = self.send(command, args);
        let mut events = Vec::new();
        loop {
            let m = self.recv();
            if m["type"] == "response" && m["request_seq"] == seq {
                assert_eq!(m["command"], command);
                return (m, events);
            }
            events.push(m);
        }
    }

    /// A request that must succeed; its body.
    fn ok(&mut self, command: &str, args: Value) -> Value {
        let r = self.request(command, args);
        assert_eq!(r["success"], true, "{command} failed: {r}");
        r.get("body").cloned().unwrap_or(Value::Null)
    }

    /// A request that must fail; its message.
    fn fails(&mut self, command: &str, args: Value) -> String {
        let r = self.request(command, args);
        assert_eq!(r["success"], false, "{command} should fail: {r}");
        r["message"].as_str().expect("error message").to_string()
    }

    /// The next message, which must be event `name`; its body.
    fn event(&mut self, name: &str) -> Value {
        let m = self.recv();
        assert_eq!(m["type"], "event", "expected event {name}, got {m}");
        assert_eq!(m["event"], name, "expected event {name}, got {m}");
        m.get("body").cloned().unwrap_or(Value::Null)
    }

    /// Close the input and wait for the adapter to exit; its status.
    fn finish(mut self) -> std::process::ExitStatus {
        self.stdin = None;
        self.child.wait().unwrap()
    }
}

fn program(rel: &str) -> String {
    root()
        .join(rel)
        .canonicalize()
        .unwrap()
        .display()
        .to_string()
}

fn start(c: &mut Client, prog: &str, stop_on_entry: bool) {
    let caps = c.ok(
        "initialize",
        json!({"adapterID": "bitloom", "linesStartAt1": true}),
    );
    assert_eq!(caps["supportsStepBack"], true);
    c.ok(
        "launch",
        json!({"program": prog, "stopOnEntry": stop_on_entry}),
    );
    c.event("output");
    c.event("initialized");
}

/// Tile values of `t1` rows 8..10 at line 60, and what they should be, from the REPL's
/// golden transcript (`debugger/tests/transcripts/tiled_bug.out`).
const T1_ROW8_OVERWRITTEN: &str = "[0, 0, 137, 202, 0, 0, 0, 0]";

#[test]
fn golden_session_on_tiled_bug() {
    let mut c = Client::spawn();
    let src = program("programs/debug/tiled_bug.s");
    start(&mut c, "programs/debug/tiled_bug.s", false);

    // A source breakpoint at line 60 (code), one at 66 (a comment: moves to 67), one
    // past the end (unverified).
    let b = c.ok(
        "setBreakpoints",
        json!({"source": {"path": src}, "breakpoints": [{"line": 60}, {"line": 66}, {"line": 500}]}),
    );
    let bps = b["breakpoints"].as_array().unwrap();
    assert_eq!(bps[0]["verified"], true);
    assert_eq!(bps[0]["line"], 60);
    assert_eq!(bps[1]["line"], 67);
    assert_eq!(bps[2]["verified"], false);
    let first_bp = bps[0]["id"].clone();
    c.ok("setDataBreakpoints", json!({"breakpoints": []}));
    c.ok("configurationDone", Value::Null);
    let stop = c.event("stopped");
    assert_eq!(stop["reason"], "breakpoint");
    assert_eq!(stop["hitBreakpointIds"], json!([first_bp]));
    c.ok("threads", Value::Null);
    let st = c.ok("stackTrace", json!({"threadId": 1}));
    assert_eq!(st["stackFrames"][0]["line"], 60);
    assert_eq!(st["stackFrames"][0]["source"]["path"], src);

    // Variables: the scopes, the tiles, t1's descriptor and two of its rows.
    let sc = c.ok("scopes", json!({"frameId": 0}));
    let names: Vec<&str> = sc["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Registers", "CSRs", "Tiles", "LUTs", "Stats"]);
    let tiles_ref = sc["scopes"][2]["variablesReference"].clone();
    let csrs_ref = sc["scopes"][1]["variablesReference"].clone();
    let tiles = c.ok("variables", json!({"variablesReference": tiles_ref}));
    let t1 = tiles["variables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "t1")
        .unwrap()
        .clone();
    let fields = c.ok(
        "variables",
        json!({"variablesReference": t1["variablesReference"]}),
    );
    let rows = fields["variables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "rows")
        .unwrap()
        .clone();
    assert_eq!(rows["indexedVariables"], 16);
    let page = c.ok(
        "variables",
        json!({"variablesReference": rows["variablesReference"], "filter": "indexed", "start": 8, "count": 2}),
    );
    assert_eq!(page["variables"][0]["name"], "[8]");
    assert_eq!(page["variables"][0]["value"], T1_ROW8_OVERWRITTEN);
    let row8 = c.ok(
        "variables",
        json!({"variablesReference": page["variables"][0]["variablesReference"], "filter": "indexed", "start": 2, "count": 2}),
    );
    assert_eq!(row8["variables"][0]["value"], "137");
    let regs = c.ok("variables", json!({"variablesReference": 1}));
    assert_eq!(regs["variables"].as_array().unwrap().len(), 33);

    // Step forward a line, then back: the same place again.
    c.ok("next", Value::Null);
    assert_eq!(c.event("stopped")["reason"], "step");
    assert_eq!(
        c.ok("stackTrace", json!({"threadId": 1}))["stackFrames"][0]["line"],
        61
    );
    c.ok("stepBack", Value::Null);
    assert_eq!(c.event("stopped")["reason"], "step");
    assert_eq!(
        c.ok("stackTrace", json!({"threadId": 1}))["stackFrames"][0]["line"],
        60
    );
    // One instruction back: before `ld.rle t4` (line 59), t1's row 8 is intact (as the
    // REPL's `reverse-stepi` shows: 0 213 224 0 0 91 203 0).
    c.ok(
        "stepBack",
        json!({"threadId": 1, "granularity": "instruction"}),
    );
    c.event("stopped");
    let page = c.ok(
        "variables",
        json!({"variablesReference": rows["variablesReference"], "start": 8, "count": 1}),
    );
    assert_eq!(
        page["variables"][0]["value"],
        "[0, 213, 224, 0, 0, 91, 203, 0]"
    );
    c.ok(
        "stepIn",
        json!({"threadId": 1, "granularity": "instruction"}),
    );
    c.event("stopped");

    // The debug console: a REPL command and an expression.
    let e = c.ok(
        "evaluate",
        json!({"expression": "info tiles", "context": "repl"}),
    );
    assert!(e["result"].as_str().unwrap().contains("[overlaps t4]"));
    let e = c.ok(
        "evaluate",
        json!({"expression": "a_bytes + 64", "context": "watch"}),
    );
    let mem = e["memoryReference"].clone();
    let rm = c.ok("readMemory", json!({"memoryReference": mem, "count": 8}));
    // a_bytes + 64 holds A's rows 8.. (the REPL's `x/16ub a_bytes + 64`: 0 213 224 0 ...).
    assert_eq!(rm["data"], "ANXgAABbywA=");
    c.fails(
        "evaluate",
        json!({"expression": "continue", "context": "repl"}),
    );

    // setVariable on a register.
    let v = c.ok(
        "setVariable",
        json!({"variablesReference": 1, "name": "r9", "value": "0x10 + 2"}),
    );
    assert_eq!(v["value"], "0x00000012 (18)");

    // A data breakpoint on `wprec`, hit going backwards: stops before `cfgi wprec, 4`.
    let groups = c.ok("variables", json!({"variablesReference": csrs_ref}));
    let prec = groups["variables"][0]["variablesReference"].clone();
    let info = c.ok(
        "dataBreakpointInfo",
        json!({"variablesReference": prec, "name": "wprec"}),
    );
    assert_eq!(info["dataId"], "wprec");
    c.ok(
        "setDataBreakpoints",
        json!({"breakpoints": [{"dataId": "wprec", "accessType": "write"}]}),
    );
    c.ok("reverseContinue", json!({"threadId": 1}));
    let stop = c.event("stopped");
    assert_eq!(stop["reason"], "data breakpoint");
    assert_eq!(stop["text"], "Old value = 8\nNew value = 4");
    let st = c.ok("stackTrace", json!({"threadId": 1}));
    assert_eq!(st["stackFrames"][0]["line"], 22);
    // ... and forwards, after a restart.
    c.ok(
        "setBreakpoints",
        json!({"source": {"path": src}, "breakpoints": []}),
    );
    c.ok("restart", Value::Null);
    let stop = c.event("stopped");
    assert_eq!(stop["reason"], "data breakpoint");

    // Disassembly around the pc, with source lines.
    let d = c.ok(
        "disassemble",
        json!({"memoryReference": st["stackFrames"][0]["instructionPointerReference"], "instructionOffset": -1, "instructionCount": 3}),
    );
    assert_eq!(d["instructions"][1]["instruction"], "cfgi wprec, 4");
    assert_eq!(d["instructions"][1]["line"], 22);

    // To the end: exit code 2 (element 1 of C is wrong).
    c.ok("setDataBreakpoints", json!({"breakpoints": []}));
    c.ok("continue", json!({"threadId": 1}));
    assert_eq!(c.event("exited")["exitCode"], 2);
    c.event("terminated");
    c.ok("disconnect", Value::Null);
    let log = c.log.clone();
    assert!(c.finish().success());

    let got = serde_json::to_string_pretty(&log).unwrap() + "\n";
    let golden = root().join("tests/golden/dap/tiled_bug.json");
    let doc = root().join("docs/DEBUGGING.md");
    let excerpt = doc_excerpt(&log);
    if bless() {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(&golden, &got).unwrap();
        let text = std::fs::read_to_string(&doc).unwrap();
        std::fs::write(&doc, replace_block(&text, &excerpt)).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&golden)
        .expect("golden file missing: run with BLESS=1 and review it");
    assert!(
        want == got,
        "the exchange differs from {} (BLESS=1 to accept):\n{}",
        golden.display(),
        first_diff(&want, &got)
    );
    let text = std::fs::read_to_string(&doc).unwrap();
    assert!(
        replace_block(&text, &excerpt) == text,
        "the DAP excerpt in docs/DEBUGGING.md is stale (BLESS=1 to rewrite it)"
    );
}

fn first_diff(want: &str, got: &str) -> String {
    for (i, (a, b)) in want.lines().zip(got.lines()).enumerate() {
        if a != b {
            return format!("line {}:\n  want: {a}\n  got:  {b}", i + 1);
        }
    }
    format!(
        "lengths differ: {} vs {} lines",
        want.lines().count(),
        got.lines().count()
    )
}

const BLOCK_START: &str = "<!-- dap-golden: tiled_bug.json, setBreakpoints .. stackTrace -->";

/// The messages of one breakpoint hit, from the golden exchange: from the first
/// `setBreakpoints` request to the first `stackTrace` response, one message a line.
fn doc_excerpt(log: &[Value]) -> String {
    let is_req = |m: &Value, c: &str| m.get("->").is_some_and(|r| r["command"] == c);
    let from = log
        .iter()
        .position(|m| is_req(m, "setBreakpoints"))
        .unwrap();
    let to = log
        .iter()
        .position(|m| m.get("<-").is_some_and(|r| r["command"] == "stackTrace"))
        .unwrap();
    let mut s = String::from("```text\n");
    for m in &log[from..=to] {
        let (dir, v) = match m.get("->") {
            Some(v) => ("->", v),
            None => ("<-", &m["<-"]),
        };
        s.push_str(&format!("{dir} {}\n", serde_json::to_string(v).unwrap()));
    }
    s.push_str("```\n");
    s
}

/// Replace the fenced block after the marker.
fn replace_block(doc: &str, block: &str) -> String {
    let Some(at) = doc.find(BLOCK_START) else {
        panic!("docs/DEBUGGING.md has no `{BLOCK_START}` marker");
    };
    let body = at + BLOCK_START.len() + 1;
    // The block runs from its opening fence to the first closing fence line.
    let end = doc[body..]
        .find("\n```\n")
        .map_or(body, |e| body + e + "\n```\n".len());
    format!("{}{block}{}", &doc[..body], &doc[end..])
}

#[test]
fn malformed_and_out_of_order_requests_get_error_responses() {
    let mut c = Client::spawn();
    // Before initialize.
    assert!(c.fails("next", Value::Null).contains("initialize"));
    // Malformed JSON (framed correctly).
    c.raw(b"Content-Length: 9\r\n\r\n{\"seq\": 1");
    let r = c.recv();
    assert_eq!(r["success"], false);
    assert!(r["message"].as_str().unwrap().contains("malformed JSON"));
    // A header without Content-Length, then JSON that is not a request.
    c.raw(b"Content-Type: x\r\n\r\n");
    let r = c.recv();
    assert!(r["message"].as_str().unwrap().contains("Content-Length"));
    c.raw(b"Content-Length: 2\r\n\r\n[]");
    assert_eq!(c.recv()["success"], false);
    c.ok("initialize", json!({"adapterID": "bitloom"}));
    assert!(c.fails("initialize", Value::Null).contains("already"));
    // Before launch; unknown commands; bad arguments.
    assert!(c.fails("next", Value::Null).contains("before `launch`"));
    assert!(c
        .fails("stackTrace", Value::Null)
        .contains("before `launch`"));
    assert!(c.fails("frobnicate", Value::Null).contains("unknown"));
    assert!(c
        .fails("launch", json!({"program": 5}))
        .contains("bad arguments"));
    assert!(c
        .fails("launch", json!({"program": "no/such/file.s"}))
        .contains("no/such/file.s"));
    let m = c.fails(
        "launch",
        json!({"program": "programs/debug/tiled_bug.s", "args": ["-D", "1N=4"]}),
    );
    assert!(m.contains("bad define `1N=4`"), "{m}");
    assert!(c
        .fails(
            "launch",
            json!({"program": "programs/debug/tiled_bug.s", "cwd": "/no/such/dir"})
        )
        .contains("cwd"));
    // Launched, but not started.
    c.ok(
        "launch",
        json!({"program": "programs/debug/tiled_bug.s", "stopOnEntry": true}),
    );
    c.event("output");
    c.event("initialized");
    assert!(c
        .fails("continue", Value::Null)
        .contains("configurationDone"));
    assert!(c
        .fails("launch", json!({"program": "x.s"}))
        .contains("already"));
    c.ok("configurationDone", Value::Null);
    assert_eq!(c.event("stopped")["reason"], "entry");
    // At the entry there is no history to go back into.
    assert!(c.fails("stepBack", Value::Null).contains("history"));
    assert!(c
        .fails("next", json!({"granularity": "bogus"}))
        .contains("granularity"));
    assert!(c
        .fails("variables", json!({"variablesReference": 99999}))
        .contains("container"));
    assert!(c
        .fails("variables", json!({"variablesReference": "x"}))
        .contains("bad arguments"));
    assert!(c
        .fails("readMemory", json!({"memoryReference": "zz", "count": 4}))
        .contains("address"));
    assert!(c.fails("stepOut", Value::Null).contains("outermost frame"));
    let b = c.ok(
        "setBreakpoints",
        json!({"source": {"path": "/nowhere/else.s"}, "breakpoints": [{"line": 3}]}),
    );
    assert_eq!(b["breakpoints"][0]["verified"], false);
    let b = c.ok(
        "setBreakpoints",
        json!({"source": {"path": program("programs/debug/tiled_bug.s")}, "breakpoints": [{"line": 60, "condition": "r5 +"}, {"line": 60, "hitCondition": "% 3"}]}),
    );
    assert_eq!(b["breakpoints"][0]["verified"], false);
    assert_eq!(b["breakpoints"][1]["verified"], false);
    // Still alive and answering.
    c.ok("threads", Value::Null);
    // The input ends in the middle of a message: the adapter exits cleanly.
    c.raw(b"Content-Length: 50\r\n\r\n{\"seq\"");
    assert!(c.finish().success());
}

#[test]
fn a_trap_is_an_exception_stop_and_the_adapter_survives_it() {
    let mut c = Client::spawn();
    start(&mut c, "debugger/tests/programs/trap.s", false);
    c.ok("configurationDone", Value::Null);
    let out = c.event("output");
    assert_eq!(out["category"], "stderr");
    let stop = c.event("stopped");
    assert_eq!(stop["reason"], "exception");
    let text = stop["text"].as_str().unwrap();
    assert!(text.contains("misaligned"), "{text}");
    assert!(text.contains("trap.s:9"), "{text}");
    let info = c.ok("exceptionInfo", json!({"threadId": 1}));
    assert_eq!(info["breakMode"], "always");
    // The faulting instruction cannot run; going back can.
    assert!(c.fails("continue", Value::Null).contains("trapping"));
    c.ok("stepBack", Value::Null);
    c.event("stopped");
    let st = c.ok("stackTrace", json!({"threadId": 1}));
    assert_eq!(st["stackFrames"][0]["line"], 8);
    // Fix the cause and finish: r5 aligned, the load runs, the program halts with r7.
    c.ok(
        "setVariable",
        json!({"variablesReference": 1, "name": "r5", "value": "0x2000"}),
    );
    c.ok("continue", Value::Null);
    c.event("exited");
    c.event("terminated");
    c.ok("disconnect", Value::Null);
    assert!(c.finish().success());
}

#[test]
fn pause_interrupts_a_running_continue() {
    // A program that loops for ever: `continue` only ends by `pause`.
    let dir = std::env::temp_dir().join(format!("bitloom-dap-pause-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let prog = dir.join("spin.s");
    std::fs::write(
        &prog,
        "        .text\n        .global _start\n_start:\n        addi r5, r5, 1\n        j _start\n",
    )
    .unwrap();
    let mut c = Client::spawn();
    start(&mut c, &prog.display().to_string(), false);
    c.ok("configurationDone", Value::Null);
    std::thread::sleep(Duration::from_millis(300));
    // The run stops at the next check of the interrupt flag; the stop is reported before
    // the pause's response (the adapter answers requests between runs).
    let seq = c.send("pause", json!({"threadId": 1}));
    let (mut stopped, mut answered) = (None, false);
    while stopped.is_none() || !answered {
        let m = c.recv();
        if m["event"] == "stopped" {
            stopped = Some(m["body"]["reason"].clone());
        }
        answered |= m["type"] == "response" && m["request_seq"] == seq;
    }
    assert_eq!(stopped.unwrap(), "pause");
    c.ok("disconnect", Value::Null);
    assert!(c.finish().success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tcp_port() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bitloom"))
        .args(["dap", "--port", "0"])
        .current_dir(root())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .rsplit(' ')
        .next()
        .expect("listening on ADDR")
        .to_string();
    let s = std::net::TcpStream::connect(&addr).unwrap();
    let rx = reader_thread(BufReader::new(s.try_clone().unwrap()));
    let mut c = Client {
        child,
        stdin: Some(Box::new(s)),
        rx,
        seq: 0,
        log: Vec::new(),
    };
    c.ok("initialize", json!({"adapterID": "bitloom"}));
    c.ok("disconnect", Value::Null);
    let _ = c.child.kill();
    let _ = c.child.wait();
}

#[test]
fn vscode_manifest_is_valid_json_with_the_debug_type() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("editors/vscode/package.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
    let dbg = &v["contributes"]["debuggers"][0];
    assert_eq!(dbg["type"], "bitloom");
    let props = &dbg["configurationAttributes"]["launch"]["properties"];
    for k in ["program", "cwd", "hw", "stopOnEntry", "noTiming", "args"] {
        assert!(props.get(k).is_some(), "launch attribute {k} missing");
    }
}

fn frame_names(st: &Value) -> Vec<String> {
    st["stackFrames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn calls_conditions_instruction_breakpoints_stack_and_memory() {
    let mut c = Client::spawn();
    let src = program("programs/examples/calls_loops.s");
    start(&mut c, "programs/examples/calls_loops.s", false);
    // `mul r10, r10, r10` in `square` (line 140), only when squaring 4.
    let b = c.ok(
        "setBreakpoints",
        json!({"source": {"path": src}, "breakpoints": [{"line": 140, "condition": "r10 == 4"}]}),
    );
    assert_eq!(b["breakpoints"][0]["verified"], true);
    // Zed sends empty argument objects to requests without arguments (a known failure of
    // the `dap` crate's types); they are accepted.
    c.ok("configurationDone", json!({}));
    assert_eq!(c.event("stopped")["reason"], "breakpoint");
    c.ok("threads", json!({}));
    let regs = c.ok("variables", json!({"variablesReference": 1}));
    assert_eq!(regs["variables"][10]["value"], "0x00000004 (4)");
    // The frames: square, its caller from ra (at the call, line 152), _start from the stack.
    let st = c.ok("stackTrace", json!({"threadId": 1}));
    assert_eq!(frame_names(&st), ["square", "sum_squares", "_start"]);
    assert_eq!(st["stackFrames"][0]["line"], 140);
    assert_eq!(st["stackFrames"][1]["line"], 152);
    assert_eq!(st["stackFrames"][2]["line"], 61);
    // Out of `square`: back in sum_squares after the call.
    c.ok("stepOut", Value::Null);
    c.event("stopped");
    let st = c.ok("stackTrace", json!({"threadId": 1}));
    assert_eq!(frame_names(&st)[0], "sum_squares");
    assert_eq!(st["stackFrames"][0]["line"], 153);
    // An instruction breakpoint at `square` that stops on its 2nd hit from now: squaring 2
    // (the terms go n, n-1, ..., and the last stop squared 4).
    c.ok(
        "setBreakpoints",
        json!({"source": {"path": src}, "breakpoints": []}),
    );
    let sq = c.ok(
        "evaluate",
        json!({"expression": "square", "context": "hover"}),
    );
    let b = c.ok(
        "setInstructionBreakpoints",
        json!({"breakpoints": [{"instructionReference": sq["memoryReference"], "hitCondition": "2"}]}),
    );
    assert_eq!(b["breakpoints"][0]["line"], 140);
    c.ok("continue", Value::Null);
    assert_eq!(c.event("stopped")["reason"], "instruction breakpoint");
    let regs = c.ok("variables", json!({"variablesReference": 1}));
    assert_eq!(regs["variables"][10]["value"], "0x00000002 (2)");
    // Memory: write four bytes into the squares table and read them back.
    let sq = c.ok(
        "evaluate",
        json!({"expression": "squares", "context": "watch"}),
    );
    let w = c.ok(
        "writeMemory",
        json!({"memoryReference": sq["memoryReference"], "offset": 4, "data": "AQIDBA=="}),
    );
    assert_eq!(w["bytesWritten"], 4);
    let r = c.ok(
        "readMemory",
        json!({"memoryReference": sq["memoryReference"], "offset": 4, "count": 4}),
    );
    assert_eq!(r["data"], "AQIDBA==");
    let p = c.ok(
        "evaluate",
        json!({"expression": "p/x *(squares + 4)", "context": "repl"}),
    );
    assert_eq!(p["result"], "$1 = 0x4030201");
    // Past the end of DRAM: unreadable bytes, no error.
    let r = c.ok(
        "readMemory",
        json!({"memoryReference": "0xfffffffe", "count": 4}),
    );
    assert_eq!(r["unreadableBytes"], 4);
    c.ok("disconnect", Value::Null);
    assert!(c.finish().success());
}

#[test]
fn luts_and_stats_scopes() {
    let mut c = Client::spawn();
    start(&mut c, "programs/examples/lut_codebook.s", false);
    c.ok("configurationDone", Value::Null);
    assert_eq!(c.event("exited")["exitCode"], 0);
    c.event("terminated");
    // The final state stays browsable until the editor disconnects.
    let l = c.ok("variables", json!({"variablesReference": 4}));
    let lut0 = &l["variables"][0];
    assert_eq!(lut0["name"], "lut0");
    let n = lut0["indexedVariables"].as_u64().expect("lut0 programmed");
    let e = c.ok(
        "variables",
        json!({"variablesReference": lut0["variablesReference"], "start": 0, "count": n}),
    );
    assert_eq!(e["variables"].as_array().unwrap().len() as u64, n);
    let s = c.ok("variables", json!({"variablesReference": 5}));
    let get = |k: &str| {
        s["variables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == k)
            .unwrap()["value"]
            .clone()
    };
    assert_ne!(get("cycles"), "0");
    assert_ne!(get("mac products"), "0");
    c.ok("disconnect", Value::Null);
    assert!(c.finish().success());
}

#[test]
fn data_breakpoints_on_memory_and_registers() {
    let mut c = Client::spawn();
    start(&mut c, "programs/examples/calls_loops.s", true);
    c.ok("configurationDone", Value::Null);
    assert_eq!(c.event("stopped")["reason"], "entry");
    // A read watch on the word at `squares + 8` (by address), hit by `lw r14, 0(r11)`
    // (line 43) on the third pass of the loop.
    let sq = c.ok(
        "evaluate",
        json!({"expression": "squares + 8", "context": "watch"}),
    );
    let info = c.ok(
        "dataBreakpointInfo",
        json!({"name": sq["memoryReference"], "asAddress": true, "bytes": 4}),
    );
    let id = info["dataId"].as_str().unwrap().to_string();
    assert!(id.ends_with("@4"), "{id}");
    c.ok(
        "setDataBreakpoints",
        json!({"breakpoints": [{"dataId": id, "accessType": "read"}]}),
    );
    c.ok("continue", Value::Null);
    let stop = c.event("stopped");
    assert_eq!(stop["reason"], "data breakpoint");
    assert_eq!(stop["text"], "Value = 4");
    let st = c.ok("stackTrace", json!({"threadId": 1}));
    assert_eq!(st["stackFrames"][0]["line"], 43);
    // A write watch on r12 (the loop counter): the next change is 2 -> 3.
    let info = c.ok(
        "dataBreakpointInfo",
        json!({"variablesReference": 1, "name": "r12"}),
    );
    c.ok(
        "setDataBreakpoints",
        json!({"breakpoints": [{"dataId": info["dataId"], "accessType": "write"}]}),
    );
    c.ok("continue", Value::Null);
    assert_eq!(c.event("stopped")["text"], "Old value = 2\nNew value = 3");
    // Views are not watchable; conditions on data breakpoints are refused.
    let info = c.ok(
        "dataBreakpointInfo",
        json!({"variablesReference": 5, "name": "cycles"}),
    );
    assert!(info["dataId"].is_null());
    let b = c.ok(
        "setDataBreakpoints",
        json!({"breakpoints": [{"dataId": "r12", "condition": "r12 == 5"}]}),
    );
    assert_eq!(b["breakpoints"][0]["verified"], false);
    c.ok("disconnect", Value::Null);
    assert!(c.finish().success());
}

/// A program for the restart tests: `_start` adds to `BASE` (a launch define) and exits
/// with the sum; the lines differ between versions.
const RELOAD_V1: &str = "        .text
        .global _start
_start:
        li      r5, BASE
        addi    r5, r5, 1
        addi    r5, r5, 1
done:
        addi    r5, r5, 1
        halt    r5
        .rodata
val:    .word   5
";

/// Version 2: line 5 is a comment now (its breakpoint moves to 6), the code ends at line 8
/// (a breakpoint on 9 has no code any more), `done` moved, `val` is gone, and the exit
/// code is BASE + 7.
const RELOAD_V2: &str = "        .text
        .global _start
_start:
        li      r5, BASE
        ; the first increment was here
        addi    r5, r5, 7
done:
        halt    r5
";

/// A temporary directory with `prog.s` written from `text`; (directory, canonical path).
fn reload_program(tag: &str, text: &str) -> (PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("bitloom-dap-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let prog = dir.join("prog.s");
    std::fs::write(&prog, text).unwrap();
    let prog = prog.canonicalize().unwrap().display().to_string();
    (dir, prog)
}

fn launch_reload(c: &mut Client, prog: &str, stop_on_entry: bool) {
    c.ok("initialize", json!({"adapterID": "bitloom"}));
    c.ok(
        "launch",
        json!({"program": prog, "stopOnEntry": stop_on_entry, "args": ["-D", "BASE=10"]}),
    );
    c.event("output");
    c.event("initialized");
}

/// The `breakpoint` events among `events`, by breakpoint id.
fn changed_breakpoints(events: &[Value]) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e["event"] == "breakpoint")
        .map(|e| {
            assert_eq!(e["body"]["reason"], "changed", "{e}");
            e["body"]["breakpoint"].clone()
        })
        .collect()
}

#[test]
fn restart_reloads_the_program_edited_on_disk() {
    let (dir, prog) = reload_program("reload", RELOAD_V1);
    let mut c = Client::spawn();
    launch_reload(&mut c, &prog, false);
    let b = c.ok(
        "setBreakpoints",
        json!({"source": {"path": prog}, "breakpoints": [{"line": 5}, {"line": 9}]}),
    );
    let (b5, b9) = (&b["breakpoints"][0], &b["breakpoints"][1]);
    assert_eq!(
        (b5["verified"].clone(), b5["line"].clone()),
        (json!(true), json!(5))
    );
    assert_eq!(
        (b9["verified"].clone(), b9["line"].clone()),
        (json!(true), json!(9))
    );
    let (id5, id9) = (b5["id"].clone(), b9["id"].clone());
    // A breakpoint from the debug console, on a label: it follows the label.
    let r = c.ok(
        "evaluate",
        json!({"expression": "break done", "context": "repl"}),
    );
    assert!(r["result"].as_str().unwrap().contains("line 8"), "{r}");
    // A data breakpoint on a symbol (read, so it does not stop this program).
    let d = c.ok(
        "setDataBreakpoints",
        json!({"breakpoints": [{"dataId": "val", "accessType": "read"}]}),
    );
    let idv = d["breakpoints"][0]["id"].clone();
    c.ok("configurationDone", Value::Null);
    let stop = c.event("stopped");
    assert_eq!(stop["hitBreakpointIds"], json!([id5]));

    // The file changes under the debugger; `restart` picks it up.
    std::fs::write(&prog, RELOAD_V2).unwrap();
    let (r, events) = c.request_events("restart", Value::Null);
    assert_eq!(r["success"], true, "{r}");
    let out = events
        .iter()
        .find(|e| e["event"] == "output")
        .expect("a note on the reload");
    let text = out["body"]["output"].as_str().unwrap();
    assert!(text.contains("changed on disk: reloaded it"), "{text}");
    assert!(
        text.contains("Breakpoint 3 (done) is now at") && text.contains("line 8."),
        "{text}"
    );
    let changed = changed_breakpoints(&events);
    assert_eq!(changed.len(), 3, "{changed:?}");
    // Line 5 is a comment now: the breakpoint moves to line 6.
    assert_eq!(changed[0]["id"], id5);
    assert_eq!(changed[0]["verified"], true);
    assert_eq!(changed[0]["line"], 6);
    assert_eq!(changed[0]["message"], "line 5 has no code: moved to line 6");
    // Line 9 has no code any more.
    assert_eq!(changed[1]["id"], id9);
    assert_eq!(changed[1]["verified"], false);
    assert_eq!(changed[1]["line"], 9);
    assert!(changed[1]["message"]
        .as_str()
        .unwrap()
        .contains("No code at or after line 9"));
    // `val` is gone: the data breakpoint is disabled.
    assert_eq!(changed[2]["id"], idv);
    assert_eq!(changed[2]["verified"], false);
    assert!(changed[2]["message"]
        .as_str()
        .unwrap()
        .starts_with("Cannot watch `val`"));
    // The new program runs: stops at line 6, then at `done` (line 8), exits with 10 + 7
    // (the launch's define still applies).
    let stop = c.event("stopped");
    assert_eq!(stop["hitBreakpointIds"], json!([id5]));
    let st = c.ok("stackTrace", json!({"threadId": 1}));
    assert_eq!(st["stackFrames"][0]["line"], 6);
    c.ok("continue", Value::Null);
    assert_eq!(c.event("stopped")["reason"], "breakpoint");
    let st = c.ok("stackTrace", json!({"threadId": 1}));
    assert_eq!(st["stackFrames"][0]["line"], 8);
    let l = c.ok(
        "evaluate",
        json!({"expression": "list 8,8", "context": "repl"}),
    );
    assert_eq!(
        l["result"], "8\t        halt    r5",
        "the console shows the new source"
    );
    c.ok("continue", Value::Null);
    assert_eq!(c.event("exited")["exitCode"], 17);
    c.event("terminated");

    // Back to version 1: the breakpoint on line 9 is verified again, under its number.
    std::fs::write(&prog, RELOAD_V1).unwrap();
    let (r, events) = c.request_events("restart", Value::Null);
    assert_eq!(r["success"], true, "{r}");
    let changed = changed_breakpoints(&events);
    assert_eq!(changed.len(), 2, "{changed:?}");
    assert_eq!(
        (changed[0]["id"].clone(), changed[0]["line"].clone()),
        (id5, json!(5))
    );
    assert!(changed[0].get("message").is_none());
    assert_eq!(changed[1]["id"], id9);
    assert_eq!(changed[1]["verified"], true);
    assert_eq!(changed[1]["line"], 9);
    assert_eq!(c.event("stopped")["reason"], "breakpoint");
    c.ok(
        "setBreakpoints",
        json!({"source": {"path": prog}, "breakpoints": []}),
    );
    c.ok(
        "evaluate",
        json!({"expression": "delete", "context": "repl"}),
    );
    c.ok("continue", Value::Null);
    assert_eq!(c.event("exited")["exitCode"], 13);
    c.event("terminated");

    // Unchanged on disk: a plain restart, no notes or events.
    let (r, events) = c.request_events("restart", Value::Null);
    assert_eq!(r["success"], true, "{r}");
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(c.event("exited")["exitCode"], 13);
    c.event("terminated");
    c.ok("disconnect", Value::Null);
    assert!(c.finish().success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_restart_that_cannot_reload_fails_and_keeps_the_old_program() {
    let (dir, prog) = reload_program("reload-broken", RELOAD_V1);
    let mut c = Client::spawn();
    launch_reload(&mut c, &prog, true);
    c.ok(
        "setBreakpoints",
        json!({"source": {"path": prog}, "breakpoints": [{"line": 6}]}),
    );
    c.ok("configurationDone", Value::Null);
    assert_eq!(c.event("stopped")["reason"], "entry");
    c.ok("next", Value::Null);
    c.event("stopped");

    // An assembly error on line 5: an error response with the diagnostic, also on stderr.
    std::fs::write(
        &prog,
        RELOAD_V1.replace(
            "addi    r5, r5, 1\n        addi",
            "frob    r5\n        addi",
        ),
    )
    .unwrap();
    let (r, events) = c.request_events("restart", Value::Null);
    assert_eq!(r["success"], false, "{r}");
    let msg = r["message"].as_str().unwrap();
    assert!(msg.starts_with("Restart failed"), "{msg}");
    assert!(
        msg.contains("unknown instruction `frob`") && msg.contains("prog.s:5:9"),
        "{msg}"
    );
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["body"]["category"], "stderr");
    assert!(events[0]["body"]["output"].as_str().unwrap().contains(msg));
    // Nothing changed: still at line 5 of the old program, which runs on to its end.
    let st = c.ok("stackTrace", json!({"threadId": 1}));
    assert_eq!(st["stackFrames"][0]["line"], 5);
    c.ok("continue", Value::Null);
    assert_eq!(c.event("stopped")["reason"], "breakpoint");
    c.ok("continue", Value::Null);
    assert_eq!(c.event("exited")["exitCode"], 13);
    c.event("terminated");

    // The file gone: the same.
    std::fs::remove_file(&prog).unwrap();
    let (r, events) = c.request_events("restart", Value::Null);
    assert_eq!(r["success"], false, "{r}");
    let msg = r["message"].as_str().unwrap();
    assert!(
        msg.contains("Restart failed") && msg.contains("prog.s: "),
        "{msg}"
    );
    assert_eq!(events[0]["body"]["category"], "stderr");
    // Fixed: the restart works again (and stops at the entry, as launched).
    std::fs::write(&prog, RELOAD_V2).unwrap();
    c.ok("restart", Value::Null);
    assert_eq!(c.event("stopped")["reason"], "entry");
    c.ok(
        "setBreakpoints",
        json!({"source": {"path": prog}, "breakpoints": []}),
    );
    c.ok("continue", Value::Null);
    assert_eq!(c.event("exited")["exitCode"], 17);
    c.event("terminated");
    c.ok("disconnect", Value::Null);
    assert!(c.finish().success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `restart` with `arguments` (the launch configuration as the user edited it): the new
/// defines and stop-on-entry take effect; a configuration that does not load is an error
/// response and the session keeps the old configuration, which the next plain `restart`
/// uses.
#[test]
fn restart_with_a_new_launch_configuration() {
    let (dir, prog) = reload_program("reload-config", RELOAD_V1);
    let mut c = Client::spawn();
    launch_reload(&mut c, &prog, true);
    c.ok("configurationDone", Value::Null);
    assert_eq!(c.event("stopped")["reason"], "entry");

    // BASE=20, run to the end: exit code 20 + 3.
    let cfg = json!({"program": prog, "stopOnEntry": false, "args": ["-D", "BASE=20"]});
    let (r, events) = c.request_events("restart", json!({ "arguments": cfg }));
    assert_eq!(r["success"], true, "{r}");
    let text: String = events
        .iter()
        .filter(|e| e["event"] == "output")
        .map(|e| e["body"]["output"].as_str().unwrap().to_string())
        .collect();
    assert!(text.contains("with the new launch configuration"), "{text}");
    assert_eq!(c.event("exited")["exitCode"], 23);
    c.event("terminated");

    // A define that does not parse, then a program that does not exist: errors, and the
    // configuration stays BASE=20 without a stop at the entry.
    let bad = json!({"program": prog, "args": ["-D", "1X=3"]});
    let r = c.request("restart", json!({ "arguments": bad }));
    assert_eq!(r["success"], false, "{r}");
    assert!(r["message"].as_str().unwrap().contains("bad define"), "{r}");
    let gone = json!({"program": format!("{prog}.missing"), "args": ["-D", "BASE=1"]});
    let (r, _) = c.request_events("restart", json!({ "arguments": gone }));
    assert_eq!(r["success"], false, "{r}");
    assert!(
        r["message"].as_str().unwrap().contains("Restart failed"),
        "{r}"
    );
    c.ok("restart", Value::Null);
    assert_eq!(c.event("exited")["exitCode"], 23);
    c.event("terminated");

    // Back to BASE=10 with a stop at the entry.
    let cfg = json!({"program": prog, "stopOnEntry": true, "args": ["-D", "BASE=10"]});
    c.ok("restart", json!({ "arguments": cfg }));
    assert_eq!(c.event("stopped")["reason"], "entry");
    c.ok("continue", Value::Null);
    assert_eq!(c.event("exited")["exitCode"], 13);
    c.event("terminated");
    c.ok("disconnect", Value::Null);
    assert!(c.finish().success());
    std::fs::remove_dir_all(&dir).ok();
}
