//! The line driver of pass 1: source buffers and their lines, the loop that feeds every line
//! (of a file, an include, a macro body or a `.rept`/`.irp`/`.irpc` body) to the statement
//! handlers, the scan for block keywords (`.macro`/`.endm`/`.rept`/`.irp`/`.irpc`/`.endr`)
//! and line-table locations.

use std::path::PathBuf;
use std::rc::Rc;

use crate::diag::Diagnostic;
use crate::directive::{self, Block, Kind};
use crate::lexer::{self, LineToks, RawTok, RawToken};
use crate::source::{Origin, Source, Span};

use super::cond::{self, CondFrame};
use super::expand::Split;
use super::{Asm, Row, NONE};

impl<'o> Asm<'o> {
    pub(super) fn add_source(
        &mut self,
        name: String,
        text: Rc<str>,
        origin: Origin,
        path: Option<PathBuf>,
    ) -> u32 {
        let is_file = matches!(origin, Origin::File);
        let blanked = crate::comments::blank_block_comments(&text);
        let source = Source::new(name.clone(), text, origin);
        // Lines are delimited by newlines; a final line without one counts too.
        let n = if source.text.is_empty() || source.text.ends_with('\n') {
            source.line_starts.len() - 1
        } else {
            source.line_starts.len()
        };
        let id = self.sm.add(source);
        self.nlines.push(n as u32);
        match blanked {
            Some((code, open)) => {
                self.code.push(Some(code.into()));
                if let Some(at) = open {
                    let d =
                        Diagnostic::error(Span::new(id, at, at + 2), "unterminated block comment")
                            .label("this `/*` has no matching `*/`")
                            .note(
                                "everything after it to the end of the file is part of the comment",
                            );
                    self.error(d, NONE);
                }
            }
            None => self.code.push(None),
        }
        self.parsed_idx.push(vec![NONE; n]);
        self.paths.push(path);
        if is_file {
            let fi = match self.files.iter().position(|f| *f == name) {
                Some(i) => i as u32,
                None => {
                    self.files.push(name);
                    (self.files.len() - 1) as u32
                }
            };
            self.file_idx.push(fi);
        } else {
            self.file_idx.push(NONE);
        }
        id
    }

    /// Line-table location of a span in the context of an expansion.
    pub(super) fn loc(&self, sp: Span, exp: u32) -> (u32, u32, u32) {
        if exp != NONE {
            if let Some(e) = self.expansions.get(exp as usize) {
                return e.loc;
            }
        }
        let (csrc, cli) = self.cur_line;
        let fi = self.file_idx.get(sp.src as usize).copied().unwrap_or(NONE);
        if sp.src == csrc && fi != NONE {
            if let Some((lstart, lend)) = self.line_range(csrc, cli) {
                if (lstart..=lend).contains(&sp.start) {
                    let t = self.sm.sources[csrc as usize]
                        .text
                        .get(lstart as usize..sp.start as usize)
                        .unwrap_or("");
                    let col = if t.is_ascii() {
                        t.len()
                    } else {
                        t.chars().count()
                    };
                    return (fi, cli + 1, col as u32 + 1);
                }
            }
        }
        let sp = self.sm.to_file(sp);
        let fi = self.file_idx.get(sp.src as usize).copied().unwrap_or(0);
        let (l, c) = self
            .sm
            .sources
            .get(sp.src as usize)
            .map(|s| s.line_col(sp.start))
            .unwrap_or((0, 0));
        (if fi == NONE { 0 } else { fi }, l, c)
    }

    /// A file with a carriage return not followed by a newline (classic Mac line endings)
    /// is one long line to the lexer, whose errors would be misleading: report the first
    /// such character instead, and do not assemble the file.
    pub(super) fn lone_cr(&mut self, src: u32, exp: u32) -> bool {
        let text = &self.sm.sources[src as usize].text;
        let b = text.as_bytes();
        let Some(pos) = (0..b.len()).find(|&i| b[i] == b'\r' && b.get(i + 1) != Some(&b'\n'))
        else {
            return false;
        };
        let d = Diagnostic::error(
            Span::new(src, pos, pos + 1),
            "carriage return without a newline: this file seems to use CR-only line endings",
        )
        .label("lines must end with `\\n` (or `\\r\\n`)")
        .help("convert the line endings, e.g. `tr '\\r' '\\n'`");
        self.error(d, exp);
        true
    }

    /// Assemble the root buffer.
    pub(crate) fn run_root(&mut self, name: String, text: Rc<str>, path: Option<PathBuf>) {
        if let Some(p) = &path {
            if let Ok(c) = std::fs::canonicalize(p) {
                self.include_stack.push((c, Span::default()));
            }
        }
        let src = self.add_source(name, text, Origin::File, path);
        if self.lone_cr(src, NONE) {
            return;
        }
        for d in &self.opts.defines {
            let id = self.sym_id(&d.name);
            self.symtab[id as usize].def = super::SymDef::Value(d.value);
        }
        let n = self.nlines[src as usize];
        self.early_rows.reserve(n as usize);
        self.early_secs.reserve(n as usize);
        // Labels are a fraction of the lines; sizing the table up front avoids rehashing.
        self.syms.reserve(n as usize / 16);
        self.run(src, 0, n, NONE);
    }

    /// Run lines `from..to` of buffer `src`: one file, include, macro body or
    /// `.rept`/`.irp`/`.irpc` iteration. Conditionals opened here must close here.
    pub(super) fn run(&mut self, src: u32, from: u32, to: u32, exp: u32) {
        let mut conds: Vec<CondFrame> = Vec::new();
        let mut i = from;
        while i < to {
            let li = i;
            i += 1;
            if self.halted || !self.charge_statement(self.line_span(src, li), exp) {
                return;
            }
            if src == 0 && exp == NONE {
                self.root_line = li;
            }
            self.cur_line = (src, li);
            if !cond::active(&conds) {
                // A skipped line: never parsed; only conditionals are tracked.
                let mut toks = self.line_tokens(src, li);
                i += self
                    .join_continued(src, li, to, &mut toks, exp)
                    .unwrap_or(0);
                if let Some((Kind::Cond(c), sp)) = self.keyword_of(src, &toks) {
                    self.cond(src, li, c, sp, &mut conds, exp);
                }
                continue;
            }
            // A line with a cached parse is not a block keyword (those are never parsed),
            // except `.rept` and conditionals, whose parse holds their arguments; skip
            // lexing it again.
            let cached = self.parsed_idx[src as usize][li as usize];
            let mut toks = if cached == NONE
                || (!self.kw_lines.is_empty() && self.kw_lines.contains(&(src, li)))
            {
                self.line_tokens(src, li)
            } else {
                LineToks::new()
            };
            match self.keyword_of(src, &toks) {
                Some((Kind::Block(b), sp)) => {
                    match b {
                        Block::Macro => i = self.define_macro(src, li, to, sp, exp),
                        Block::Rept => i = self.rept(src, li, to, sp, exp),
                        Block::Irp => i = self.irp(src, li, to, sp, exp, Split::Commas),
                        Block::Irpc => i = self.irp(src, li, to, sp, exp, Split::Chars),
                        Block::Endm | Block::Endr => {
                            let (w, o) = if matches!(b, Block::Endm) {
                                ("`.endm`", "`.macro`")
                            } else {
                                ("`.endr`", "`.rept`, `.irp` or `.irpc`")
                            };
                            let d = Diagnostic::error(sp, format!("{w} without a matching {o}"))
                                .label("nothing to close here");
                            self.error(d, exp);
                        }
                    }
                    continue;
                }
                Some((Kind::Cond(c), sp)) => {
                    self.cond(src, li, c, sp, &mut conds, exp);
                    continue;
                }
                _ => {}
            }
            if cached == NONE {
                match self.join_continued(src, li, to, &mut toks, exp) {
                    Ok(k) => i += k,
                    Err(()) => continue,
                }
            } else if !self.cont.is_empty() {
                i += self.cont.get(&(src, li)).copied().unwrap_or(0);
            }
            self.stats.lines += 1;
            let row = self.rows.len();
            if self.opts.listing {
                self.rows.push(Row {
                    src,
                    line: li,
                    root_line: self.root_line,
                    sec: self.cur as u8,
                    off: self.secs[self.cur].size as u32,
                    len: 0,
                });
            }
            let Some(idx) = self.parse_line_toks(src, li, exp, &toks) else {
                continue;
            };
            if idx != 0 {
                self.stmt_no += 1;
            }
            let (sec0, off0) = (self.cur, self.secs[self.cur].size);
            let plain = self.statement(src, idx, exp);
            if std::mem::take(&mut self.line_done)
                && idx != 0
                && idx as usize + 1 == self.parsed.len()
                && self.single_use(src)
            {
                // Labels only, or encoded in pass 1, and not part of a repeated body: drop
                // the parsed line (it would be parsed again if it were ever revisited).
                self.parsed.pop();
                self.parsed_idx[src as usize][li as usize] = NONE;
            }
            if self.opts.listing && plain {
                if let Some(r) = self.rows.get_mut(row) {
                    let sec = &self.secs[self.cur];
                    if self.cur == sec0 {
                        r.off = off0 as u32;
                        r.len = (sec.size - off0) as u32;
                    } else {
                        r.sec = self.cur as u8;
                        r.off = sec.size as u32;
                    }
                }
            }
        }
        if !self.halted {
            self.unclosed_conds(&conds, exp);
        }
    }

    /// Whether the line being run in buffer `src` will not be run again, so its parse
    /// need not be cached: a macro expansion's own text (made for one invocation) unless
    /// a `.rept`/`.irp`/`.irpc` is repeating lines of it or a later invocation reused it; a file's lines outside any macro or
    /// `.rept` (a file can be included again, a macro body without parameters runs from
    /// its definition). A wrong guess costs only a second parse.
    pub(super) fn single_use(&self, src: u32) -> bool {
        match self.sm.sources[src as usize].origin {
            Origin::Expansion { .. } => {
                !self.repeating.contains(&src) && !self.shared_expansions.contains(&src)
            }
            Origin::File => self.rept_depth == 0 && self.macro_depth == 0,
        }
    }

    /// Byte range of line `li` of buffer `src`, without its newline.
    pub(super) fn line_range(&self, src: u32, li: u32) -> Option<(u32, u32)> {
        if li >= *self.nlines.get(src as usize)? {
            return None;
        }
        let s = self.sm.sources.get(src as usize)?;
        let start = *s.line_starts.get(li as usize)?;
        let end = match s.line_starts.get(li as usize + 1) {
            Some(&next) => next - 1,
            None => s.text.len() as u32,
        };
        Some((start, end))
    }

    pub(super) fn line_span(&self, src: u32, li: u32) -> Span {
        match self.line_range(src, li) {
            Some((start, end)) => Span { src, start, end },
            None => Span {
                src,
                start: 0,
                end: 0,
            },
        }
    }

    /// Lex line `li` of buffer `src` (with block comments blanked out).
    pub(super) fn line_tokens(&self, src: u32, li: u32) -> LineToks {
        match self.line_range(src, li) {
            Some((start, end)) => lexer::lex_line(self.code_text(src), start, end),
            None => LineToks::new(),
        }
    }

    /// The text of buffer `src` as the lexer sees it: block comments blanked out (same
    /// offsets as the source text).
    pub(super) fn code_text(&self, src: u32) -> &str {
        match self.code.get(src as usize) {
            Some(Some(c)) => c,
            _ => &self.sm.sources[src as usize].text,
        }
    }

    /// If `toks` (line `li`) ends with a lone `\`, drop it and append the tokens of the
    /// following lines (up to `to`) while they end with one too; returns how many lines
    /// were joined (remembered, so a revisit with a cached parse skips them too). `Err`
    /// (reported) for a continuation with no next line.
    pub(super) fn join_continued(
        &mut self,
        src: u32,
        li: u32,
        to: u32,
        toks: &mut LineToks,
        exp: u32,
    ) -> Result<u32, ()> {
        let mut k = 0;
        while let Some(t) = toks.last().copied() {
            if t.kind.is_some() || self.tok_text(src, &t) != "\\" {
                break;
            }
            toks.pop();
            if li + k + 1 >= to {
                let d = Diagnostic::error(t.span(src), "line continuation at the end of the input")
                    .label("`\\` joins the next line, but there is none")
                    .help("remove the trailing `\\`");
                self.error(d, exp);
                return Err(());
            }
            k += 1;
            toks.extend(self.line_tokens(src, li + k));
        }
        if k > 0 {
            self.cont.insert((src, li), k);
        }
        Ok(k)
    }

    pub(super) fn tok_text(&self, src: u32, t: &RawToken) -> &str {
        self.sm.sources[src as usize]
            .text
            .get(t.start as usize..t.end as usize)
            .unwrap_or("")
    }

    /// Is this line a block keyword (`.macro`, `.endm`, `.rept`, `.irp`, `.irpc`, `.endr`),
    /// after any labels?
    fn block_kw(&self, src: u32, li: u32) -> Option<(Block, Span)> {
        match self.keyword_of(src, &self.line_tokens(src, li))? {
            (Kind::Block(b), sp) => Some((b, sp)),
            _ => None,
        }
    }

    /// The block or conditional keyword a line's tokens start with, after any labels.
    pub(super) fn keyword_of(&self, src: u32, toks: &[RawToken]) -> Option<(Kind, Span)> {
        let mut k = 0;
        while k + 1 < toks.len()
            && matches!(
                toks[k].kind,
                Some(RawTok::Ident | RawTok::Number | RawTok::Param)
            )
            && toks[k + 1].kind == Some(RawTok::Colon)
        {
            k += 2;
        }
        let t = toks.get(k)?;
        if t.kind != Some(RawTok::Ident) {
            return None;
        }
        let s = self.tok_text(src, t);
        if !s.starts_with('.') {
            return None;
        }
        let sp = t.span(src);
        match directive::lookup(s)?.kind {
            k @ (Kind::Block(_) | Kind::Cond(_)) => Some((k, sp)),
            _ => None,
        }
    }

    /// Find the line closing the block opened at `li`, honouring nesting (any of `open`
    /// opens a level).
    pub(super) fn find_end(
        &self,
        src: u32,
        li: u32,
        to: u32,
        open: &[Block],
        close: Block,
    ) -> Option<u32> {
        let mut depth = 1;
        for j in li + 1..to {
            if let Some((b, _)) = self.block_kw(src, j) {
                if open.contains(&b) {
                    depth += 1;
                } else if b == close {
                    depth -= 1;
                    if depth == 0 {
                        return Some(j);
                    }
                }
            }
        }
        None
    }
}
