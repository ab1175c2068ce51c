//! Colour of diagnostics on stderr: `--color auto|always|never` (auto: colour only when stderr
//! is a terminal and `NO_COLOR` is unset or empty, <https://no-color.org>), and the one
//! styling of plain `error:` / `warning:` lines so they match the rendered diagnostics.

use std::io::IsTerminal;
use std::sync::OnceLock;

use annotate_snippets::{Group, Level, Renderer};

/// When to colour diagnostics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// When stderr is a terminal and `NO_COLOR` is unset or empty.
    #[default]
    Auto,
    /// Always (also into a pipe or file; overrides `NO_COLOR`).
    Always,
    /// Never.
    Never,
}

static CHOICE: OnceLock<ColorChoice> = OnceLock::new();

/// Record the `--color` choice (first call wins).
pub fn set(c: ColorChoice) {
    let _ = CHOICE.set(c);
}

/// Whether diagnostics on stderr are coloured.
pub fn enabled() -> bool {
    match CHOICE.get().copied().unwrap_or_default() {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// A message of the CLI's own (`error: text` or `warning: text`, possibly several lines)
/// with its header styled as the renderer styles a diagnostic's title, when colour is on;
/// anything else unchanged.
pub fn paint(msg: &str) -> String {
    if !enabled() {
        return msg.to_string();
    }
    let (level, rest) = if let Some(r) = msg.strip_prefix("error: ") {
        (Level::ERROR, r)
    } else if let Some(r) = msg.strip_prefix("warning: ") {
        (Level::WARNING, r)
    } else {
        return msg.to_string();
    };
    let (head, tail) = rest.split_once('\n').unwrap_or((rest, ""));
    let mut s = Renderer::styled().render(&[Group::with_title(level.primary_title(head))]);
    if !tail.is_empty() {
        s.push('\n');
        s.push_str(tail);
    }
    s
}
