//! A fast path for the common line shapes (`label: mnemonic op, op, disp(reg)` with
//! operands of one token, `-number`, two such joined by one binary operator, or a string). It builds exactly the tree the lalrpop grammar builds for those lines
//! (a test checks this on generated programs) and gives up, returning `None`, on anything
//! else, which then goes through the full grammar.

use crate::ast::{Arg, Args, BinOp, Expr, Label, Line, Stmt, UnOp};
use crate::lexer::{classify_number, NumClass, RawTok, RawToken};
use crate::source::Span;

/// Try to parse a line of raw tokens. Accepts only lines made of identifiers, valid
/// numbers, valid strings, binary operators, `,`, `:` and `(`/`)` in the shapes above (at
/// most one operator per operand), so a line it accepts has no
/// lexical errors and stays within the nesting and operator limits.
pub fn parse(src: u32, text: &str, toks: &[RawToken]) -> Option<Line> {
    let sp = |t: &RawToken| t.span(src);
    let kind = |i: usize| toks.get(i).and_then(|t| t.kind);
    let mut i = 0;
    let mut labels = Vec::new();
    loop {
        match (kind(i), kind(i + 1)) {
            (Some(RawTok::Ident), Some(RawTok::Colon)) => {
                labels.push(Label::Named(sp(&toks[i])));
                i += 2;
            }
            (Some(RawTok::Number), Some(RawTok::Colon)) => {
                let s = text.get(toks[i].start as usize..toks[i].end as usize)?;
                let NumClass::Value(n) = classify_number(s).ok()? else {
                    return None;
                };
                labels.push(Label::Numeric(
                    n.clamp(0, u32::MAX as i64) as u32,
                    sp(&toks[i]),
                ));
                i += 2;
            }
            _ => break,
        }
    }
    if i == toks.len() {
        return Some(Line { labels, stmt: None });
    }
    if kind(i) != Some(RawTok::Ident) {
        return None;
    }
    let name = sp(&toks[i]);
    i += 1;
    let mut args = Args::new();
    if i < toks.len() {
        loop {
            let (arg, next) = operand(src, text, toks, i)?;
            args.push(arg);
            i = next;
            if i >= toks.len() {
                break;
            }
            match kind(i) {
                Some(RawTok::Comma) if i + 1 < toks.len() => i += 1,
                _ => return None,
            }
        }
    }
    Some(Line {
        labels,
        stmt: Some(Stmt::Op { name, args }),
    })
}

/// An atom: identifier, number/local reference, or `-number`.
fn atom(src: u32, text: &str, toks: &[RawToken], i: usize) -> Option<(Expr, usize)> {
    let t = toks.get(i)?;
    let sp = t.span(src);
    match t.kind? {
        RawTok::Ident => Some((Expr::Ident(sp), i + 1)),
        RawTok::Number => {
            let s = text.get(t.start as usize..t.end as usize)?;
            Some((
                match classify_number(s).ok()? {
                    NumClass::Value(v) => Expr::Num(v, sp),
                    NumClass::Local(n, f) => Expr::Local(n, f, sp),
                },
                i + 1,
            ))
        }
        RawTok::Minus => {
            // Only `-number` (not recursive: a long run of `-` must reach the operator
            // limit check, not the stack limit).
            if toks.get(i + 1)?.kind? != RawTok::Number {
                return None;
            }
            let (e, next) = atom(src, text, toks, i + 1)?;
            if !matches!(e, Expr::Num(..)) {
                return None;
            }
            let end = e.span().end;
            Some((
                Expr::Un(
                    UnOp::Neg,
                    Box::new(e),
                    Span {
                        src,
                        start: t.start,
                        end,
                    },
                ),
                next,
            ))
        }
        _ => None,
    }
}

/// The binary operator a raw token stands for.
fn bin_op(k: Option<RawTok>) -> Option<BinOp> {
    Some(match k? {
        RawTok::Plus => BinOp::Add,
        RawTok::Minus => BinOp::Sub,
        RawTok::Star => BinOp::Mul,
        RawTok::Slash => BinOp::Div,
        RawTok::Percent => BinOp::Rem,
        RawTok::Amp => BinOp::And,
        RawTok::Pipe => BinOp::Or,
        RawTok::Caret => BinOp::Xor,
        RawTok::Shl => BinOp::Shl,
        RawTok::Shr => BinOp::Shr,
        RawTok::EqEq => BinOp::Eq,
        RawTok::Ne => BinOp::Ne,
        RawTok::Lt => BinOp::Lt,
        RawTok::Gt => BinOp::Gt,
        RawTok::Le => BinOp::Le,
        RawTok::Ge => BinOp::Ge,
        RawTok::AndAnd => BinOp::LAnd,
        RawTok::OrOr => BinOp::LOr,
        _ => return None,
    })
}

/// An atom, or two atoms joined by one binary operator (`K & 1023`, `off+4`): with a
/// single operator precedence cannot matter. A second operator declines the line.
fn expr(src: u32, text: &str, toks: &[RawToken], i: usize) -> Option<(Expr, usize)> {
    let (a, next) = atom(src, text, toks, i)?;
    let Some(op) = bin_op(toks.get(next).and_then(|t| t.kind)) else {
        return Some((a, next));
    };
    let (b, end) = atom(src, text, toks, next + 1)?;
    if bin_op(toks.get(end).and_then(|t| t.kind)).is_some() {
        return None;
    }
    let sp = Span {
        src,
        start: a.span().start,
        end: b.span().end,
    };
    Some((Expr::Bin(op, Box::new((a, b)), sp), end))
}

fn operand(src: u32, text: &str, toks: &[RawToken], i: usize) -> Option<(Arg, usize)> {
    let kind = |i: usize| toks.get(i).and_then(|t| t.kind);
    if kind(i) == Some(RawTok::LParen) {
        // `(reg)`
        if kind(i + 1) == Some(RawTok::Ident) && kind(i + 2) == Some(RawTok::RParen) {
            let (l, r) = (&toks[i + 1], &toks[i + 2]);
            let inner = Expr::Ident(l.span(src));
            let sp = Span {
                src,
                start: toks[i].start,
                end: r.end,
            };
            return Some((Arg::Expr(Expr::Paren(Box::new(inner), sp)), i + 3));
        }
        return None;
    }
    if kind(i) == Some(RawTok::Str) {
        // A string with valid escapes (the grammar's `Arg::Str`).
        let t = &toks[i];
        crate::lexer::convert(text, t).ok()?;
        return Some((Arg::Str(t.span(src)), i + 1));
    }
    let (e, next) = expr(src, text, toks, i)?;
    if kind(next) == Some(RawTok::LParen) {
        if kind(next + 1) == Some(RawTok::Ident) && kind(next + 2) == Some(RawTok::RParen) {
            let base = Expr::Ident(toks[next + 1].span(src));
            let sp = Span {
                src,
                start: e.span().start,
                end: toks[next + 2].end,
            };
            return Some((Arg::Mem(Box::new((e, base, sp))), next + 3));
        }
        return None;
    }
    Some((Arg::Expr(e), next))
}

#[cfg(test)]
mod tests {
    use crate::grammar::LineParser;
    use crate::lexer::{convert, lex};

    /// The fast path must build exactly what the grammar builds, whenever it accepts a line.
    #[test]
    fn fast_path_agrees_with_grammar() {
        let mut text = crate::gen::program(3000, 11);
        text.push_str(
            "x: y: add r1, r2, r3\n1: 2: lw r1, -8(sp)\n jalr r0, (ra)\n beq r1, r2, 1b\n li r1, -5\n\
             .word 1, 2, 3\n j 0x1000\n foo\n bar:\n sw r1, 0(r2)\n cfgi wprec, 'a'\n\
             andi r5, r6, K0 & 1023\n sw r5, 8+4(sp)\n lw r1, a-b(r2)\n .ascii \"a\\tb\", \"c\"\n\
             .equ X, Y << 2\n .word a + -3, -3 * b, 1 - -2, x || y, a && b, a | b, a ^ b\n\
             .word 1 == 2, 1 != 2, a < b, a > b, a <= b, a >= b, a >> 1, a / 3, a % 3\n\
             .word 1 + 2 * 3, 1 * 2 + 3, -(1), (a) + 1, 1 + 2(r1)\n .ascii \"\\q\"\n",
        );
        let (toks, lines) = lex(&text);
        let parser = LineParser::new();
        let mut fast = 0;
        for l in &lines {
            let t = &toks[l.tok_start as usize..l.tok_end as usize];
            if t.iter().any(|t| convert(&text, t).is_err()) {
                // Lexical errors are reported by the slow path.
                assert!(super::parse(0, &text, t).is_none());
                continue;
            }
            let Some(f) = super::parse(0, &text, t) else {
                continue;
            };
            fast += 1;
            let it = t
                .iter()
                .map(|t| convert(&text, t).map(|k| (t.start as usize, k, t.end as usize)));
            let g = parser
                .parse(0, it)
                .expect("grammar accepts what the fast path accepts");
            assert_eq!(f, g, "line {:?}", &text[l.start as usize..l.end as usize]);
        }
        assert!(fast > 2000, "fast path used on {fast} lines");
    }
}
