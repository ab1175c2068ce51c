//! The session's lifecycle: `initialize` (capabilities), `launch` (load the program and
//! build the engine, exactly as `bitloom debug` does), `configurationDone` (start: stop
//! at the entry or run), `restart` (load the program again from disk — re-assemble the
//! `.s` or re-read the ELF, and the hardware description, with the launch's arguments, or
//! with the new launch configuration the client sends in `arguments` as editors do after
//! the user edits it — then start from reset with the breakpoints re-resolved; a program
//! that no longer loads, or a configuration that does not parse, is an error response and
//! the session stays on the old program and configuration), `terminate` and `disconnect`.

use std::io::Write;
use std::path::Path;

use serde_json::{json, Value};

use super::protocol::{self, Breakpoint, Capabilities, LaunchArgs};
use super::{Adapter, Reply, RunKind};
use crate::commands::{Loader, Session};
use crate::engine::Debugger;
use bitloom_emu::session::{new_machine, MachineOptions};

impl<W: Write> Adapter<W> {
    pub(super) fn initialize(&mut self, _a: &Value) -> Result<Reply, String> {
        if self.initialized {
            return Err("`initialize` was already sent".into());
        }
        self.initialized = true;
        let caps = Capabilities {
            supports_configuration_done_request: true,
            supports_conditional_breakpoints: true,
            supports_hit_conditional_breakpoints: true,
            supports_evaluate_for_hovers: true,
            supports_step_back: true,
            supports_set_variable: true,
            supports_restart_request: true,
            supports_exception_info_request: true,
            supports_terminate_request: true,
            supports_data_breakpoints: true,
            supports_disassemble_request: true,
            supports_read_memory_request: true,
            supports_write_memory_request: true,
            supports_stepping_granularity: true,
            supports_instruction_breakpoints: true,
            supports_delayed_stack_trace_loading: false,
        };
        Reply::body(serde_json::to_value(caps).map_err(|e| e.to_string())?)
    }

    pub(super) fn launch(&mut self, a: &Value) -> Result<Reply, String> {
        if self.sess.is_some() {
            return Err(
                "`launch` was already sent: one program per session (use `restart`)".into(),
            );
        }
        let la: LaunchArgs = protocol::args("launch", a)?;
        let defines = launch_defines(&la.args)?;
        if let Some(d) = la.cwd.as_deref().filter(|d| !d.is_empty()) {
            std::env::set_current_dir(d).map_err(|e| format!("cwd `{d}`: {e}"))?;
        }
        let mut load = loader(&la, defines);
        let m = load()?;
        let mut dbg = Debugger::new(m, &la.program);
        dbg.interrupt = self.interrupt.clone();
        let mut s = Session::new(dbg, Path::new(&la.program));
        s.set_loader(load);
        self.sess = Some(s);
        self.stop_on_entry = la.stop_on_entry;
        self.no_debug = la.no_debug;
        Reply::body(Value::Null)
    }

    pub(super) fn configuration_done(&mut self) -> Result<Reply, String> {
        if self.configured {
            return Err("`configurationDone` was already sent".into());
        }
        self.configured = true;
        if self.stop_on_entry {
            Reply::run(RunKind::Entry)
        } else {
            Reply::run(RunKind::Continue)
        }
    }

    pub(super) fn restart(&mut self, a: &Value) -> Result<Reply, String> {
        if !self.configured {
            return Err("`restart` before `configurationDone`".into());
        }
        // A new launch configuration, when the client sends one (`RestartArguments`).
        let new = match a.get("arguments").filter(|v| !v.is_null()) {
            Some(v) => {
                let la: LaunchArgs = protocol::args("restart", v)?;
                let defines = launch_defines(&la.args)?;
                Some((la, defines))
            }
            None => None,
        };
        // The editor's breakpoints are re-resolved here, the debug console's by the session.
        let keep: Vec<u32> = self
            .src_bps
            .values()
            .flat_map(|f| f.ids())
            .chain(self.instr_bps.iter().copied())
            .collect();
        let reconfigured = new.is_some();
        let (program, r) = match new {
            Some((la, defines)) => {
                let cwd = la.cwd.as_deref().filter(|d| !d.is_empty());
                let before = std::env::current_dir().ok();
                if let Some(d) = cwd {
                    std::env::set_current_dir(d).map_err(|e| format!("cwd `{d}`: {e}"))?;
                }
                let r =
                    self.session()
                        .reload_with(&keep, loader(&la, defines), Path::new(&la.program));
                if r.is_ok() {
                    self.stop_on_entry = la.stop_on_entry;
                    self.no_debug = la.no_debug;
                } else if let (Some(_), Some(b)) = (cwd, before) {
                    // The old configuration's relative paths stay valid.
                    let _ = std::env::set_current_dir(b);
                }
                (la.program, r)
            }
            None => {
                let program = self.session().dbg.program.clone();
                (program, self.session().reload(&keep))
            }
        };
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                let msg = format!(
                    "Restart failed: {program} could not be loaded again, so the session stays on the program loaded before.\n{}",
                    e.trim_end()
                );
                self.output("stderr", &format!("{msg}\n"))
                    .map_err(|e| e.to_string())?;
                return Err(msg);
            }
        };
        if r.changed {
            let mut text = if reconfigured {
                format!("{program} loaded again with the new launch configuration.\n")
            } else {
                format!("{program} changed on disk: reloaded it.\n")
            };
            for n in &r.notes {
                text.push_str(n);
                text.push('\n');
            }
            self.output("console", &text).map_err(|e| e.to_string())?;
            let mut changed = self.reresolve_source_breakpoints();
            for (id, e) in r.lost_watches {
                if self.data_bps.contains(&id) {
                    changed.push(Breakpoint {
                        id: Some(id),
                        verified: false,
                        message: Some(e),
                        ..Breakpoint::default()
                    });
                }
            }
            for b in changed {
                self.send_event("breakpoint", json!({"reason": "changed", "breakpoint": b}))
                    .map_err(|e| e.to_string())?;
            }
        }
        let ignores: Vec<(u32, u64)> = self.hit_ignore.iter().map(|(k, v)| (*k, *v)).collect();
        let s = self.session();
        for (id, n) in ignores {
            if let Some(b) = s.dbg.bps.iter_mut().find(|b| b.id == id) {
                b.ignore = n;
            }
        }
        self.terminated = false;
        self.last_trap = None;
        if self.stop_on_entry {
            Reply::run(RunKind::Entry)
        } else {
            Reply::run(RunKind::Continue)
        }
    }

    pub(super) fn terminate(&mut self) -> Result<Reply, String> {
        Reply::body(Value::Null)
    }

    pub(super) fn disconnect(&mut self) -> Result<Reply, String> {
        self.done = true;
        Reply::body(Value::Null)
    }

    pub(super) fn pause(&mut self) -> Result<Reply, String> {
        // The reader thread raised the interrupt flag already; a running command stops at
        // its next check and reports `stopped` with reason `pause`. When nothing runs
        // there is nothing to do.
        Reply::body(json!(null))
    }
}

/// The launch's program as a [`Loader`]: the hardware description read and the program
/// assembled (or the ELF read) from disk on every call, with the launch's defines and
/// timing option. Paths are relative to the launch's `cwd` (already the working directory).
fn loader(la: &LaunchArgs, defines: Vec<bitloom_asm::Define>) -> Loader {
    let program = la.program.clone();
    let hw = la.hw.clone();
    let timing = !la.no_timing;
    Box::new(move || {
        let hw = match &hw {
            Some(p) => bitloom_emu::hw::HwConfig::load(p).map_err(|e| e.to_string())?,
            None => bitloom_emu::hw::HwConfig::default(),
        };
        let opts = bitloom_asm::Options {
            defines: defines.clone(),
            ..Default::default()
        };
        let image = match bitloom_asm::load::load_program(Path::new(&program), &opts) {
            Ok(l) => l.image,
            Err(bitloom_asm::load::LoadError::Asm { diagnostics, .. }) => {
                return Err(diagnostics.render(false))
            }
            Err(e) => return Err(e.to_string()),
        };
        new_machine(
            &hw,
            &image,
            &MachineOptions {
                timing,
                checked: false,
            },
        )
        .map_err(|e| format!("{program}: {e}"))
    })
}

/// The launch request's `args` as assembler defines, spelled as on the command line:
/// `["-D", "N=4"]`, `["-DN=4"]`, `["--defsym", "N=4"]`, `["--defsym=N=4"]` or just `["N=4"]`.
fn launch_defines(args: &[String]) -> Result<Vec<bitloom_asm::Define>, String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let spec = match a.as_str() {
            "-D" | "--defsym" | "--define" => it
                .next()
                .ok_or_else(|| format!("launch `args`: `{a}` needs NAME[=VALUE] after it"))?
                .as_str(),
            _ => a
                .strip_prefix("--defsym=")
                .or_else(|| a.strip_prefix("--define="))
                .or_else(|| a.strip_prefix("-D"))
                .unwrap_or(a),
        };
        let d = bitloom_asm::Define::parse(spec)
            .map_err(|e| format!("launch `args`: bad define `{spec}`: {e}"))?;
        out.push(d);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::launch_defines;

    #[test]
    fn defines_spelled_as_on_the_command_line() {
        let args: Vec<String> = ["-D", "A=4", "-DB", "--defsym=C=1 << 3", "D=-2"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let d = launch_defines(&args).unwrap();
        let got: Vec<(&str, i64)> = d.iter().map(|d| (d.name.as_str(), d.value)).collect();
        assert_eq!(got, [("A", 4), ("B", 1), ("C", 8), ("D", -2)]);
        assert!(launch_defines(&["-D".to_string()]).is_err());
        assert!(launch_defines(&["1X=3".to_string()]).is_err());
    }
}
