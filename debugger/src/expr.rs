//! Debugger expressions: C-like integer expressions over registers, CSRs, symbols and
//! memory, as gdb users type them (`r5 + 4`, `$sp`, `wprec == 4`, `*(a_bytes + 8)`,
//! `*0x2000@16`).
//!
//! Values are 64-bit signed integers; registers, CSRs and memory words read as unsigned
//! 32-bit numbers. `*e` reads a little-endian 32-bit DRAM word; `*e@n` names `n` bytes (for
//! `watch`, `x` and `dump`). Names resolve in this order: `$`-prefixed or bare register
//! names (`r0`..`r31`, `zero`, `ra`, `sp`, `fp`, `pc`), CSR names, tile names (`t0`..`t15`,
//! watch targets only), then program symbols.

use logos::Logos;

/// An expression error, with the byte offset in the expression text where it applies.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{msg}")]
pub struct ExprError {
    /// What went wrong.
    pub msg: String,
    /// Offset in the text.
    pub at: usize,
}

fn err<T>(msg: impl Into<String>, at: usize) -> Result<T, ExprError> {
    Err(ExprError {
        msg: msg.into(),
        at,
    })
}

#[derive(Logos, Clone, Debug, PartialEq)]
#[logos(skip r"[ \t]+")]
enum Tok {
    #[regex(r"0[xX][0-9a-fA-F_]+|0[bB][01_]+|[0-9][0-9_]*")]
    Num,
    #[regex(r"\$?[A-Za-z_.][A-Za-z0-9_.$]*")]
    Name,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("==")]
    Eq,
    #[token("!=")]
    Ne,
    #[token("<=")]
    Le,
    #[token(">=")]
    Ge,
    #[token("<<")]
    Shl,
    #[token(">>")]
    Shr,
    #[token("&&")]
    AndAnd,
    #[token("||")]
    OrOr,
    #[token("<")]
    Lt,
    #[token(">")]
    Gt,
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
    #[token("!")]
    Bang,
    #[token("@")]
    At,
}

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
    /// `&`
    And,
    /// `|`
    Or,
    /// `^`
    Xor,
    /// `<<`
    Shl,
    /// `>>`
    Shr,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `&&`
    LAnd,
    /// `||`
    LOr,
}

/// A parsed expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// A literal.
    Num(i64),
    /// A name (register, CSR, tile, symbol), without a leading `$`.
    Name(String, usize),
    /// `-e`
    Neg(Box<Expr>),
    /// `~e`
    Not(Box<Expr>),
    /// `!e`
    LNot(Box<Expr>),
    /// `*e`: a 32-bit DRAM word.
    Deref(Box<Expr>),
    /// `*e@n`: `n` bytes of DRAM at `e` (only as a whole expression).
    Range(Box<Expr>, Box<Expr>),
    /// A binary operation.
    Bin(BinOp, Box<Expr>, Box<Expr>),
}

/// What an expression's names mean at the current stop.
pub trait Env {
    /// A register or CSR or symbol value by name (the name has no `$`), or None.
    fn lookup(&self, name: &str) -> Option<i64>;
    /// A 32-bit little-endian DRAM word at `addr`, or an error message.
    fn read_word(&self, addr: u32) -> Result<u32, String>;
    /// Names that exist, for "did you mean".
    fn names(&self) -> Vec<String>;
}

struct Parser<'a> {
    toks: Vec<(Tok, std::ops::Range<usize>)>,
    src: &'a str,
    pos: usize,
}

/// Parse an expression.
pub fn parse(src: &str) -> Result<Expr, ExprError> {
    let mut toks = Vec::new();
    let mut lex = Tok::lexer(src);
    while let Some(t) = lex.next() {
        match t {
            Ok(t) => toks.push((t, lex.span())),
            Err(()) => {
                return err(
                    format!("unexpected character `{}`", &src[lex.span()]),
                    lex.span().start,
                )
            }
        }
    }
    if toks.is_empty() {
        return err("expected an expression", 0);
    }
    let mut p = Parser { toks, src, pos: 0 };
    let e = p.expr(0)?;
    let e = if p.peek() == Some(&Tok::At) {
        p.pos += 1;
        let n = p.expr(0)?;
        Expr::Range(Box::new(e), Box::new(n))
    } else {
        e
    };
    if let Some((_, span)) = p.toks.get(p.pos) {
        return err(
            format!("unexpected `{}` after the expression", &src[span.clone()]),
            span.start,
        );
    }
    Ok(e)
}

fn prec(t: &Tok) -> Option<(u8, BinOp)> {
    Some(match t {
        Tok::OrOr => (1, BinOp::LOr),
        Tok::AndAnd => (2, BinOp::LAnd),
        Tok::Pipe => (3, BinOp::Or),
        Tok::Caret => (4, BinOp::Xor),
        Tok::Amp => (5, BinOp::And),
        Tok::Eq => (6, BinOp::Eq),
        Tok::Ne => (6, BinOp::Ne),
        Tok::Lt => (7, BinOp::Lt),
        Tok::Le => (7, BinOp::Le),
        Tok::Gt => (7, BinOp::Gt),
        Tok::Ge => (7, BinOp::Ge),
        Tok::Shl => (8, BinOp::Shl),
        Tok::Shr => (8, BinOp::Shr),
        Tok::Plus => (9, BinOp::Add),
        Tok::Minus => (9, BinOp::Sub),
        Tok::Star => (10, BinOp::Mul),
        Tok::Slash => (10, BinOp::Div),
        Tok::Percent => (10, BinOp::Rem),
        _ => return None,
    })
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }

    fn end(&self) -> usize {
        self.toks
            .get(self.pos)
            .map_or(self.src.len(), |t| t.1.start)
    }

    fn expr(&mut self, min: u8) -> Result<Expr, ExprError> {
        let mut lhs = self.unary()?;
        while let Some((p, op)) = self.peek().and_then(prec) {
            if p <= min {
                break;
            }
            self.pos += 1;
            let rhs = self.expr(p)?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        let at = self.end();
        let Some((t, span)) = self.toks.get(self.pos).cloned() else {
            return err("expected a value at the end of the expression", at);
        };
        self.pos += 1;
        Ok(match t {
            Tok::Minus => Expr::Neg(Box::new(self.unary()?)),
            Tok::Tilde => Expr::Not(Box::new(self.unary()?)),
            Tok::Bang => Expr::LNot(Box::new(self.unary()?)),
            Tok::Star => Expr::Deref(Box::new(self.unary()?)),
            Tok::Plus => self.unary()?,
            Tok::LParen => {
                let e = self.expr(0)?;
                if self.peek() != Some(&Tok::RParen) {
                    return err("expected `)`", self.end());
                }
                self.pos += 1;
                e
            }
            Tok::Num => {
                let s = self.src[span.clone()].replace('_', "");
                let v = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                    i64::from_str_radix(h, 16)
                } else if let Some(b) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
                    i64::from_str_radix(b, 2)
                } else {
                    s.parse()
                };
                match v {
                    Ok(v) => Expr::Num(v),
                    Err(_) => return err(format!("bad number `{s}`"), span.start),
                }
            }
            Tok::Name => {
                let s = &self.src[span.clone()];
                Expr::Name(s.trim_start_matches('$').to_string(), span.start)
            }
            _ => {
                return err(
                    format!("expected a value, found `{}`", &self.src[span.clone()]),
                    span.start,
                )
            }
        })
    }
}

/// Evaluate `e`. `Range` evaluates to its start address.
pub fn eval(e: &Expr, env: &dyn Env) -> Result<i64, ExprError> {
    Ok(match e {
        Expr::Num(v) => *v,
        Expr::Name(n, at) => match env.lookup(n) {
            Some(v) => v,
            None => {
                let mut msg = format!("no register, CSR or symbol named `{n}`");
                if let Some(s) = suggest(n, env.names()) {
                    msg.push_str(&format!("; did you mean `{s}`?"));
                }
                return err(msg, *at);
            }
        },
        Expr::Neg(a) => eval(a, env)?.wrapping_neg(),
        Expr::Not(a) => !eval(a, env)? & 0xffff_ffff,
        Expr::LNot(a) => (eval(a, env)? == 0) as i64,
        Expr::Deref(a) => {
            let addr = eval(a, env)?;
            let addr = u32::try_from(addr).map_err(|_| ExprError {
                msg: format!("address {addr} is outside the 32-bit address space"),
                at: 0,
            })?;
            env.read_word(addr)
                .map_err(|msg| ExprError { msg, at: 0 })? as i64
        }
        // `*e@n` names the bytes at `e`: its start address is `e`, not the word there
        // (evaluating the `*` here made `print *buf@4` read the word at `buf` and use it as
        // the address).
        Expr::Range(a, _) => match &**a {
            Expr::Deref(x) => eval(x, env)?,
            other => eval(other, env)?,
        },
        Expr::Bin(op, a, b) => {
            let (x, y) = (eval(a, env)?, eval(b, env)?);
            match op {
                BinOp::Add => x.wrapping_add(y),
                BinOp::Sub => x.wrapping_sub(y),
                BinOp::Mul => x.wrapping_mul(y),
                BinOp::Div | BinOp::Rem if y == 0 => return err("division by zero", 0),
                BinOp::Div => x.wrapping_div(y),
                BinOp::Rem => x.wrapping_rem(y),
                BinOp::And => x & y,
                BinOp::Or => x | y,
                BinOp::Xor => x ^ y,
                BinOp::Shl => x.wrapping_shl((y & 63) as u32),
                BinOp::Shr => x.wrapping_shr((y & 63) as u32),
                BinOp::Eq => (x == y) as i64,
                BinOp::Ne => (x != y) as i64,
                BinOp::Lt => (x < y) as i64,
                BinOp::Le => (x <= y) as i64,
                BinOp::Gt => (x > y) as i64,
                BinOp::Ge => (x >= y) as i64,
                BinOp::LAnd => (x != 0 && y != 0) as i64,
                BinOp::LOr => (x != 0 || y != 0) as i64,
            }
        }
    })
}

/// The closest name to `n` among `names`, if close enough to be a likely typo.
pub fn suggest(n: &str, names: Vec<String>) -> Option<String> {
    names
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(n, &c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4) && *d < c.len().max(n.len()))
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct E;
    impl Env for E {
        fn lookup(&self, name: &str) -> Option<i64> {
            match name {
                "r5" => Some(3),
                "wprec" => Some(4),
                "buf" => Some(0x100),
                _ => None,
            }
        }
        fn read_word(&self, addr: u32) -> Result<u32, String> {
            if addr == 0x108 {
                Ok(0xdead_beef)
            } else {
                Err(format!("no memory at {addr:#x}"))
            }
        }
        fn names(&self) -> Vec<String> {
            vec!["r5".into(), "wprec".into(), "buf".into()]
        }
    }

    fn ev(s: &str) -> Result<i64, ExprError> {
        eval(&parse(s)?, &E)
    }

    #[test]
    fn precedence_and_associativity_follow_c() {
        // Expected values computed by hand with C's rules.
        assert_eq!(ev("1 + 2 * 3").unwrap(), 7);
        assert_eq!(ev("(1 + 2) * 3").unwrap(), 9);
        assert_eq!(ev("10 - 3 - 2").unwrap(), 5);
        assert_eq!(ev("64 / 4 / 2").unwrap(), 8);
        assert_eq!(ev("1 << 2 + 1").unwrap(), 8);
        assert_eq!(ev("6 & 3 == 3").unwrap(), 0); // == binds tighter than &
        assert_eq!(ev("1 | 2 ^ 3 & 1").unwrap(), 3);
        assert_eq!(ev("r5 == 3 && wprec != 8").unwrap(), 1);
        assert_eq!(ev("!0 + ~0").unwrap(), 1 + 0xffff_ffff);
        assert_eq!(ev("-r5 * 2").unwrap(), -6);
        assert_eq!(ev("0x10 + 0b11 + 1_000").unwrap(), 16 + 3 + 1000);
        assert_eq!(ev("$r5 + $wprec").unwrap(), 7);
    }

    #[test]
    fn memory_and_ranges() {
        assert_eq!(ev("*(buf + 8)").unwrap(), 0xdead_beef);
        assert!(matches!(parse("*buf@16").unwrap(), Expr::Range(..)));
        assert!(ev("*buf").unwrap_err().msg.contains("no memory"));
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = ev("wprek + 1").unwrap_err();
        assert_eq!(e.at, 0);
        assert!(e.msg.contains("did you mean `wprec`"), "{}", e.msg);
        assert_eq!(parse("1 +").unwrap_err().at, 3);
        assert_eq!(parse("(1").unwrap_err().msg, "expected `)`");
        assert_eq!(parse("1 # 2").unwrap_err().at, 2);
        assert!(ev("1 / 0").unwrap_err().msg.contains("division by zero"));
        assert!(parse("").is_err());
    }
}
