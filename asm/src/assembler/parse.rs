//! Parsing one line: the fast path, the lexical and nesting checks, the lalrpop grammar, the
//! per-line parse cache, and the lexer and parser errors turned into diagnostics.

use crate::ast::{Arg, Line};
use crate::diag::Diagnostic;
use crate::fastparse;
use crate::lexer::{self, LexError, LineToks, RawTok, RawToken, Tok};
use crate::source::Span;

use super::{Asm, FAILED, MAX_OPERATORS, MAX_PARENS, NONE};

impl<'o> Asm<'o> {
    /// Parse a line (cached). Reports lexical and syntax errors; `None` if it had any.
    pub(super) fn parse_line(&mut self, src: u32, li: u32, exp: u32) -> Option<u32> {
        // A line with a cached parse (or a cached failure) needs no tokens.
        let toks = if self.parsed_idx[src as usize][li as usize] == NONE {
            self.line_tokens(src, li)
        } else {
            LineToks::new()
        };
        self.parse_line_toks(src, li, exp, &toks)
    }

    /// [`Asm::parse_line`] with the line's tokens already lexed (any tokens if it is cached).
    pub(super) fn parse_line_toks(
        &mut self,
        src: u32,
        li: u32,
        exp: u32,
        toks: &[RawToken],
    ) -> Option<u32> {
        let cached = self.parsed_idx[src as usize][li as usize];
        if cached == FAILED {
            return None;
        }
        if cached != NONE {
            return Some(cached);
        }
        let text = self.sm.sources[src as usize].text.clone();
        if toks.is_empty() {
            self.parsed_idx[src as usize][li as usize] = 0;
            return Some(0);
        }
        // The fast path accepts only lines without lexical errors and within the limits
        // checked below, so the checks are needed only when it declines.
        if let Some(line) = fastparse::parse(src, &text, toks) {
            return Some(self.keep_parsed(src, li, line));
        }
        let mut errs: Vec<Diagnostic> = Vec::new();
        let mut parens = 0u32;
        let mut ops = 0u32;
        for t in toks {
            let sp = t.span(src);
            match t.kind {
                Some(
                    RawTok::Number
                    | RawTok::Str
                    | RawTok::Char
                    | RawTok::UntermStr
                    | RawTok::UntermChar,
                )
                | None => {
                    if let Err(e) = lexer::convert(&text, t) {
                        errs.push(lex_diag(e, sp));
                    }
                }
                Some(RawTok::LParen) => {
                    parens += 1;
                    if parens == MAX_PARENS + 1 {
                        errs.push(
                            Diagnostic::error(sp, "expression nested too deeply")
                                .label(format!("more than {MAX_PARENS} open parentheses"))
                                .help("split the expression with `.equ` constants"),
                        );
                    }
                }
                Some(RawTok::RParen) => parens = parens.saturating_sub(1),
                Some(RawTok::Comma) => ops = 0,
                Some(
                    RawTok::Plus
                    | RawTok::Minus
                    | RawTok::Star
                    | RawTok::Slash
                    | RawTok::Percent
                    | RawTok::Amp
                    | RawTok::Pipe
                    | RawTok::Caret
                    | RawTok::Tilde
                    | RawTok::Shl
                    | RawTok::Shr
                    | RawTok::EqEq
                    | RawTok::Ne
                    | RawTok::Lt
                    | RawTok::Gt
                    | RawTok::Le
                    | RawTok::Ge
                    | RawTok::AndAnd
                    | RawTok::OrOr
                    | RawTok::Bang,
                ) => {
                    ops += 1;
                    if ops == MAX_OPERATORS + 1 {
                        errs.push(
                            Diagnostic::error(sp, "expression too complex")
                                .label(format!(
                                    "more than {MAX_OPERATORS} operators in one argument"
                                ))
                                .help("split the expression with `.equ` constants"),
                        );
                    }
                }
                _ => {}
            }
        }
        if errs.is_empty() {
            let it = toks.iter().map(|t| {
                lexer::convert(&text, t).map(|tok| (t.start as usize, tok, t.end as usize))
            });
            match self.parser.parse(src, it) {
                Ok(line) => return Some(self.keep_parsed(src, li, line)),
                Err(e) => errs.push(parse_diag(e, src, self.line_span(src, li))),
            }
        }
        self.parsed_idx[src as usize][li as usize] = FAILED;
        for d in errs {
            self.error(d, exp);
        }
        None
    }

    /// Store a parsed line and cache its index.
    fn keep_parsed(&mut self, src: u32, li: u32, line: Line) -> u32 {
        self.parsed.push(line);
        let idx = (self.parsed.len() - 1) as u32;
        self.parsed_idx[src as usize][li as usize] = idx;
        idx
    }

    /// Arguments of parsed line `idx` (empty unless it is an operation).
    pub(super) fn line_args(&self, idx: u32) -> &[Arg] {
        self.parsed[idx as usize].args()
    }
}

fn lex_diag(e: LexError, sp: Span) -> Diagnostic {
    match e {
        LexError::BadChar(c) => {
            Diagnostic::error(sp, format!("unexpected character `{}`", c.escape_default()))
                .label("not valid in Loom assembly")
        }
        LexError::BadNumber(m) => Diagnostic::error(sp, format!("invalid numeric literal: {m}"))
            .label("malformed number")
            .help(
                "numbers are decimal, 0x hex, 0b binary or 0o octal, with optional `_` separators",
            ),
        LexError::UntermStr => Diagnostic::error(sp, "unterminated string literal")
            .label("string starts here and runs to the end of the line")
            .help("add the closing `\"`"),
        LexError::UntermChar => Diagnostic::error(sp, "unterminated character literal")
            .label("character literal starts here and runs to the end of the line")
            .help("add the closing `'`"),
        LexError::BadEscape(m, a, b) => Diagnostic::error(
            Span {
                src: sp.src,
                start: sp.start + a,
                end: (sp.start + b).min(sp.end),
            },
            m,
        )
        .label("invalid escape")
        .help("valid escapes: \\n \\t \\r \\0 \\\\ \\' \\\" \\a \\b \\f \\v \\e \\xHH"),
        LexError::BadChar2(m) => Diagnostic::error(sp, m).label("invalid character literal"),
    }
}

fn describe_expected(e: &str) -> String {
    match e {
        "\"ident\"" => "a name".into(),
        "\"num\"" => "a number".into(),
        "\"local\"" => "a local label reference".into(),
        "\"string\"" => "a string".into(),
        "\"char\"" => "a character".into(),
        "\"param\"" => "a macro parameter".into(),
        other => format!("`{}`", other.trim_matches('"')),
    }
}

fn parse_diag(
    e: lalrpop_util::ParseError<usize, Tok<'_>, LexError>,
    src: u32,
    line: Span,
) -> Diagnostic {
    use lalrpop_util::ParseError as P;
    let expected_list = |exp: &[String]| {
        let has = |t: &str| exp.iter().any(|e| e == t);
        if has("\"num\"") && has("\"ident\"") {
            return "an expression".to_string();
        }
        if has("\",\"") && has("\"+\"") {
            return "`,`, an operator or the end of the line".to_string();
        }
        let mut v: Vec<String> = exp.iter().map(|s| describe_expected(s)).collect();
        v.dedup();
        if v.len() > 6 {
            "an operand, an operator or the end of the line".to_string()
        } else {
            v.join(", ")
        }
    };
    match e {
        P::UnrecognizedToken {
            token: (l, t, r),
            expected,
        } => {
            let sp = Span::new(src, l, r);
            let mut d = Diagnostic::error(sp, format!("syntax error: unexpected {t}"));
            d = if expected.is_empty() {
                d.label("unexpected here")
            } else {
                d.label(format!("expected {}", expected_list(&expected)))
            };
            if t == Tok::Colon {
                d = d.help("a label is a name or number followed by `:` at the start of a line");
            }
            if matches!(t, Tok::Ident(_)) && expected.iter().any(|e| e == "\",\"") {
                d = d.help("separate operands with commas");
            }
            d
        }
        P::UnrecognizedEof { location, expected } => {
            let sp = Span::new(
                src,
                location.max(line.start as usize),
                location.max(line.start as usize),
            );
            Diagnostic::error(sp, "syntax error: unexpected end of line")
                .label(format!("expected {}", expected_list(&expected)))
        }
        P::ExtraToken { token: (l, t, r) } => Diagnostic::error(
            Span::new(src, l, r),
            format!("syntax error: unexpected {t}"),
        )
        .label("extra token"),
        P::InvalidToken { location } => Diagnostic::error(
            Span::new(src, location, location + 1),
            "syntax error: invalid token",
        )
        .label("here"),
        P::User { error } => lex_diag(error, line),
    }
}
