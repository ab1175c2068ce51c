//! `bitloom debug`: open the REPL debugger on a program (or run a command script with
//! `-x`/`--batch`), on the session layer shared with `bitloom run`.

use std::path::{Path, PathBuf};

use bitloom_debugger::engine::Debugger;
use bitloom_debugger::Session;
use bitloom_emu::session::{new_machine, MachineOptions};

/// Arguments of `bitloom debug`.
#[derive(clap::Args)]
pub struct DebugArgs {
    /// Program: ELF file or assembly source.
    pub input: PathBuf,
    /// Hardware description (TOML file or `preset:NAME`); default: the built-in config.
    #[arg(long)]
    pub hw: Option<PathBuf>,
    /// Functional only: no timing model.
    #[arg(long)]
    pub no_timing: bool,
    /// Check every accelerator instruction against the reference implementation.
    #[arg(long)]
    pub checked: bool,
    /// Execute the debugger commands in FILE first (repeatable).
    #[arg(short = 'x', long = "command", value_name = "FILE")]
    pub scripts: Vec<PathBuf>,
    /// Execute a command first (repeatable), like gdb's -ex.
    #[arg(long = "ex", value_name = "COMMAND")]
    pub commands: Vec<String>,
    /// Exit after the scripts and commands instead of starting the interactive prompt.
    #[arg(long)]
    pub batch: bool,
    /// Keep the command history in this file (default: ~/.bitloom_history; `-` for none).
    #[arg(long)]
    pub history_file: Option<PathBuf>,
    /// Predefined symbols for assembling a `.s` program.
    #[command(flatten)]
    pub defines: crate::define_args::DefineArgs,
}

/// Run `bitloom debug`; returns the process exit status.
pub fn debug(
    a: DebugArgs,
    image: bitloom_isa::image::Image,
    hw: &bitloom_emu::hw::HwConfig,
) -> Result<u8, String> {
    let m = new_machine(
        hw,
        &image,
        &MachineOptions {
            timing: !a.no_timing,
            checked: a.checked,
        },
    )
    .map_err(|e| format!("error: {}: {e}", a.input.display()))?;
    let dbg = Debugger::new(m, &a.input.display().to_string());
    let mut s = Session::new(dbg, &a.input);
    s.set_loader(loader(&a));
    let batch = a.batch
        || (!a.scripts.is_empty() || !a.commands.is_empty())
            && !std::io::IsTerminal::is_terminal(&std::io::stdin());
    if !a.batch {
        crate::output::emit(&s.banner())?;
    }
    for f in &a.scripts {
        let text = bitloom_debugger::commands::read_script(f)
            .map_err(|e| format!("error: {}: {e}", f.display()))?;
        crate::output::emit(&s.run_script(&text))?;
        if s.quit {
            return Ok(0);
        }
    }
    for c in &a.commands {
        crate::output::emit(&s.execute(c))?;
        if s.quit {
            return Ok(0);
        }
    }
    if batch {
        return Ok(0);
    }
    let hist = match &a.history_file {
        Some(p) if p == Path::new("-") => None,
        Some(p) => Some(p.clone()),
        None => std::env::var_os("HOME").map(|h| Path::new(&h).join(".bitloom_history")),
    };
    bitloom_debugger::repl::interactive(&mut s, hist.as_deref())?;
    Ok(0)
}

/// The program as `run`/`start`/`restart` reload it: the hardware description and the
/// program (assembled with the same defines, or the ELF) read from disk again, with the
/// same timing and checked options, as gdb re-reads an executable that changed. An error
/// is what `bitloom debug` would print for it at start-up.
fn loader(a: &DebugArgs) -> bitloom_debugger::commands::Loader {
    let (input, hw) = (a.input.clone(), a.hw.clone());
    let defines = a.defines.defines.clone();
    let opts = MachineOptions {
        timing: !a.no_timing,
        checked: a.checked,
    };
    Box::new(move || {
        let hw = crate::load_hw(hw.as_deref()).map_err(|f| f.0)?;
        let image = crate::load_program(&input, &defines).map_err(|f| f.0)?;
        new_machine(&hw, &image, &opts).map_err(|e| format!("error: {}: {e}", input.display()))
    })
}
