//! Starting over, and starting over on the program as it is on disk now: a front end that
//! can rebuild the machine (re-assemble the `.s`, re-read the ELF and the hardware
//! description, with the options it was started with) gives the session a [`Loader`];
//! [`Session::reload`] then swaps in the new program, as gdb re-reads an executable that
//! changed, and re-resolves the breakpoints and watchpoints by the locations they were set
//! with (a label follows the label, `FILE:LINE` the line, `*ADDR` stays). A load that
//! fails changes nothing. `run`/`start`/`restart` reload when a loader is set (the DAP's
//! `launch` sets one, and `bitloom debug` in `src/debug_cmd.rs`).

use bitloom_emu::Machine;

use super::Session;
use crate::engine::Target;

/// Builds the machine of the program as it is on disk now, or the reason it cannot
/// (assembler diagnostics as `bitloom asm` renders them, ` --> file:line:col`; an
/// unreadable file).
pub type Loader = Box<dyn FnMut() -> Result<Machine, String> + Send>;

/// What [`Session::reload`] did.
#[derive(Debug, Default)]
pub struct Reloaded {
    /// The program image differs from the one loaded before.
    pub changed: bool,
    /// What happened to breakpoints and watchpoints re-resolved against the new program,
    /// one line each (moved, or could not be re-set and disabled).
    pub notes: Vec<String>,
    /// Numbers of the watchpoints that could not be re-set (now disabled), with the reason.
    pub lost_watches: Vec<(u32, String)>,
}

impl Session {
    /// Rebuild the program from disk with `loader` on every reload (`run`, `start`,
    /// `restart`, and the DAP's `restart`).
    pub fn set_loader(&mut self, loader: Loader) {
        self.loader = Some(loader);
    }

    /// [`Session::reload`] with a new loader and program path (a front end's new launch
    /// configuration: other defines, hardware or program). Both are kept only when the new
    /// loader's load succeeds; on an error the session keeps its loader, its program and
    /// the machine's state.
    pub fn reload_with(
        &mut self,
        keep: &[u32],
        loader: Loader,
        program: &std::path::Path,
    ) -> Result<Reloaded, String> {
        let old = self.loader.replace(loader);
        match self.reload(keep) {
            Ok(r) => {
                self.dbg.program = program.display().to_string();
                self.base_dir = program
                    .parent()
                    .map(|p| p.to_path_buf())
                    .unwrap_or_default();
                Ok(r)
            }
            Err(e) => {
                self.loader = old;
                Err(e)
            }
        }
    }

    /// Start over from reset on the same program; breakpoints and watchpoints stay.
    pub fn restart(&mut self) {
        self.dbg.restart();
        // The machine is a fresh copy: recording the timeline again if it was on (fix: a
        // `timeline` switched on before `run` recorded nothing after it).
        if self.timeline_on {
            self.enable_timeline();
        }
    }

    /// Load the program again (with the loader; without one this is [`Session::restart`])
    /// and start over from reset. When the image changed, the breakpoints other than those
    /// in `keep` (a front end re-resolves its own) are re-resolved by the location they
    /// were set with, and the watchpoints by their target; one that no longer resolves is
    /// disabled. On an error nothing has changed: not the program, not the machine's state.
    pub fn reload(&mut self, keep: &[u32]) -> Result<Reloaded, String> {
        let Some(loader) = self.loader.as_mut() else {
            self.restart();
            return Ok(Reloaded::default());
        };
        let m = loader()?;
        let changed = m.image() != self.dbg.m.image();
        // Locations as they will be resolved again: a bare `LINE` means a line of the file
        // the breakpoint is in now (the file of the pc when it was set).
        let specs: Vec<(u32, String)> = if changed {
            self.dbg
                .bps
                .iter()
                .filter(|b| !keep.contains(&b.id))
                .map(|b| {
                    let spec = match (b.spec.trim().parse::<u32>(), self.line_of(b.pc)) {
                        (Ok(line), Some((file, _))) => format!("{file}:{line}"),
                        _ => b.spec.clone(),
                    };
                    (b.id, spec)
                })
                .collect()
        } else {
            Vec::new()
        };
        self.dbg.replace_program(m);
        if self.timeline_on {
            self.enable_timeline();
        }
        // The sources may have changed even when the image did not (a comment).
        self.sources.clear();
        self.list_next = None;
        self.x_next = None;
        self.prev_func = None;
        let mut r = Reloaded {
            changed,
            ..Reloaded::default()
        };
        if changed {
            self.reresolve(specs, &mut r);
        }
        Ok(r)
    }

    fn reresolve(&mut self, specs: Vec<(u32, String)>, r: &mut Reloaded) {
        for (id, spec) in specs {
            let old = self.dbg.bps.iter().find(|b| b.id == id).map(|b| b.pc);
            match self.resolve_location(&spec) {
                Ok(pc) => {
                    if old != Some(pc) {
                        let at = self.describe_pc(pc);
                        r.notes
                            .push(format!("Breakpoint {id} ({spec}) is now at {at}"));
                    }
                    if let Some(b) = self.dbg.bps.iter_mut().find(|b| b.id == id) {
                        b.pc = pc;
                        b.spec = spec;
                    }
                }
                Err(e) => {
                    if let Some(b) = self.dbg.bps.iter_mut().find(|b| b.id == id) {
                        b.enabled = false;
                    }
                    r.notes.push(format!(
                        "Error in re-setting breakpoint {id} ({spec}): {e} It is disabled."
                    ));
                }
            }
        }
        for i in 0..self.dbg.watches.len() {
            let (id, text, target) = {
                let w = &self.dbg.watches[i];
                (w.id, w.text.clone(), w.target)
            };
            match self.watch_target(&text) {
                Ok(t) => {
                    // Only memory (a symbol, an expression) can move.
                    let moved = match t {
                        Target::Mem { addr, len } if t != target => Some((addr, len)),
                        _ => None,
                    };
                    if let Some((addr, len)) = moved {
                        r.notes.push(format!(
                            "Watchpoint {id} ({text}) now watches 0x{addr:08x}, {len} bytes"
                        ));
                    }
                    self.dbg.watches[i].target = t;
                }
                Err(e) => {
                    self.dbg.watches[i].enabled = false;
                    r.notes.push(format!(
                        "Error in re-setting watchpoint {id} ({text}): {e} It is disabled."
                    ));
                    r.lost_watches.push((id, e));
                }
            }
        }
    }

    /// The `run`/`start`/`restart` commands' start: reload (when a loader is set) and say
    /// what changed, as gdb notes that it re-reads a changed executable.
    pub(super) fn reload_for_run(&mut self) -> Result<String, String> {
        let r = self.reload(&[]).map_err(|e| {
            let mut e = e;
            if !e.ends_with('\n') {
                e.push('\n');
            }
            format!(
                "{e}{} could not be loaded again; nothing changed (the previous program is still loaded).",
                self.dbg.program
            )
        })?;
        let mut s = String::new();
        if r.changed {
            s.push_str(&format!(
                "{} has changed on disk; reloaded it.\n",
                self.dbg.program
            ));
        }
        for n in &r.notes {
            s.push_str(n);
            s.push('\n');
        }
        Ok(s)
    }
}
