//! Tokens: the logos lexer over whole source buffers, and the conversion of one line's raw
//! tokens into the parser's token type (number parsing, escape checking, local references).

use logos::Logos;

use crate::source::Span;

/// Raw token kinds produced by logos. Values are extracted later from the source slice.
#[derive(Logos, Clone, Copy, Debug, PartialEq, Eq)]
#[logos(skip r"[ \t\r\f]+")]
#[logos(skip(r"(;|#|//)[^\n]*", allow_greedy = true))]
pub enum RawTok {
    /// End of a line.
    #[token("\n")]
    Newline,
    /// Identifier, mnemonic, directive or register name.
    #[regex(r"[A-Za-z_][A-Za-z0-9_.$]*")]
    #[regex(r"\.[A-Za-z_.$][A-Za-z0-9_.$]*")]
    Ident,
    /// Anything that starts with a digit (validated by [`classify_number`]).
    #[regex(r"[0-9][0-9A-Za-z_]*")]
    Number,
    /// Complete string literal.
    #[regex(r#""([^"\\\n]|\\[^\n])*""#)]
    Str,
    /// String literal without its closing quote.
    #[regex(r#""([^"\\\n]|\\[^\n])*\\?"#)]
    UntermStr,
    /// Complete character literal.
    #[regex(r"'([^'\\\n]|\\[^\n])*'")]
    Char,
    /// Character literal without its closing quote.
    #[regex(r"'([^'\\\n]|\\[^\n])*\\?")]
    UntermChar,
    /// Macro parameter reference `\name` or the unique counter `\@`.
    #[regex(r"\\[A-Za-z_][A-Za-z0-9_]*")]
    #[token("\\@")]
    Param,
    #[token(",")]
    Comma,
    #[token(":")]
    Colon,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("%")]
    Percent,
    #[token("&")]
    Amp,
    #[token("|")]
    Pipe,
    #[token("^")]
    Caret,
    #[token("~")]
    Tilde,
    #[token("<<")]
    Shl,
    #[token(">>")]
    Shr,
    #[token("==")]
    EqEq,
    #[token("!=")]
    Ne,
    #[token("<")]
    Lt,
    #[token(">")]
    Gt,
    #[token("<=")]
    Le,
    #[token(">=")]
    Ge,
    #[token("&&")]
    AndAnd,
    #[token("||")]
    OrOr,
    #[token("!")]
    Bang,
    #[token("=")]
    Eq,
    #[token(".")]
    Dot,
}

/// A raw token with its byte range in its source buffer. `kind == None` marks a character
/// the lexer does not accept.
#[derive(Clone, Copy, Debug)]
pub struct RawToken {
    /// Kind, or `None` for an unrecognised character.
    pub kind: Option<RawTok>,
    /// Start byte offset.
    pub start: u32,
    /// End byte offset (exclusive).
    pub end: u32,
}

impl RawToken {
    /// The token's span in buffer `src`.
    pub fn span(&self, src: u32) -> Span {
        Span {
            src,
            start: self.start,
            end: self.end,
        }
    }
}

/// One physical source line: its token range and byte range.
#[derive(Clone, Copy, Debug)]
pub struct LineInfo {
    /// First token index.
    pub tok_start: u32,
    /// One past the last token index (the newline token is excluded).
    pub tok_end: u32,
    /// Byte offset of the first character of the line.
    pub start: u32,
    /// Byte offset of the end of the line (before the newline).
    pub end: u32,
}

/// Lex a whole buffer into tokens and line records.
pub fn lex(text: &str) -> (Vec<RawToken>, Vec<LineInfo>) {
    // Typical code has a token per 3.5 bytes and a line per 20; growing a vector this size
    // would copy it, so err on the large side (untouched capacity costs nothing).
    let mut toks = Vec::with_capacity(text.len() / 3 + 16);
    let mut lines = Vec::with_capacity(text.len() / 16 + 1);
    let mut lex = RawTok::lexer(text);
    let mut line_tok = 0u32;
    let mut line_start = 0u32;
    while let Some(r) = lex.next() {
        let sp = lex.span();
        let (s, e) = (sp.start as u32, sp.end as u32);
        match r {
            Ok(RawTok::Newline) => {
                lines.push(LineInfo {
                    tok_start: line_tok,
                    tok_end: toks.len() as u32,
                    start: line_start,
                    end: s,
                });
                line_tok = toks.len() as u32;
                line_start = e;
            }
            Ok(k) => toks.push(RawToken {
                kind: Some(k),
                start: s,
                end: e,
            }),
            Err(()) => toks.push(RawToken {
                kind: None,
                start: s,
                end: e,
            }),
        }
    }
    if (line_start as usize) < text.len() || toks.len() as u32 > line_tok {
        lines.push(LineInfo {
            tok_start: line_tok,
            tok_end: toks.len() as u32,
            start: line_start,
            end: text.len() as u32,
        });
    }
    (toks, lines)
}

/// Tokens of one line, inline for typical lines.
pub type LineToks = smallvec::SmallVec<[RawToken; 16]>;

/// Lex the line `start..end` of `text` (a range without newlines, as [`lex`] would delimit
/// it). Tokens never span lines (literals and comments stop at a newline), so this gives
/// exactly the tokens [`lex`] gives for that line, with offsets into `text`.
pub fn lex_line(text: &str, start: u32, end: u32) -> LineToks {
    let mut toks = LineToks::new();
    let Some(line) = text.get(start as usize..end as usize) else {
        return toks;
    };
    let mut lex = RawTok::lexer(line);
    while let Some(r) = lex.next() {
        let sp = lex.span();
        let (s, e) = (sp.start as u32 + start, sp.end as u32 + start);
        toks.push(RawToken {
            kind: match r {
                Ok(RawTok::Newline) => continue,
                Ok(k) => Some(k),
                Err(()) => None,
            },
            start: s,
            end: e,
        });
    }
    toks
}

/// Token handed to the lalrpop parser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok<'a> {
    Ident(&'a str),
    Num(i64),
    /// Numeric local label reference: label number, forward?
    Local(u32, bool),
    /// String literal body (between the quotes, escapes not yet decoded).
    Str(&'a str),
    Char(i64),
    Param(&'a str),
    Comma,
    Colon,
    LParen,
    RParen,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Amp,
    Pipe,
    Caret,
    Tilde,
    Shl,
    Shr,
    EqEq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    AndAnd,
    OrOr,
    Bang,
    Eq,
    Dot,
}

/// Lexical error found while converting a raw token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexError {
    /// Character the lexer does not accept.
    BadChar(char),
    /// Malformed number; the message says why.
    BadNumber(String),
    /// String literal not closed on its line.
    UntermStr,
    /// Char literal not closed on its line.
    UntermChar,
    /// Bad escape sequence (message says which) at a byte offset inside the token.
    BadEscape(String, u32, u32),
    /// Char literal with zero or several characters.
    BadChar2(String),
}

/// What a `Number` token turned out to be.
pub enum NumClass {
    /// A literal value.
    Value(i64),
    /// A numeric local label reference (`1f`, `2b`).
    Local(u32, bool),
}

/// Parse a token that starts with a digit.
pub fn classify_number(s: &str) -> Result<NumClass, String> {
    let b = s.as_bytes();
    let last = b[b.len() - 1];
    if b.len() >= 2
        && (last == b'f' || last == b'b')
        && b[..b.len() - 1].iter().all(u8::is_ascii_digit)
    {
        let n: u32 = s[..s.len() - 1]
            .parse()
            .map_err(|_| "local label number too large".to_string())?;
        return Ok(NumClass::Local(n, last == b'f'));
    }
    let (radix, digits, what) = if b.len() >= 2 && b[0] == b'0' {
        match b[1] {
            b'x' | b'X' => (16, &s[2..], "hexadecimal"),
            b'b' | b'B' => (2, &s[2..], "binary"),
            b'o' | b'O' => (8, &s[2..], "octal"),
            _ => (10, s, "decimal"),
        }
    } else {
        (10, s, "decimal")
    };
    if digits.is_empty() || digits.starts_with('_') {
        return Err(format!("{what} literal has no digits"));
    }
    let mut v: u64 = 0;
    for c in digits.chars() {
        if c == '_' {
            continue;
        }
        let d = c.to_digit(radix).ok_or_else(|| {
            format!(
                "`{c}` is not {} {what} digit",
                if what == "octal" { "an" } else { "a" }
            )
        })?;
        // Hex, octal and binary literals name 64-bit patterns (0xffff_ffff_ffff_ffff is
        // -1, as in GNU as); decimal ones are non-negative i64 values.
        let max = if radix == 10 {
            i64::MAX as u64
        } else {
            u64::MAX
        };
        v = v
            .checked_mul(radix as u64)
            .and_then(|v| v.checked_add(d as u64))
            .filter(|&v| v <= max)
            .ok_or_else(|| "literal does not fit in 64 bits".to_string())?;
    }
    Ok(NumClass::Value(v as i64))
}

/// Decode one escape sequence at the start of `s` (just after the backslash).
/// Returns the byte value and the number of bytes consumed.
fn escape(s: &[u8]) -> Result<(u8, usize), String> {
    let Some(&c) = s.first() else {
        return Err("backslash at end of literal".into());
    };
    Ok(match c {
        b'n' => (b'\n', 1),
        b't' => (b'\t', 1),
        b'r' => (b'\r', 1),
        b'0' => (0, 1),
        b'\\' => (b'\\', 1),
        b'\'' => (b'\'', 1),
        b'"' => (b'"', 1),
        b'a' => (7, 1),
        b'b' => (8, 1),
        b'f' => (12, 1),
        b'v' => (11, 1),
        b'e' => (27, 1),
        b'x' => {
            let h: Vec<u8> = s[1..]
                .iter()
                .take(2)
                .take_while(|c| c.is_ascii_hexdigit())
                .copied()
                .collect();
            if h.is_empty() {
                return Err("`\\x` needs one or two hexadecimal digits".into());
            }
            let v = u8::from_str_radix(std::str::from_utf8(&h).unwrap_or("0"), 16).unwrap_or(0);
            (v, 1 + h.len())
        }
        _ => {
            let shown = std::str::from_utf8(&s[..s.len().min(4)])
                .ok()
                .and_then(|t| t.chars().next())
                .unwrap_or('?');
            return Err(format!("unknown escape sequence `\\{shown}`"));
        }
    })
}

/// Decode the escapes of a literal body into bytes. On error returns the message and the
/// byte range (relative to `body`) of the bad escape.
pub fn unescape(body: &str, out: &mut Vec<u8>) -> Result<(), (String, u32, u32)> {
    let b = body.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            match escape(&b[i + 1..]) {
                Ok((v, n)) => {
                    out.push(v);
                    i += 1 + n;
                }
                Err(m) => {
                    let end = (i + 2).min(b.len());
                    return Err((m, i as u32, end as u32));
                }
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(())
}

/// Convert a raw token to a parser token, validating literals.
pub fn convert<'a>(text: &'a str, t: &RawToken) -> Result<Tok<'a>, LexError> {
    let s = text.get(t.start as usize..t.end as usize).unwrap_or("");
    let Some(kind) = t.kind else {
        return Err(LexError::BadChar(s.chars().next().unwrap_or('?')));
    };
    Ok(match kind {
        RawTok::Newline => Tok::Comma, // never passed: lines exclude newlines
        RawTok::Ident => Tok::Ident(s),
        RawTok::Number => match classify_number(s).map_err(LexError::BadNumber)? {
            NumClass::Value(v) => Tok::Num(v),
            NumClass::Local(n, f) => Tok::Local(n, f),
        },
        RawTok::Str => {
            let body = &s[1..s.len() - 1];
            if body.contains('\\') {
                let mut tmp = Vec::new();
                unescape(body, &mut tmp)
                    .map_err(|(m, a, b)| LexError::BadEscape(m, a + 1, b + 1))?;
            }
            Tok::Str(body)
        }
        RawTok::UntermStr => return Err(LexError::UntermStr),
        RawTok::UntermChar => return Err(LexError::UntermChar),
        RawTok::Char => {
            let body = &s[1..s.len() - 1];
            let mut tmp = Vec::new();
            unescape(body, &mut tmp).map_err(|(m, a, b)| LexError::BadEscape(m, a + 1, b + 1))?;
            let v = if body.starts_with('\\') {
                if tmp.len() != 1 {
                    return Err(LexError::BadChar2(
                        "character literal must hold exactly one character".into(),
                    ));
                }
                tmp[0] as i64
            } else {
                let mut cs = body.chars();
                match (cs.next(), cs.next()) {
                    (Some(c), None) => c as i64,
                    (None, _) => {
                        return Err(LexError::BadChar2("empty character literal".into()));
                    }
                    _ => {
                        return Err(LexError::BadChar2(
                            "character literal must hold exactly one character; use a string for several".into(),
                        ))
                    }
                }
            };
            Tok::Char(v)
        }
        RawTok::Param => Tok::Param(s),
        RawTok::Comma => Tok::Comma,
        RawTok::Colon => Tok::Colon,
        RawTok::LParen => Tok::LParen,
        RawTok::RParen => Tok::RParen,
        RawTok::Plus => Tok::Plus,
        RawTok::Minus => Tok::Minus,
        RawTok::Star => Tok::Star,
        RawTok::Slash => Tok::Slash,
        RawTok::Percent => Tok::Percent,
        RawTok::Amp => Tok::Amp,
        RawTok::Pipe => Tok::Pipe,
        RawTok::Caret => Tok::Caret,
        RawTok::Tilde => Tok::Tilde,
        RawTok::Shl => Tok::Shl,
        RawTok::Shr => Tok::Shr,
        RawTok::EqEq => Tok::EqEq,
        RawTok::Ne => Tok::Ne,
        RawTok::Lt => Tok::Lt,
        RawTok::Gt => Tok::Gt,
        RawTok::Le => Tok::Le,
        RawTok::Ge => Tok::Ge,
        RawTok::AndAnd => Tok::AndAnd,
        RawTok::OrOr => Tok::OrOr,
        RawTok::Bang => Tok::Bang,
        RawTok::Eq => Tok::Eq,
        RawTok::Dot => Tok::Dot,
    })
}

impl std::fmt::Display for Tok<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tok::Ident(s) | Tok::Param(s) => write!(f, "`{s}`"),
            Tok::Num(v) => write!(f, "`{v}`"),
            Tok::Local(n, fw) => write!(f, "`{n}{}`", if *fw { 'f' } else { 'b' }),
            Tok::Str(_) => f.write_str("a string"),
            Tok::Char(_) => f.write_str("a character literal"),
            Tok::Comma => f.write_str("`,`"),
            Tok::Colon => f.write_str("`:`"),
            Tok::LParen => f.write_str("`(`"),
            Tok::RParen => f.write_str("`)`"),
            Tok::Plus => f.write_str("`+`"),
            Tok::Minus => f.write_str("`-`"),
            Tok::Star => f.write_str("`*`"),
            Tok::Slash => f.write_str("`/`"),
            Tok::Percent => f.write_str("`%`"),
            Tok::Amp => f.write_str("`&`"),
            Tok::Pipe => f.write_str("`|`"),
            Tok::Caret => f.write_str("`^`"),
            Tok::Tilde => f.write_str("`~`"),
            Tok::Shl => f.write_str("`<<`"),
            Tok::Shr => f.write_str("`>>`"),
            Tok::EqEq => f.write_str("`==`"),
            Tok::Ne => f.write_str("`!=`"),
            Tok::Lt => f.write_str("`<`"),
            Tok::Gt => f.write_str("`>`"),
            Tok::Le => f.write_str("`<=`"),
            Tok::Ge => f.write_str("`>=`"),
            Tok::AndAnd => f.write_str("`&&`"),
            Tok::OrOr => f.write_str("`||`"),
            Tok::Bang => f.write_str("`!`"),
            Tok::Eq => f.write_str("`=`"),
            Tok::Dot => f.write_str("`.`"),
        }
    }
}

/// Register number for `rN` written in lower case, without allocating; other spellings
/// (aliases, upper case) go through `bitloom_isa::operand::parse_gpr`.
pub fn gpr(s: &str) -> Option<u8> {
    let b = s.as_bytes();
    match b {
        [b'r', d] if d.is_ascii_digit() => Some(d - b'0'),
        [b'r', d1 @ b'1'..=b'3', d0] if d0.is_ascii_digit() => {
            let n = (d1 - b'0') * 10 + (d0 - b'0');
            (n < 32).then_some(n)
        }
        _ => bitloom_isa::operand::parse_gpr(s),
    }
}

/// Tile register number for `tN`, without allocating in the common case.
pub fn tile(s: &str) -> Option<u8> {
    let b = s.as_bytes();
    match b {
        [b't', d] if d.is_ascii_digit() => Some(d - b'0'),
        [b't', b'1', d0 @ b'0'..=b'5'] => Some(10 + (d0 - b'0')),
        _ => bitloom_isa::operand::parse_tile(s),
    }
}

#[cfg(test)]
mod tests {
    use super::{lex, lex_line};

    /// Lexing line by line gives exactly the tokens and line ranges of lexing the whole
    /// buffer, including unterminated literals, bad characters and comments at line ends.
    #[test]
    fn line_lexing_agrees_with_whole_buffer() {
        const PIECES: &[&str] = &[
            "add", " ", "\t", "\r", "\n", "\n", "r1", ",", "\"ab", "\"", "'", "'x'", "\\", "\\n",
            "\\@", "\\p", "<", "<<", ">", ">>", "0x", "12f", ";c", "#c", "//c", "/", "é", "€",
            "\u{0}", "?", "!", ".", ".L1", ":", "=", "(", ")", "-", "~", "`", "\"\\", "'\\",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..4000 {
            let mut text = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let n = (seed % 40) as usize;
            for _ in 0..n {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push_str(PIECES[(seed % PIECES.len() as u64) as usize]);
            }
            let (toks, lines) = lex(&text);
            let mut starts = vec![0u32];
            starts.extend(text.match_indices('\n').map(|(i, _)| i as u32 + 1));
            let nl = if text.is_empty() || text.ends_with('\n') {
                starts.len() - 1
            } else {
                starts.len()
            };
            assert_eq!(lines.len(), nl, "{text:?}");
            for (i, l) in lines.iter().enumerate() {
                let end = starts.get(i + 1).map_or(text.len() as u32, |s| s - 1);
                assert_eq!((l.start, l.end), (starts[i], end), "{text:?}");
                let whole = &toks[l.tok_start as usize..l.tok_end as usize];
                let part = lex_line(&text, l.start, l.end);
                assert_eq!(whole.len(), part.len(), "{text:?}");
                for (a, b) in whole.iter().zip(&part) {
                    assert_eq!(
                        (a.kind, a.start, a.end),
                        (b.kind, b.start, b.end),
                        "{text:?}"
                    );
                }
            }
        }
    }
}
