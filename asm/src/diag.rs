//! Diagnostics: errors and warnings with a primary span, secondary labels, notes and help,
//! collected for a whole run and rendered in rustc's style by annotate-snippets (the
//! renderer rustc itself uses), the same family as the emulator's run-time traps.

use std::borrow::Cow;

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};

use crate::source::{SourceMap, Span};

/// Severity of a diagnostic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The program cannot be assembled.
    Error,
    /// Suspicious but assembled.
    Warning,
}

/// One message about the source.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Headline.
    pub message: String,
    /// The offending span.
    pub span: Span,
    /// Text under the primary span (empty: none).
    pub label: String,
    /// Further spans with their labels (e.g. the first definition of a duplicate label).
    pub secondary: Vec<(Span, String)>,
    /// Notes printed under the snippet.
    pub notes: Vec<String>,
    /// A suggestion.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span,
            label: String::new(),
            secondary: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    /// A warning at `span`.
    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(span, message)
        }
    }

    /// Set the primary label.
    pub fn label(mut self, l: impl Into<String>) -> Diagnostic {
        self.label = l.into();
        self
    }

    /// Add a secondary label.
    pub fn with(mut self, span: Span, l: impl Into<String>) -> Diagnostic {
        self.secondary.push((span, l.into()));
        self
    }

    /// Add a note.
    pub fn note(mut self, n: impl Into<String>) -> Diagnostic {
        self.notes.push(n.into());
        self
    }

    /// Set the help text.
    pub fn help(mut self, h: impl Into<String>) -> Diagnostic {
        self.help = Some(h.into());
        self
    }
}

/// Everything reported by one run, with the sources needed to render it. `Display` renders
/// without colour.
#[derive(Clone, Debug, Default, thiserror::Error)]
#[error("{}", self.render(false))]
pub struct Diagnostics {
    /// The diagnostics, in source order.
    pub list: Vec<Diagnostic>,
    /// The buffers the spans refer to.
    pub sources: SourceMap,
}

impl Diagnostics {
    /// Number of errors (warnings excluded).
    pub fn error_count(&self) -> usize {
        self.list
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// Number of warnings.
    pub fn warning_count(&self) -> usize {
        self.list.len() - self.error_count()
    }

    /// `file:line:col` of a diagnostic's primary span.
    pub fn location(&self, d: &Diagnostic) -> (String, u32, u32) {
        let sp = self.sources.to_file(d.span);
        match self.sources.sources.get(sp.src as usize) {
            Some(s) => {
                let (l, c) = s.line_col(sp.start);
                (s.name.clone(), l, c)
            }
            None => ("<unknown>".into(), 0, 0),
        }
    }

    /// Render every diagnostic in rustc's style (`error: message`, ` --> file:line:col`, the
    /// source lines with carets under the spans, `= note:` / `= help:` lines; annotate-snippets
    /// draws them) plus a summary line. `color` selects ANSI colours (for terminals) or plain
    /// text (for files, pipes and tests).
    pub fn render(&self, color: bool) -> String {
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let mut s = String::new();
        for d in &self.list {
            s.push_str(&renderer.render(&[self.group(d)]));
            s.push_str("\n\n");
        }
        let (e, w) = (self.error_count(), self.warning_count());
        let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        let summary = match (e, w) {
            (0, 0) => None,
            (0, w) => Some((Level::WARNING, format!("{} emitted", plural(w, "warning")))),
            (e, 0) => Some((
                Level::ERROR,
                format!("could not assemble due to {}", plural(e, "error")),
            )),
            (e, w) => Some((
                Level::ERROR,
                format!(
                    "could not assemble due to {}; {} emitted",
                    plural(e, "error"),
                    plural(w, "warning")
                ),
            )),
        };
        if let Some((level, text)) = summary {
            s.push_str(&renderer.render(&[Group::with_title(level.primary_title(text))]));
            s.push('\n');
        }
        s
    }

    /// One diagnostic as an annotate-snippets group: the title, then its spans as snippets
    /// (spans of one file within [`SNIPPET_GAP`] lines of each other share a snippet, which
    /// holds only the lines from its first to its last span, so a huge file costs nothing;
    /// the primary span's snippet comes first), then notes and help. A span on a line longer
    /// than [`MAX_SNIPPET_LINE`] bytes is shown as its location and a note, not its text.
    fn group<'a>(&'a self, d: &'a Diagnostic) -> Group<'a> {
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let mut g = Group::with_title(level.primary_title(cut(&d.message)));
        let mut notes: Vec<Cow<'a, str>> = Vec::new();
        // (file, line of start, line of end, span, label, primary)
        let mut spans: Vec<Located<'a>> = Vec::new();
        let all = std::iter::once((d.span, d.label.as_str(), true))
            .chain(d.secondary.iter().map(|(sp, l)| (*sp, l.as_str(), false)));
        for (sp, label, primary) in all {
            let sp = self.sources.to_file(sp);
            let Some(src) = self.sources.sources.get(sp.src as usize) else {
                continue;
            };
            let len = src.text.len();
            let (a, b) = ((sp.start as usize).min(len), (sp.end as usize).min(len));
            let b = b.max(a);
            let (l0, c0) = src.line_col(a as u32);
            let (l1, _) = src.line_col(b as u32);
            let long = (l0..=l1).any(|l| line_bytes(src, l) > MAX_SNIPPET_LINE);
            if long {
                if primary {
                    g = g.element(
                        Origin::path(src.name.as_str())
                            .line(l0 as usize)
                            .char_column(c0 as usize),
                    );
                    notes.push(
                        format!("line {l0} is {} bytes long; not shown", line_bytes(src, l0))
                            .into(),
                    );
                    if !label.is_empty() {
                        notes.push(cut(label));
                    }
                } else if !label.is_empty() {
                    notes.push(format!("{} (at {}:{l0}:{c0})", cut(label), src.name).into());
                }
                continue;
            }
            spans.push(Located {
                src: sp.src,
                first: l0,
                last: l1,
                range: a..b,
                label,
                primary,
            });
        }
        // Clusters: the primary span's first.
        spans.sort_by_key(|s| (s.src, s.range.start));
        let mut clusters: Vec<Vec<&Located<'a>>> = Vec::new();
        for s in &spans {
            match clusters.last_mut() {
                Some(c)
                    if c[0].src == s.src
                        && s.first <= c.iter().map(|x| x.last).max().unwrap_or(0) + SNIPPET_GAP =>
                {
                    c.push(s)
                }
                _ => clusters.push(vec![s]),
            }
        }
        clusters.sort_by_key(|c| !c.iter().any(|s| s.primary));
        for c in clusters {
            let Some(src) = self.sources.sources.get(c[0].src as usize) else {
                continue;
            };
            let text: &str = &src.text;
            let first = c.iter().map(|s| s.first).min().unwrap_or(1);
            let end = c.iter().map(|s| s.range.end).max().unwrap_or(0);
            let from = src.line_starts[first as usize - 1] as usize;
            let to = text[end..].find('\n').map_or(text.len(), |i| end + i);
            let mut snip = Snippet::source(&text[from..to])
                .line_start(first as usize)
                .path(src.name.as_str())
                .fold(true);
            for s in c {
                let kind = if s.primary {
                    AnnotationKind::Primary
                } else {
                    AnnotationKind::Context
                };
                let mut ann = kind.span(s.range.start - from..s.range.end - from);
                if !s.label.is_empty() {
                    ann = ann.label(cut(s.label));
                }
                snip = snip.annotation(ann);
            }
            g = g.element(snip);
        }
        for n in notes.into_iter().chain(d.notes.iter().map(|n| cut(n))) {
            g = g.element(Level::NOTE.message(n));
        }
        if let Some(h) = &d.help {
            g = g.element(Level::HELP.message(cut(h)));
        }
        g
    }
}

/// A span resolved to its file buffer.
struct Located<'a> {
    src: u32,
    first: u32,
    last: u32,
    range: std::ops::Range<usize>,
    label: &'a str,
    primary: bool,
}

/// Spans of one file at most this many lines apart share a snippet.
const SNIPPET_GAP: u32 = 8;

/// Bytes of 1-based line `l` of `src` (its newline included).
fn line_bytes(src: &crate::source::Source, l: u32) -> usize {
    let starts = &src.line_starts;
    let a = starts
        .get(l.saturating_sub(1) as usize)
        .map_or(0, |&s| s as usize);
    let b = starts
        .get(l as usize)
        .map_or(src.text.len(), |&e| e as usize);
    b.saturating_sub(a)
}

/// Longest source line shown in a snippet (bytes); longer lines are named, not printed.
pub const MAX_SNIPPET_LINE: usize = 1000;

/// Longest message, label or note printed (characters); the rest is cut with `…`.
pub const MAX_MESSAGE_CHARS: usize = 300;

/// `m` cut to [`MAX_MESSAGE_CHARS`] characters (messages quote source text, which may be
/// arbitrarily long: a 10-million-character mnemonic).
fn cut(m: &str) -> Cow<'_, str> {
    match m.char_indices().nth(MAX_MESSAGE_CHARS) {
        None => m.into(),
        Some((i, _)) => format!("{}… ({} bytes cut)", &m[..i], m.len() - i).into(),
    }
}
