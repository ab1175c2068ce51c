//! The command interpreter: gdb's vocabulary over the [`Debugger`] engine. One call to
//! [`Session::execute`] runs one command line and returns its output as text, so every
//! command is testable without a terminal; errors come back as text too and never end the
//! session.
//!
//! The command table ([`COMMANDS`]) gives each command its name, abbreviations and help;
//! a unique prefix of a name also selects it, as in gdb. Run-control commands live in
//! `commands/run.rs`, data commands (print, x, set, display, watch, dump) in
//! `commands/data.rs`, source and symbol commands in `commands/source.rs`, and starting
//! over on the program as it is on disk now (`run` after an edit) in `commands/reload.rs`.

mod data;
mod reload;
mod run;
mod source;

pub use reload::{Loader, Reloaded};
pub use source::INFO_SUBCOMMANDS;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use crate::engine::Debugger;
use crate::expr;
use crate::views;

/// A command handler: arguments after the command word → output or error message.
type Handler = fn(&mut Session, &str) -> Result<String, String>;

/// One command.
pub struct Command {
    /// Full name.
    pub name: &'static str,
    /// Abbreviations accepted besides unique prefixes.
    pub aliases: &'static [&'static str],
    /// Usage line.
    pub usage: &'static str,
    /// Help text.
    pub help: &'static str,
    run: Handler,
}

macro_rules! cmd {
    ($name:literal, [$($a:literal),*], $usage:literal, $help:literal, $f:expr) => {
        Command { name: $name, aliases: &[$($a),*], usage: $usage, help: $help, run: $f }
    };
}

/// Every command.
pub static COMMANDS: &[Command] = &[
    cmd!("break", ["b", "br"], "break LOCATION [if CONDITION]",
        "Set a breakpoint at a label, *ADDRESS, FILE:LINE or LINE; with `if`, stop only when the condition is non-zero.",
        |s, a| s.cmd_break(a, false)),
    cmd!("tbreak", [], "tbreak LOCATION [if CONDITION]",
        "Set a temporary breakpoint (deleted when hit).", |s, a| s.cmd_break(a, true)),
    cmd!("delete", ["d"], "delete [N...]",
        "Delete breakpoints/watchpoints N... (all without arguments).", |s, a| s.cmd_enable(a, None)),
    cmd!("disable", [], "disable [N...]", "Disable breakpoints/watchpoints.", |s, a| s.cmd_enable(a, Some(false))),
    cmd!("enable", [], "enable [N...]", "Enable breakpoints/watchpoints.", |s, a| s.cmd_enable(a, Some(true))),
    cmd!("watch", [], "watch TARGET",
        "Stop when TARGET changes: a register (r5, sp), a CSR (wprec), a tile (t3: descriptor or data), a symbol's memory, *ADDR or *ADDR@LEN.",
        |s, a| s.cmd_watch(a, crate::engine::WatchKind::Write)),
    cmd!("rwatch", [], "rwatch TARGET", "Stop when TARGET is read.",
        |s, a| s.cmd_watch(a, crate::engine::WatchKind::Read)),
    cmd!("awatch", [], "awatch TARGET", "Stop when TARGET is read or written.",
        |s, a| s.cmd_watch(a, crate::engine::WatchKind::Access)),
    cmd!("run", ["r"], "run", "Start the program from reset (read from disk again if it changed) and run to a breakpoint, watchpoint, halt or trap.",
        |s, a| s.cmd_run(a, true)),
    cmd!("start", [], "start", "Reset to the entry point and stop there.", |s, a| s.cmd_run(a, false)),
    cmd!("restart", [], "restart", "Same as `start`.", |s, a| s.cmd_run(a, false)),
    cmd!("continue", ["c", "cont", "fg"], "continue [N]",
        "Continue; with N, ignore the current breakpoint N-1 more times.", |s, a| s.cmd_continue(a)),
    cmd!("stepi", ["si"], "stepi [N]", "Execute N instructions (default 1).", |s, a| s.cmd_stepi(a, false)),
    cmd!("nexti", ["ni"], "nexti [N]", "Like stepi, but step over calls.", |s, a| s.cmd_stepi(a, true)),
    cmd!("step", ["s"], "step [N]", "Execute to the next source line, entering calls.", |s, a| s.cmd_step(a, false)),
    cmd!("next", ["n"], "next [N]", "Execute to the next source line, over calls.", |s, a| s.cmd_step(a, true)),
    cmd!("finish", ["fin"], "finish", "Run until the current function returns.", |s, a| s.cmd_finish(a)),
    cmd!("until", ["u"], "until [LOCATION]",
        "Without argument: run until a source line after the current one in this frame (leaves loops). With a location: run until it, or until this frame returns.",
        |s, a| s.cmd_until(a, false)),
    cmd!("advance", [], "advance LOCATION", "Run until LOCATION (or until the current frame returns).",
        |s, a| s.cmd_until(a, true)),
    cmd!("reverse-stepi", ["rsi"], "reverse-stepi [N]", "Go back N instructions, exactly.", |s, a| s.cmd_rstepi(a, false)),
    cmd!("reverse-nexti", ["rni"], "reverse-nexti [N]", "Go back N instructions, over calls.", |s, a| s.cmd_rstepi(a, true)),
    cmd!("reverse-step", ["rs"], "reverse-step", "Go back to the start of the previous source line, entering calls.",
        |s, a| s.cmd_rstep(a, false)),
    cmd!("reverse-next", ["rn"], "reverse-next", "Go back to the start of the previous source line, over calls.",
        |s, a| s.cmd_rstep(a, true)),
    cmd!("reverse-continue", ["rc"], "reverse-continue",
        "Run backwards to the previous breakpoint hit or watchpoint change (stopping before the instruction that changed it), or to the start of the history.",
        |s, a| s.cmd_rcontinue(a)),
    cmd!("reverse-finish", [], "reverse-finish", "Go back to the call of the current function.", |s, a| s.cmd_rfinish(a)),
    cmd!("info", ["i", "inf"], "info WHAT",
        "info breakpoints|watchpoints|registers [REG...]|csr|tiles|mac|line [LOC]|symbol ADDR|display|history|frame",
        |s, a| s.cmd_info(a)),
    cmd!("print", ["p", "inspect"], "print[/FMT] EXPR",
        "Evaluate an expression over registers, CSRs, symbols and memory (*ADDR). FMT: x d u t o c a.",
        |s, a| s.cmd_print(a, "")),
    cmd!("x", [], "x/NFU ADDRESS",
        "Examine memory: N units, format F (x d u t o c a i), unit U (b h w).", |s, a| s.cmd_x(a, "")),
    cmd!("set", [], "set var LHS = EXPR | set history-size N | set listsize N",
        "Change a register, CSR, pc or DRAM word (`set var r5 = 3`, `set var wprec = 4`, `set var *0x2000 = 7`), or a setting.",
        |s, a| s.cmd_set(a)),
    cmd!("display", [], "display[/FMT] EXPR", "Print EXPR at every stop.", |s, a| s.cmd_display(a, "")),
    cmd!("undisplay", [], "undisplay [N...]", "Stop displaying expressions.", |s, a| s.cmd_undisplay(a)),
    cmd!("list", ["l"], "list [LOCATION]", "Show source lines around the pc or LOCATION; again to continue.",
        |s, a| s.cmd_list(a)),
    cmd!("disassemble", ["disas"], "disassemble [ADDRESS [, +N]]",
        "Disassemble around the pc (the current function) or from ADDRESS.", |s, a| s.cmd_disassemble(a)),
    cmd!("backtrace", ["bt", "where"], "backtrace",
        "Show the call chain: the pc's function, the caller from ra, and return addresses found on the stack.",
        |s, a| s.cmd_backtrace(a)),
    cmd!("tile", [], "tile tN|SPACE:ADDR [--codes|--values] [rows A:B] [cols C:D]",
        "Show a tile: descriptor, density, RLE cost, sparsity map, codes and decoded values.",
        |s, a| s.cmd_tile(a)),
    cmd!("lut", [], "lut [N]", "Show look-up tables.", |s, a| {
        let n = if a.trim().is_empty() { None } else { Some(parse_u32(a.trim())? as u8) };
        views::lut(&s.dbg.m, n)
    }),
    cmd!("config", ["cfg"], "config",
        "Show the precision/format/slice/scale CSRs; `*` marks values changed since the previous stop.",
        |s, _| Ok(views::config(&s.dbg.m, Some(&s.prev_config)))),
    cmd!("scales", [], "scales tN", "Show a per-vector scale tile.", |s, a| {
        let t = parse_tile(a.trim())?;
        views::scales(&s.dbg.m, t)
    }),
    cmd!("stats", [], "stats", "Statistics so far (cycles, utilisation, skipped work).",
        |s, _| Ok(views::stats(&s.dbg.m))),
    cmd!("timeline", [], "timeline [N]", "The last N unit events (default 20).", |s, a| {
        let n = if a.trim().is_empty() { 20 } else { parse_u32(a.trim())? as usize };
        // Without the timing model there is nothing to record (fix: it claimed recording
        // was on).
        if s.dbg.m.timing.is_none() {
            return Ok(views::timeline(&s.dbg.m, n));
        }
        if !s.timeline_on {
            s.enable_timeline();
            return Ok("Timeline recording is now on; events appear as the program runs.\n".into());
        }
        Ok(views::timeline(&s.dbg.m, n))
    }),
    cmd!("dump", [], "dump tN FILE.npy [--codes|--values] | dump memory ADDR LEN FILE.npy",
        "Write a tile (values by default; accumulators as int32) or DRAM bytes as a NumPy .npy file.",
        |s, a| s.cmd_dump(a)),
    cmd!("source", [], "source FILE", "Run the commands in FILE.", |s, a| s.cmd_source(a)),
    cmd!("help", ["h"], "help [COMMAND]", "List commands, or explain one.", |_, a| help(a)),
    cmd!("quit", ["q", "exit"], "quit", "Leave the debugger.", |s, _| {
        s.quit = true;
        Ok(String::new())
    }),
];

/// Find a command by name, alias or unique prefix.
pub fn lookup(word: &str) -> Result<&'static Command, String> {
    if let Some(c) = COMMANDS
        .iter()
        .find(|c| c.name == word || c.aliases.contains(&word))
    {
        return Ok(c);
    }
    let matches: Vec<&Command> = COMMANDS
        .iter()
        .filter(|c| c.name.starts_with(word))
        .collect();
    match matches.len() {
        1 => Ok(matches[0]),
        0 => {
            let mut names: Vec<String> = COMMANDS.iter().map(|c| c.name.to_string()).collect();
            for c in COMMANDS {
                names.extend(c.aliases.iter().map(|a| a.to_string()));
            }
            let mut msg = format!("Undefined command: \"{word}\".");
            if let Some(s) = expr::suggest(word, names) {
                let _ = write!(msg, " Did you mean \"{s}\"?");
            }
            msg.push_str(" Try \"help\".");
            Err(msg)
        }
        _ => Err(format!(
            "Ambiguous command \"{word}\": {}.",
            matches
                .iter()
                .map(|c| c.name)
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn help(a: &str) -> Result<String, String> {
    let a = a.trim();
    if a.is_empty() {
        let mut s = String::from("Commands (a unique prefix works too; `help CMD` for details):\n");
        for c in COMMANDS {
            let al = if c.aliases.is_empty() {
                String::new()
            } else {
                format!(" ({})", c.aliases.join(", "))
            };
            // At least one blank after the name (fix: `continue (c, cont, fg)Continue`).
            let _ = writeln!(
                s,
                "  {:<18} {}",
                format!("{}{al}", c.name),
                first_sentence(c.help)
            );
        }
        return Ok(s);
    }
    let c = lookup(a)?;
    let mut s = format!("Usage: {}\n{}\n", c.usage, c.help);
    if !c.aliases.is_empty() {
        let _ = writeln!(s, "Aliases: {}", c.aliases.join(", "));
    }
    Ok(s)
}

fn first_sentence(s: &str) -> &str {
    s.split_once(". ").map_or(s, |(a, _)| a)
}

/// Parse an unsigned number (decimal or 0x hex).
pub fn parse_u32(s: &str) -> Result<u32, String> {
    let t = s.trim().replace('_', "");
    let r = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u32::from_str_radix(h, 16)
    } else {
        t.parse()
    };
    r.map_err(|_| format!("expected a number, found `{s}`"))
}

/// Parse a tile register name.
pub fn parse_tile(s: &str) -> Result<u8, String> {
    bitloom_isa::operand::parse_tile(s)
        .ok_or_else(|| format!("expected a tile register t0..t15, found `{s}`"))
}

/// One debugging session: the engine plus the interpreter's own state.
pub struct Session {
    /// The engine.
    pub dbg: Debugger,
    /// Colour escapes in output.
    pub color: bool,
    /// Set by `quit`.
    pub quit: bool,
    last_cmd: Option<String>,
    prev_regs: [u32; 32],
    prev_config: Vec<u32>,
    stop_regs: [u32; 32],
    stop_config: Vec<u32>,
    prev_func: Option<String>,
    displays: Vec<(u32, String, String, expr::Expr)>,
    next_display: u32,
    values: u32,
    list_next: Option<(String, u32, u32)>,
    listsize: u32,
    x_next: Option<(u32, char, u32)>,
    sources: HashMap<String, Option<Vec<String>>>,
    base_dir: PathBuf,
    source_depth: u32,
    timeline_on: bool,
    /// Rebuilds the program from disk (see [`Session::reload`]).
    loader: Option<Loader>,
}

impl Session {
    /// A session over `dbg`; `program` locates source files named relative to it.
    pub fn new(dbg: Debugger, program: &std::path::Path) -> Session {
        let prev_regs = dbg.m.regs;
        let prev_config = views::config_values(&dbg.m);
        Session {
            dbg,
            color: false,
            quit: false,
            last_cmd: None,
            prev_regs,
            stop_regs: prev_regs,
            stop_config: prev_config.clone(),
            prev_config,
            prev_func: None,
            displays: Vec::new(),
            next_display: 1,
            values: 0,
            list_next: None,
            listsize: 10,
            x_next: None,
            sources: HashMap::new(),
            base_dir: program
                .parent()
                .map(|p| p.to_path_buf())
                .unwrap_or_default(),
            source_depth: 0,
            timeline_on: false,
            loader: None,
        }
    }

    /// The banner printed when the session opens.
    pub fn banner(&self) -> String {
        let m = &self.dbg.m;
        let text = m.image().section(".text").map_or(0, |s| s.size / 4);
        format!(
            "Loaded {}: {text} instructions, entry 0x{:08x}{}, timing model {}.\nType `help` for commands, `run` to run, `stepi` to step.\n",
            self.dbg.program,
            m.pc,
            views::symbolize(m, m.pc).map(|s| format!(" <{s}>")).unwrap_or_default(),
            if m.timing.is_some() { "on" } else { "off" }
        )
    }

    /// Run one command line. An empty line repeats the previous command (run-control,
    /// `x` and `list` repeat; others do nothing), as in gdb. Comments start with `#`.
    pub fn execute(&mut self, line: &str) -> String {
        let trimmed = line.trim();
        if trimmed.starts_with('#') {
            return String::new();
        }
        let line = if trimmed.is_empty() {
            match self.last_cmd.clone() {
                Some(l) => l,
                None => return String::new(),
            }
        } else {
            trimmed.to_string()
        };
        let (word, args) = split_word(&line);
        // `p/x`, `x/4w`: the format sticks to the command word.
        let (word, slash) = match word.split_once('/') {
            Some((w, f)) => (w, f),
            None => (word, ""),
        };
        let cmd = match lookup(word) {
            Ok(c) => c,
            Err(e) => return format!("{e}\n"),
        };
        let repeatable = matches!(
            cmd.name,
            "stepi"
                | "nexti"
                | "step"
                | "next"
                | "continue"
                | "x"
                | "list"
                | "reverse-stepi"
                | "reverse-nexti"
                | "reverse-step"
                | "reverse-next"
                | "reverse-continue"
                | "until"
                | "finish"
                | "reverse-finish"
        );
        if !trimmed.is_empty() {
            // Fix: an Enter after `x/4xw ADDR` or `list LOC` re-ran the same command on the
            // same address/lines; gdb continues instead, so the repeated form drops the
            // location (`x/4xw` continues after the last unit, `list` after the last line).
            self.last_cmd = repeatable.then(|| match cmd.name {
                "x" if !slash.is_empty() => format!("{word}/{slash}"),
                "x" => word.to_string(),
                "list" if args != "-" => word.to_string(),
                _ => line.clone(),
            });
        }
        let r = match cmd.name {
            "print" => self.cmd_print(args, slash),
            "x" => self.cmd_x(args, slash),
            "display" => self.cmd_display(args, slash),
            _ if !slash.is_empty() => Err(format!("`{}` takes no /FORMAT", cmd.name)),
            _ => (cmd.run)(self, args),
        };
        match r {
            Ok(s) => s,
            Err(e) => {
                let mut e = e;
                if !e.ends_with('\n') {
                    e.push('\n');
                }
                e
            }
        }
    }

    /// Run every line of a script; each command's output is preceded by nothing, errors are
    /// reported and the script goes on (gdb's `-batch` stops at an error; use `--batch`
    /// with care). Stops at `quit`.
    pub fn run_script(&mut self, text: &str) -> String {
        let mut out = String::new();
        for line in text.lines() {
            if line.trim().is_empty() {
                continue;
            }
            out.push_str(&self.execute(line));
            if self.quit {
                break;
            }
        }
        out
    }

    fn cmd_source(&mut self, a: &str) -> Result<String, String> {
        let path = a.trim();
        if path.is_empty() {
            return Err("usage: source FILE".into());
        }
        if self.source_depth >= 16 {
            return Err("source: nested too deeply (16 levels)".into());
        }
        let text = read_script(std::path::Path::new(path)).map_err(|e| format!("{path}: {e}"))?;
        self.source_depth += 1;
        let saved = self.last_cmd.take();
        let out = self.run_script(&text);
        self.last_cmd = saved;
        self.source_depth -= 1;
        Ok(out)
    }

    fn enable_timeline(&mut self) {
        if let Some(t) = self.dbg.m.timing.as_mut() {
            t.enable_timeline(bitloom_emu::run::TIMELINE_LIMIT);
        }
        self.timeline_on = true;
    }

    fn cmd_tile(&mut self, a: &str) -> Result<String, String> {
        let mut words = a.split_whitespace();
        let name = words
            .next()
            .ok_or("usage: tile tN [--codes|--values] [rows A:B] [cols C:D]")?;
        let i = match bitloom_isa::operand::parse_tile(name) {
            Some(i) => i,
            None => self.tile_at(name)?,
        };
        let mut o = views::TileOpts::default();
        while let Some(w) = words.next() {
            match w {
                "--codes" | "codes" => o.codes = true,
                "--values" | "values" => o.values = true,
                "rows" | "cols" => {
                    let r = words.next().ok_or(format!("`{w}` needs a range A:B"))?;
                    let (x, y) = r
                        .split_once(':')
                        .ok_or(format!("expected A:B, found `{r}`"))?;
                    let rng = (parse_u32(x)?, parse_u32(y)?);
                    if w == "rows" {
                        o.rows = Some(rng);
                    } else {
                        o.cols = Some(rng);
                    }
                }
                other => return Err(format!("unknown tile option `{other}`")),
            }
        }
        views::tile(&self.dbg.m, i, &o)
    }

    /// The tile register whose data covers `SPACE:ADDR`.
    fn tile_at(&self, spec: &str) -> Result<u8, String> {
        let (sp, addr) = spec
            .split_once(':')
            .ok_or_else(|| format!("expected tN or SPACE:ADDR (e.g. wsp:0x40), found `{spec}`"))?;
        let space = bitloom_isa::Space::from_name(sp)
            .ok_or_else(|| format!("unknown scratchpad `{sp}`"))?;
        let a = parse_u32(addr)?;
        (0..16u8)
            .find(|&i| {
                self.dbg.m.tile(i).is_some_and(|t| {
                    t.space == space && a >= t.base && (a as u64) < t.base as u64 + t.bytes()
                })
            })
            .ok_or_else(|| format!("no tile register covers {sp}:0x{a:x}"))
    }
}

/// Split the first word off a command line.
pub fn split_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], s[i..].trim()),
        None => (s, ""),
    }
}

/// Largest command script read (`source FILE`, `bitloom debug -x FILE`): a bigger one, or a
/// device such as `/dev/zero`, is an error instead of a read without end.
pub const MAX_SCRIPT_BYTES: u64 = 16 << 20;

/// The text of a command script, at most [`MAX_SCRIPT_BYTES`] of UTF-8.
pub fn read_script(path: &std::path::Path) -> Result<String, String> {
    bitloom_isa::srcfile::read_text_capped(path, MAX_SCRIPT_BYTES)
}
