//! Diagnostics: errors with a primary span, secondary labels, notes and help, collected for
//! a whole run and rendered with ariadne (GNU-style `file:line:col` headers, spans underlined).

use ariadne::{Color, Config, IndexType, Label, Report, ReportKind};

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

    /// Render every diagnostic (ariadne snippets) plus a summary line. `color` selects ANSI
    /// colours (for terminals) or plain text (for files and tests).
    pub fn render(&self, color: bool) -> String {
        let mut out = Vec::new();
        // Only the buffers a diagnostic points into (there may be millions of includes).
        let mut used: Vec<u32> = self
            .list
            .iter()
            .flat_map(|d| std::iter::once(d.span).chain(d.secondary.iter().map(|s| s.0)))
            .map(|sp| self.sources.to_file(sp).src)
            .collect();
        used.sort_unstable();
        used.dedup();
        let files: Vec<(String, String)> = used
            .iter()
            .filter_map(|&i| self.sources.sources.get(i as usize))
            .map(|s| (s.name.clone(), s.text.to_string()))
            .collect();
        let mut cache = ariadne::sources(files);
        let config = Config::default()
            .with_color(color)
            .with_index_type(IndexType::Byte);
        for d in &self.list {
            let (kind, col) = match d.severity {
                Severity::Error => (ReportKind::Error, Color::Red),
                Severity::Warning => (ReportKind::Warning, Color::Yellow),
            };
            let id = |sp: Span| {
                let sp = self.sources.to_file(sp);
                let name = self
                    .sources
                    .sources
                    .get(sp.src as usize)
                    .map(|s| s.name.clone())
                    .unwrap_or_default();
                (name, sp.start as usize..sp.end as usize)
            };
            if let Some(plain) = self.render_long_line(d) {
                out.extend_from_slice(plain.as_bytes());
                continue;
            }
            let mut b = Report::build(kind, id(d.span))
                .with_config(config)
                .with_message(cut(&d.message));
            // ariadne keeps labels of one file in one snippet only when they come in line
            // order, so order them by position.
            let mut labels: Vec<(Span, &str, bool)> = vec![(d.span, d.label.as_str(), true)];
            labels.extend(d.secondary.iter().map(|(sp, l)| (*sp, l.as_str(), false)));
            let mut keyed: Vec<((u32, u32), Span, &str, bool)> = labels
                .into_iter()
                .map(|(sp, l, p)| {
                    let f = self.sources.to_file(sp);
                    ((f.src, f.start), sp, l, p)
                })
                .collect();
            keyed.sort_by_key(|k| k.0);
            for (order, (_, sp, l, is_primary)) in keyed.into_iter().enumerate() {
                let mut label = Label::new(id(sp))
                    .with_color(if is_primary { col } else { Color::Blue })
                    .with_order(order as i32);
                if !l.is_empty() {
                    label = label.with_message(cut(l));
                }
                b.add_label(label);
            }
            for n in &d.notes {
                b.add_note(cut(n));
            }
            if let Some(h) = &d.help {
                b.add_help(cut(h));
            }
            let _ = b.finish().write(&mut cache, &mut out);
        }
        let mut s = String::from_utf8_lossy(&out).into_owned();
        let (e, w) = (self.error_count(), self.warning_count());
        if e > 0 || w > 0 {
            let plural =
                |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
            match (e, w) {
                (0, w) => s.push_str(&format!("{} emitted\n", plural(w, "warning"))),
                (e, 0) => s.push_str(&format!("could not assemble: {}\n", plural(e, "error"))),
                (e, w) => s.push_str(&format!(
                    "could not assemble: {}, {}\n",
                    plural(e, "error"),
                    plural(w, "warning")
                )),
            }
        }
        s
    }

    /// A diagnostic whose primary line is longer than [`MAX_SNIPPET_LINE`] bytes, rendered
    /// without the snippet (a 10-million-character line would otherwise be printed whole).
    fn render_long_line(&self, d: &Diagnostic) -> Option<String> {
        let sp = self.sources.to_file(d.span);
        let src = self.sources.sources.get(sp.src as usize)?;
        let (line, col) = src.line_col(sp.start);
        let starts = &src.line_starts;
        let a = *starts.get(line.saturating_sub(1) as usize)? as usize;
        let b = starts
            .get(line as usize)
            .map_or(src.text.len(), |&e| e as usize);
        let len = b.saturating_sub(a);
        if len <= MAX_SNIPPET_LINE {
            return None;
        }
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut s = format!(
            "{kind}: {}\n  --> {}:{line}:{col}\n   = note: line {line} is {len} bytes long; not shown\n",
            cut(&d.message),
            src.name
        );
        if !d.label.is_empty() {
            s.push_str(&format!("   = note: {}\n", cut(&d.label)));
        }
        for n in &d.notes {
            s.push_str(&format!("   = note: {}\n", cut(n)));
        }
        if let Some(h) = &d.help {
            s.push_str(&format!("   = help: {}\n", cut(h)));
        }
        Some(s)
    }
}

/// Longest source line shown in a snippet (bytes); longer lines are named, not printed.
pub const MAX_SNIPPET_LINE: usize = 1000;

/// Longest message, label or note printed (characters); the rest is cut with `…`.
pub const MAX_MESSAGE_CHARS: usize = 300;

/// `m` cut to [`MAX_MESSAGE_CHARS`] characters (messages quote source text, which may be
/// arbitrarily long: a 10-million-character mnemonic).
fn cut(m: &str) -> std::borrow::Cow<'_, str> {
    match m.char_indices().nth(MAX_MESSAGE_CHARS) {
        None => m.into(),
        Some((i, _)) => format!("{}… ({} bytes cut)", &m[..i], m.len() - i).into(),
    }
}
