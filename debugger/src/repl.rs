//! The terminal front end: rustyline with a history file, completion of commands,
//! registers, CSRs, symbols and tile names, hints from the command table, and Ctrl-C
//! interrupting a running command. Colour is used only on a terminal without `NO_COLOR`.

use std::borrow::Cow;
use std::io::IsTerminal;
use std::sync::atomic::Ordering;

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};

use crate::commands::{Session, COMMANDS};

/// Whether to colour output: stdout is a terminal and `NO_COLOR` is unset.
pub fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

struct LoomHelper {
    words: Vec<String>,
    color: bool,
}

impl Completer for LoomHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let upto = &line[..pos];
        let start = upto
            .rfind(|c: char| c.is_whitespace() || "*(+-,$/".contains(c))
            .map_or(0, |i| i + 1);
        let word = &upto[start..];
        let first = !upto[..start].contains(|c: char| !c.is_whitespace());
        let pool: Vec<String> = if first {
            COMMANDS.iter().map(|c| c.name.to_string()).collect()
        } else {
            self.words.clone()
        };
        let mut v: Vec<Pair> = pool
            .into_iter()
            .filter(|w| w.starts_with(word))
            .map(|w| Pair {
                display: w.clone(),
                replacement: w,
            })
            .collect();
        v.sort_by(|a, b| a.display.cmp(&b.display));
        v.dedup_by(|a, b| a.display == b.display);
        Ok((start, v))
    }
}

impl Hinter for LoomHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, _: &Context<'_>) -> Option<String> {
        if pos < line.len() || line.is_empty() || line.contains(char::is_whitespace) {
            return None;
        }
        let c = COMMANDS
            .iter()
            .find(|c| c.name.starts_with(line) && c.name != line)?;
        Some(c.name[line.len()..].to_string())
    }
}

impl Highlighter for LoomHelper {
    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color {
            Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
        } else {
            Cow::Borrowed(hint)
        }
    }
}

impl Validator for LoomHelper {}
impl Helper for LoomHelper {}

fn completion_words(s: &Session) -> Vec<String> {
    let mut w: Vec<String> = (0..32).map(|i| format!("r{i}")).collect();
    w.extend(["zero", "ra", "sp", "fp", "pc"].map(String::from));
    w.extend((0..16).map(|i| format!("t{i}")));
    w.extend(bitloom_isa::csr::CSRS.iter().map(|c| c.name.to_string()));
    w.extend(s.dbg.m.image().symbols.iter().map(|s| s.name.clone()));
    w.extend(
        crate::commands::INFO_SUBCOMMANDS
            .iter()
            .map(|s| s.to_string()),
    );
    w.extend(
        [
            "var",
            "history-size",
            "listsize",
            "memory",
            "--codes",
            "--values",
            "rows",
            "cols",
        ]
        .map(String::from),
    );
    w
}

/// Run the interactive loop until `quit` or end of input (the caller prints the banner).
/// The history is kept in `history_file` when given.
pub fn interactive(s: &mut Session, history_file: Option<&std::path::Path>) -> Result<(), String> {
    let color = use_color();
    s.color = color;
    let mut ed: Editor<LoomHelper, DefaultHistory> =
        Editor::new().map_err(|e| format!("cannot start the line editor: {e}"))?;
    ed.set_helper(Some(LoomHelper {
        words: completion_words(s),
        color,
    }));
    if let Some(h) = history_file {
        let _ = ed.load_history(h);
    }
    // Ctrl-C while a command runs interrupts it (the engine polls the flag).
    let flag = s.dbg.interrupt.clone();
    let _ = ctrlc_install(flag);
    // The banner is the caller's to print (fix: `bitloom debug` printed it before its
    // scripts and this printed it a second time at the prompt).
    let prompt = if color {
        "\x1b[1m(bitloom)\x1b[0m "
    } else {
        "(bitloom) "
    };
    loop {
        match ed.readline(prompt) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = ed.add_history_entry(line.as_str());
                }
                print!("{}", s.execute(&line));
                if s.quit {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => {
                println!("Quit (use `quit` to leave)");
            }
            Err(ReadlineError::Eof) => {
                println!("quit");
                break;
            }
            Err(e) => return Err(format!("line editor: {e}")),
        }
    }
    if let Some(h) = history_file {
        let _ = ed.save_history(h);
    }
    Ok(())
}

/// SIGINT (Ctrl-C while a command runs; at the prompt rustyline reads it as a key) raises
/// the engine's interrupt flag, which the session layer polls between chunks.
fn ctrlc_install(flag: std::sync::Arc<std::sync::atomic::AtomicBool>) -> Result<(), String> {
    ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed))
        .map_err(|e| format!("cannot install the Ctrl-C handler: {e}"))
}
