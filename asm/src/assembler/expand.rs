//! Expansion: macro definitions and invocations (with parameter substitution), `.rept`
//! blocks, `.irp`/`.irpc` blocks (one shared implementation, parameterised by how the
//! values are split) and `.include` files. Each runs its lines through the line driver
//! again.

use std::path::{Path, PathBuf};

use crate::ast::{Arg, Label};
use crate::diag::Diagnostic;
use crate::directive::{self, Block};
use crate::lexer::{self, RawTok, RawToken};
use crate::source::{Origin, Segment, Span};

use super::{plural, stmt_span, Asm, Expansion, Macro, MAX_NEST, MAX_REPT};

/// How `.irp` and `.irpc` split the values after their parameter name. Either way, a
/// directive with nothing after the name (or after its comma) runs the body once with the
/// parameter empty, as GNU `as` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Split {
    /// `.irp`: the text between commas outside parentheses, as written.
    Commas,
    /// `.irpc`: each character of the text, as GNU `as` does: blanks are skipped and a `"`
    /// opens or closes a quoted part in which blanks are characters too; the quotes
    /// themselves are never values (so `""` is no values at all: no iterations).
    Chars,
}

impl Split {
    /// The directive that splits this way.
    fn directive(self) -> &'static str {
        match self {
            Split::Commas => ".irp",
            Split::Chars => ".irpc",
        }
    }

    /// Example values for help messages.
    fn example(self) -> &'static str {
        match self {
            Split::Commas => "value1, value2",
            Split::Chars => "0123",
        }
    }
}

impl<'o> Asm<'o> {
    pub(super) fn macro_key(&self, n: &str) -> Option<Box<str>> {
        if self.macros.contains_key(n) {
            return Some(n.into());
        }
        let l = n.to_ascii_lowercase();
        self.macros.contains_key(l.as_str()).then(|| l.into())
    }

    pub(super) fn define_macro(&mut self, src: u32, li: u32, to: u32, kw: Span, exp: u32) -> u32 {
        let Some(end) = self.find_end(src, li, to, &[Block::Macro], Block::Endm) else {
            let d = Diagnostic::error(kw, "unterminated macro definition")
                .label("this `.macro` has no matching `.endm`")
                .help("add `.endm` after the macro body");
            self.error(d, exp);
            return to;
        };
        // Hand-parse `.macro name [p1[=default]] [,] p2 ...` from raw tokens.
        let toks: Vec<RawToken> = self.line_tokens(src, li).to_vec();
        let k = toks.iter().position(|t| t.start == kw.start).unwrap_or(0);
        let rest = &toks[k + 1..];
        let tspan = |t: &RawToken| t.span(src);
        let Some(name_tok) = rest.first().filter(|t| t.kind == Some(RawTok::Ident)) else {
            let d = Diagnostic::error(
                rest.first().map(tspan).unwrap_or(kw),
                "expected a macro name after `.macro`",
            )
            .label("macro name missing");
            self.error(d, exp);
            return end + 1;
        };
        let name = self.tok_text(src, name_tok).to_string();
        let name_sp = tspan(name_tok);
        let mut params: Vec<(Box<str>, Option<String>)> = Vec::new();
        let mut j = 1;
        let mut bad = None;
        while j < rest.len() {
            let t = &rest[j];
            match t.kind {
                Some(RawTok::Comma) => j += 1,
                Some(RawTok::Ident) if !self.tok_text(src, t).starts_with('.') => {
                    let p = self.tok_text(src, t).to_string();
                    j += 1;
                    let mut def = None;
                    if rest.get(j).and_then(|t| t.kind) == Some(RawTok::Eq) {
                        if let Some(v) = rest.get(j + 1).filter(|t| t.kind != Some(RawTok::Comma)) {
                            def = Some(self.tok_text(src, v).to_string());
                            j += 2;
                        } else {
                            bad = Some(tspan(&rest[j]));
                            break;
                        }
                    }
                    if params.iter().any(|(q, _)| **q == *p) {
                        bad = Some(tspan(t));
                        break;
                    }
                    params.push((p.into(), def));
                }
                _ => {
                    bad = Some(tspan(t));
                    break;
                }
            }
        }
        if let Some(sp) = bad {
            let d = Diagnostic::error(sp, "invalid macro parameter list")
                .label("expected a parameter name (optionally `name=default`)")
                .help("write `.macro name p1, p2` and use the parameters as `\\p1`, `\\p2`");
            self.error(d, exp);
            return end + 1;
        }
        if directive::lookup(&name).is_some() || name.starts_with('.') {
            let d = Diagnostic::error(name_sp, format!("`{name}` cannot be a macro name"))
                .label("directives cannot be redefined");
            self.error(d, exp);
            return end + 1;
        }
        let body = {
            let start = self.line_range(src, li + 1).map(|l| l.0).unwrap_or(0);
            let end_b = self.line_range(src, end).map(|l| l.0).unwrap_or(start);
            (start, end_b.max(start))
        };
        let body_text = self.sm.sources[src as usize]
            .text
            .get(body.0 as usize..body.1 as usize)
            .unwrap_or("");
        let has_backslash = body_text.contains('\\');
        let has_counter = body_text.contains("\\@");
        if let Some(m) = self.macros.get(name.as_str()) {
            let d = Diagnostic::error(name_sp, format!("macro `{name}` is already defined"))
                .label("redefined here")
                .with(m.span, "first defined here");
            self.error(d, exp);
            return end + 1;
        }
        self.macros.insert(
            name.clone().into(),
            Macro {
                name: name.into(),
                params: params.into(),
                src,
                body: (li + 1, end),
                has_backslash,
                has_counter,
                span: name_sp,
            },
        );
        let _ = body;
        end + 1
    }

    pub(super) fn invoke_macro(&mut self, key: &str, site: Span, args: &[Arg], exp: u32) {
        let Some(m) = self.macros.get(key) else {
            return;
        };
        let (msrc, body, has_bs, has_counter, mspan) =
            (m.src, m.body, m.has_backslash, m.has_counter, m.span);
        let mname = m.name.clone();
        let params = m.params.clone();
        let arity_err = |sp: Span, label: String| {
            Diagnostic::error(
                sp,
                format!(
                    "macro `{mname}` takes {}, found {}",
                    plural(params.len(), "argument"),
                    args.len()
                ),
            )
            .label(label)
            .with(mspan, "macro defined here")
        };
        if args.len() > params.len() {
            let extra = args[params.len()].span().to(args[args.len() - 1].span());
            let d = arity_err(extra, "unexpected argument".into());
            self.error(d, exp);
            return;
        }
        let mut values: Vec<String> = Vec::with_capacity(params.len());
        for (i, (p, def)) in params.iter().enumerate() {
            match (args.get(i), def) {
                (Some(a), _) => values.push(self.text(a.span()).to_string()),
                (None, Some(d)) => values.push(d.clone()),
                (None, None) => {
                    let d = arity_err(site, format!("missing a value for `\\{p}`"));
                    self.error(d, exp);
                    return;
                }
            }
        }
        if self.macro_depth >= MAX_NEST {
            let d = Diagnostic::error(site, format!("macro expansion nested more than {MAX_NEST} levels deep"))
                .label(format!("expanding `{mname}` here"))
                .note("a macro that invokes itself needs a condition that stops the recursion; Loom assembly has none, so recursion never ends");
            self.error(d, exp);
            return;
        }
        let body_bytes = match (self.line_range(msrc, body.0), body.1 > body.0) {
            (Some((a, _)), true) => self
                .line_range(msrc, body.1 - 1)
                .map_or(0, |(_, b)| b.saturating_sub(a) as u64),
            _ => 0,
        };
        let bytes = body_bytes + crate::EXPANSION_OVERHEAD;
        if !self.charge_bytes(bytes, site, &format!("expanding `{mname}`"), exp) {
            return;
        }
        self.stats.macro_expansions += 1;
        let loc = self.loc(site, exp);
        self.expansions.push(Expansion {
            name: mname.clone(),
            site,
            parent: exp,
            loc,
        });
        let eid = (self.expansions.len() - 1) as u32;
        let counter = self.macro_counter;
        self.macro_counter += 1;
        self.macro_depth += 1;
        if !has_bs {
            self.run(msrc, body.0, body.1, eid);
        } else {
            let start = self.line_range(msrc, body.0).map(|l| l.0).unwrap_or(0);
            let end = if body.1 > body.0 {
                self.line_range(msrc, body.1 - 1)
                    .map(|l| l.1)
                    .unwrap_or(start)
            } else {
                start
            };
            let body_text = self
                .code_text(msrc)
                .get(start as usize..end as usize)
                .unwrap_or("");
            let (out, segments) = substitute(body_text, start, &params, &values, Some(counter));
            // Diagnostics name the file a span maps back to; only the listing shows an
            // expansion's own name.
            let name = if self.opts.listing {
                format!("<macro {mname}>")
            } else {
                String::new()
            };
            // An invocation with the same arguments as an earlier one (same text, same
            // substitutions) runs the earlier expansion's buffer again, as a macro without
            // parameters runs its definition: no second copy, and its lines are parsed
            // once. Not for bodies with `\@` (every expansion differs).
            let memo = (!has_counter).then(|| memo_key(msrc, start, &out, &segments));
            let reuse = memo
                .and_then(|k| self.expansion_memo.get(&k).copied())
                .filter(|&b| self.same_expansion(b, msrc, start, &out, &segments));
            let src = match reuse {
                Some(b) => {
                    self.shared_expansions.insert(b);
                    b
                }
                None => {
                    let b = self.add_source(
                        name,
                        out.into(),
                        Origin::Expansion {
                            def: msrc,
                            start,
                            segments,
                        },
                        None,
                    );
                    if let Some(k) = memo {
                        self.expansion_memo.insert(k, b);
                    }
                    b
                }
            };
            let reported = self.reported();
            let n = self.nlines[src as usize];
            self.run(src, 0, n, eid);
            if self.reported() != reported {
                // Its diagnostics are reported once per expansion: a later invocation
                // makes a new buffer (a reused one would find its failed lines cached).
                if let Some(k) = memo {
                    self.expansion_memo.remove(&k);
                }
            }
        }
        self.macro_depth -= 1;
    }

    /// Whether buffer `b` is the expansion that `out`/`segments` of the body at `start` of
    /// `def` would make.
    fn same_expansion(
        &self,
        b: u32,
        def: u32,
        start: u32,
        out: &str,
        segments: &[Segment],
    ) -> bool {
        let s = &self.sm.sources[b as usize];
        match &s.origin {
            Origin::Expansion {
                def: d,
                start: st,
                segments: sg,
            } => *d == def && *st == start && **sg == *segments && *s.text == *out,
            Origin::File => false,
        }
    }

    /// Diagnostics reported (or suppressed) so far.
    fn reported(&self) -> usize {
        self.diags.len() + self.warnings.len() + self.suppressed_errors + self.include_cascade
    }

    pub(super) fn rept(&mut self, src: u32, li: u32, to: u32, kw: Span, exp: u32) -> u32 {
        let Some(end) = self.find_end(src, li, to, directive::REPEATS, Block::Endr) else {
            let d = Diagnostic::error(kw, "unterminated `.rept`")
                .label("this `.rept` has no matching `.endr`")
                .help("add `.endr` after the repeated lines");
            self.error(d, exp);
            return to;
        };
        self.stats.lines += 1;
        self.kw_lines.insert((src, li));
        let Some(idx) = self.parse_line(src, li, exp) else {
            return end + 1;
        };
        let line = self.parsed[idx as usize].clone();
        self.seq += 1;
        for l in &line.labels {
            self.define_label(l, exp);
        }
        let args = line.args();
        let n = match args {
            [Arg::Expr(e)] => match self.const1(e, exp, "`.rept` count") {
                Some(n) => n,
                None => return end + 1,
            },
            _ => {
                let d = Diagnostic::error(
                    stmt_span(kw, args),
                    "`.rept` takes one argument, the repeat count",
                )
                .label(format!("found {}", plural(args.len(), "argument")));
                self.error(d, exp);
                return end + 1;
            }
        };
        let esp = args[0].span();
        if n < 0 {
            let d = Diagnostic::error(
                esp,
                format!("`.rept` count must not be negative, found {n}"),
            )
            .label("negative repeat count");
            self.error(d, exp);
            return end + 1;
        }
        if n > MAX_REPT {
            let d = Diagnostic::error(
                esp,
                format!("`.rept` count {n} is too large (at most {MAX_REPT})"),
            )
            .label("repeat count");
            self.error(d, exp);
            return end + 1;
        }
        if self.rept_depth >= MAX_NEST {
            let d = Diagnostic::error(
                kw,
                format!("`.rept` nested more than {MAX_NEST} levels deep"),
            )
            .label("too deep");
            self.error(d, exp);
            return end + 1;
        }
        self.rept_depth += 1;
        self.repeating.push(src);
        for _ in 0..n {
            // Every iteration counts, so an empty body repeated 10^7 × 10^7 times stops.
            if !self.charge_statement(kw, exp) {
                break;
            }
            self.run(src, li + 1, end, exp);
        }
        self.repeating.pop();
        self.rept_depth -= 1;
        end + 1
    }

    /// `.irp SYM, V1, V2, ...` or `.irpc SYM, CHARS` … `.endr` (which one: `split`): the
    /// body once per value, with `\SYM` replaced by the value's text (GNU semantics; see
    /// [`Split`] for the values and when there are none).
    pub(super) fn irp(
        &mut self,
        src: u32,
        li: u32,
        to: u32,
        kw: Span,
        exp: u32,
        split: Split,
    ) -> u32 {
        let dir = split.directive();
        let Some(end) = self.find_end(src, li, to, directive::REPEATS, Block::Endr) else {
            let d = Diagnostic::error(kw, format!("unterminated `{dir}`"))
                .label(format!("this `{dir}` has no matching `.endr`"))
                .help("add `.endr` after the repeated lines");
            self.error(d, exp);
            return to;
        };
        self.stats.lines += 1;
        let toks: Vec<RawToken> = self.line_tokens(src, li).to_vec();
        let k = toks.iter().position(|t| t.start == kw.start).unwrap_or(0);
        self.seq += 1;
        self.define_raw_labels(src, &toks[..k], exp);
        let rest = &toks[k + 1..];
        let Some(sym) = rest.first().filter(|t| t.kind == Some(RawTok::Ident)) else {
            let d = Diagnostic::error(
                rest.first().map(|t| t.span(src)).unwrap_or(kw),
                format!("expected a parameter name after `{dir}`"),
            )
            .label("parameter name missing")
            .help(format!(
                "write `{dir} NAME, {}` and use `\\NAME` in the body",
                split.example()
            ));
            self.error(d, exp);
            return end + 1;
        };
        let sym_name: Box<str> = self.tok_text(src, sym).into();
        let vals = &rest[1..];
        let values = match vals.first() {
            None => vec![String::new()],
            Some(t) if t.kind == Some(RawTok::Comma) => {
                match self.irp_values(src, &vals[1..], split) {
                    Ok(v) => v,
                    Err(d) => {
                        self.error(d, exp);
                        return end + 1;
                    }
                }
            }
            Some(t) => {
                let d = Diagnostic::error(
                    t.span(src),
                    format!("expected `,` after the `{dir}` parameter name"),
                )
                .label("expected `,`")
                .help(format!("write `{dir} NAME, {}`", split.example()));
                self.error(d, exp);
                return end + 1;
            }
        };
        if self.rept_depth >= MAX_NEST {
            let d = Diagnostic::error(
                kw,
                format!("`{dir}` nested more than {MAX_NEST} levels deep"),
            )
            .label("too deep");
            self.error(d, exp);
            return end + 1;
        }
        let (start, stop) = match (self.line_range(src, li + 1), end > li + 1) {
            (Some((a, _)), true) => (a, self.line_range(src, end - 1).map_or(a, |l| l.1)),
            _ => (0, 0),
        };
        let body_text: String = self
            .code_text(src)
            .get(start as usize..stop as usize)
            .unwrap_or("")
            .to_string();
        let params = [(sym_name, None)];
        let what = format!("this `{dir}`");
        self.rept_depth += 1;
        self.repeating.push(src);
        for v in values {
            if !self.charge_statement(kw, exp) {
                break;
            }
            if !body_text.contains('\\') {
                self.run(src, li + 1, end, exp);
                continue;
            }
            let (out, segments) = substitute(&body_text, start, &params, &[v], None);
            if !self.charge_bytes(out.len() as u64 + crate::EXPANSION_OVERHEAD, kw, &what, exp) {
                break;
            }
            let name = format!("<{} {}>", &dir[1..], params[0].0);
            let nsrc = self.add_source(
                name,
                out.into(),
                Origin::Expansion {
                    def: src,
                    start,
                    segments,
                },
                None,
            );
            let n = self.nlines[nsrc as usize];
            self.run(nsrc, 0, n, exp);
        }
        self.repeating.pop();
        self.rept_depth -= 1;
        end + 1
    }

    /// The values of a `.irp`/`.irpc` from the tokens after the comma that follows its
    /// parameter name (see [`Split`]).
    fn irp_values(
        &self,
        src: u32,
        vals: &[RawToken],
        split: Split,
    ) -> Result<Vec<String>, Diagnostic> {
        let text = self.code_text(src);
        let slice = |a: &RawToken, b: &RawToken| {
            text.get(a.start as usize..b.end as usize)
                .unwrap_or("")
                .to_string()
        };
        let (Some(first), Some(last)) = (vals.first(), vals.last()) else {
            // Nothing after the comma: once, with the parameter empty.
            return Ok(vec![String::new()]);
        };
        match split {
            Split::Commas => {
                // The text between commas (at parenthesis depth 0), as written.
                let mut values = Vec::new();
                let mut depth = 0i32;
                let mut run: Option<(&RawToken, &RawToken)> = None;
                for t in vals {
                    match t.kind {
                        Some(RawTok::LParen) => depth += 1,
                        Some(RawTok::RParen) => depth -= 1,
                        Some(RawTok::Comma) if depth <= 0 => {
                            values.push(run.map_or(String::new(), |(a, b)| slice(a, b)));
                            run = None;
                            continue;
                        }
                        _ => {}
                    }
                    run = Some((run.map_or(t, |r| r.0), t));
                }
                values.push(run.map_or(String::new(), |(a, b)| slice(a, b)));
                Ok(values)
            }
            Split::Chars => {
                if let Some(t) = vals.iter().find(|t| t.kind == Some(RawTok::UntermStr)) {
                    return Err(
                        Diagnostic::error(t.span(src), "unterminated string literal")
                            .label("string starts here and runs to the end of the line")
                            .help("add the closing `\"`"),
                    );
                }
                // Every character but the quotes; blanks only inside quotes.
                let mut quoted = false;
                let mut values = Vec::new();
                for c in slice(first, last).chars() {
                    if c == '"' {
                        quoted = !quoted;
                    } else if quoted || !c.is_whitespace() {
                        values.push(c.to_string());
                    }
                }
                Ok(values)
            }
        }
    }

    /// Define the labels written before a block keyword (`name:` and `1:` tokens).
    fn define_raw_labels(&mut self, src: u32, toks: &[RawToken], exp: u32) {
        for pair in toks.chunks(2) {
            let t = &pair[0];
            let l = match t.kind {
                Some(RawTok::Ident) => Label::Named(t.span(src)),
                Some(RawTok::Number) => match lexer::classify_number(self.tok_text(src, t)) {
                    Ok(lexer::NumClass::Value(n)) => {
                        Label::Numeric(n.clamp(0, u32::MAX as i64) as u32, t.span(src))
                    }
                    _ => continue,
                },
                _ => continue,
            };
            self.define_label(&l, exp);
        }
    }

    /// The file named by the string literal `s` in source `src`, as `.include` resolves
    /// it: the name as written and the source whose file it is relative to (for macro
    /// expansions, the macro's definition).
    pub(super) fn named_file(&self, src: u32, s: Span) -> (String, u32) {
        let mut bytes = Vec::new();
        let _ = lexer::unescape(self.str_body(s), &mut bytes);
        let rel = String::from_utf8_lossy(&bytes).into_owned();
        let mut s0 = src;
        for _ in 0..256 {
            match self.sm.sources.get(s0 as usize).map(|x| &x.origin) {
                Some(Origin::Expansion { def, .. }) => s0 = *def,
                _ => break,
            }
        }
        (rel, s0)
    }

    /// Where to look for `rel` named in source `s0`, in order: beside that file, then in
    /// each include directory.
    pub(super) fn file_candidates(&self, rel: &str, s0: u32) -> Vec<PathBuf> {
        let base_dir = self.paths[s0 as usize]
            .as_ref()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        let mut tried = vec![base_dir.join(rel)];
        for d in &self.opts.include_dirs {
            tried.push(d.join(rel));
        }
        tried
    }

    pub(super) fn include(&mut self, src: u32, s: Span, sp: Span, exp: u32) {
        let (rel, s0) = self.named_file(src, s);
        let key = (s0, rel.clone());
        let (path, canon) = match self.include_resolved.get(&key) {
            Some(v) => v.clone(),
            None => {
                let tried = self.file_candidates(&rel, s0);
                let Some(path) = tried.iter().find(|p| p.is_file()).cloned() else {
                    if let Some(p) = tried.iter().find(|p| p.exists()) {
                        let d = Diagnostic::error(
                            s,
                            format!("cannot include `{}`: not a regular file", p.display()),
                        )
                        .label("a directory, device or pipe cannot be included");
                        self.include_error(d, exp);
                        return;
                    }
                    let mut d = Diagnostic::error(s, format!("include file not found: `{rel}`"))
                        .label("no such file");
                    let list: Vec<String> = tried.iter().map(|p| p.display().to_string()).collect();
                    d = d.note(format!("looked for: {}", list.join(", ")));
                    d = d.help("include paths are relative to the including file");
                    self.include_error(d, exp);
                    return;
                };
                let canon = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
                self.include_resolved
                    .insert(key, (path.clone(), canon.clone()));
                (path, canon)
            }
        };
        if let Some(pos) = self.include_stack.iter().position(|(p, _)| *p == canon) {
            let mut chain: Vec<String> = self.include_stack[pos..]
                .iter()
                .map(|(p, _)| {
                    p.file_name()
                        .map(|f| f.to_string_lossy().into_owned())
                        .unwrap_or_default()
                })
                .collect();
            chain.push(
                canon
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            );
            let mut d = Diagnostic::error(
                s,
                format!("include cycle: `{rel}` is already being included"),
            )
            .label("this would include it again");
            for (_, site) in self.include_stack[pos + 1..].iter() {
                d = d.with(*site, "included from here");
            }
            d = d.note(format!("cycle: {}", chain.join(" -> ")));
            self.include_error(d, exp);
            return;
        }
        if self.include_stack.len() >= MAX_NEST {
            let d = Diagnostic::error(
                sp,
                format!("includes nested more than {MAX_NEST} levels deep"),
            )
            .label("too deep");
            self.include_error(d, exp);
            return;
        }
        let nsrc = match self.include_cache.get(&canon) {
            // Included before: reuse the buffer (and its parse cache); only the lines run
            // again (and count as statements), so a million includes of one file cost a
            // million runs of its lines, not a million copies of it.
            Some(&nsrc) => nsrc,
            None => {
                let text = match bitloom_isa::srcfile::read_capped(&path, crate::MAX_SOURCE_BYTES) {
                    Ok(b) => match String::from_utf8(b) {
                        Ok(t) => t,
                        Err(e) => {
                            let d = Diagnostic::error(
                                s,
                                format!("`{}` is not valid UTF-8", path.display()),
                            )
                            .label({
                                let at = e.utf8_error().valid_up_to();
                                let before = &e.as_bytes()[..at];
                                let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
                                let col = before
                                    .rsplit(|&b| b == b'\n')
                                    .next()
                                    .map_or(0, |l| String::from_utf8_lossy(l).chars().count())
                                    + 1;
                                format!(
                                    "invalid byte at {}:{line}:{col} (offset {at})",
                                    path.display()
                                )
                            });
                            self.include_error(d, exp);
                            return;
                        }
                    },
                    Err(e) => {
                        let d =
                            Diagnostic::error(s, format!("cannot read `{}`: {e}", path.display()))
                                .label("included here");
                        self.include_error(d, exp);
                        return;
                    }
                };
                let len = text.len() as u64;
                if !self.charge_bytes(len + crate::EXPANSION_OVERHEAD, sp, "this include", exp) {
                    return;
                }
                let name = path.display().to_string();
                let nsrc = self.add_source(name, text.into(), Origin::File, Some(path));
                self.include_site.insert(nsrc, s);
                if self.lone_cr(nsrc, exp) {
                    return;
                }
                self.include_cache.insert(canon.clone(), nsrc);
                nsrc
            }
        };
        self.include_stack.push((canon, s));
        let n = self.nlines[nsrc as usize];
        self.run(nsrc, 0, n, exp);
        self.include_stack.pop();
    }
}

/// The key of an expansion in `Asm::expansion_memo`.
fn memo_key(def: u32, start: u32, out: &str, segments: &[Segment]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    (def, start, out).hash(&mut h);
    for s in segments {
        (s.exp, s.len, s.orig, s.orig_len).hash(&mut h);
    }
    h.finish()
}

/// Substitute macro (or `.irp`/`.irpc`) parameters in `body` (which starts at byte `base` of its
/// buffer); `\@` becomes `counter` when there is one (macros), else stays. Returns the text
/// and its substitutions (see [`Segment`]).
fn substitute(
    body: &str,
    base: u32,
    params: &[(Box<str>, Option<String>)],
    values: &[String],
    counter: Option<u32>,
) -> (String, Box<[Segment]>) {
    let mut out = String::with_capacity(body.len() + 16);
    let mut segs = Vec::new();
    let counter = counter.map(|c| c.to_string());
    let b = body.as_bytes();
    let mut i = 0;
    let mut lit_start = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        let start = i;
        let (rep, end): (Option<&str>, usize) = if b.get(i + 1) == Some(&b'@') {
            (counter.as_deref(), i + 2)
        } else if b.get(i + 1) == Some(&b'(') && b.get(i + 2) == Some(&b')') {
            (Some(""), i + 3)
        } else {
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            let id = &body[i + 1..j];
            match params.iter().position(|(p, _)| **p == *id) {
                Some(k) if j > i + 1 => (values.get(k).map(String::as_str), j),
                _ => (None, j.max(i + 1)),
            }
        };
        if let Some(r) = rep {
            out.push_str(&body[lit_start..start]);
            segs.push(Segment {
                exp: out.len() as u32,
                len: r.len() as u32,
                orig: base + start as u32,
                orig_len: (end - start) as u32,
            });
            out.push_str(r);
            lit_start = end;
        }
        i = end;
    }
    out.push_str(&body[lit_start..]);
    out.push('\n');
    (out, segs.into_boxed_slice())
}

#[cfg(test)]
mod tests {
    use super::substitute;
    use crate::source::{Origin, Source, SourceMap, Span};

    /// Every span of an expansion maps back to the definition text it came from: copied
    /// text byte for byte, a substituted value to the whole `\param` reference.
    #[test]
    fn expansion_spans_map_to_the_definition() {
        let def = "  .macro m a, bb\n  add \\a, \\bb, r\\()3 ; \\@ \\q\n  .endm\n";
        let start = def.find("  add").unwrap();
        let end = def[start..].find('\n').unwrap() + start;
        let body = &def[start..end];
        let params = [("a".into(), None), ("bb".into(), None)];
        let values = ["r1".to_string(), "r22".to_string()];
        let (out, segs) = substitute(body, start as u32, &params, &values, Some(7));
        assert_eq!(out, "  add r1, r22, r3 ; 7 \\q\n");
        assert_eq!(segs.len(), 4);
        let mut sm = SourceMap::default();
        let d = sm.add(Source::new("d.s".into(), def.into(), Origin::File));
        let e = sm.add(Source::new(
            "<macro m>".into(),
            out.as_str().into(),
            Origin::Expansion {
                def: d,
                start: start as u32,
                segments: segs,
            },
        ));
        let back = |a: &str| {
            let i = out.find(a).unwrap() as u32;
            let f = sm.to_file(Span {
                src: e,
                start: i,
                end: i + a.len() as u32,
            });
            assert_eq!(f.src, d);
            &def[f.start as usize..f.end as usize]
        };
        assert_eq!(back("add"), "add");
        assert_eq!(back("r1"), "\\a");
        assert_eq!(back("r22"), "\\bb");
        assert_eq!(back("r1, r22"), "\\a, \\bb");
        assert_eq!(back("r3"), "r\\()3");
        assert_eq!(back("7"), "\\@");
        assert_eq!(back("\\q"), "\\q");
        assert_eq!(back("\n"), "\n");
        // An empty span maps to an empty span at the right place.
        let i = out.find("r22").unwrap() as u32 + 3;
        let f = sm.to_file(Span {
            src: e,
            start: i,
            end: i,
        });
        assert_eq!(
            &def[f.start as usize..],
            &def[def.find(", r\\()").unwrap()..]
        );
    }
}
