//! Symbols predefined from outside the source (`bitloom asm -D NAME[=VALUE]`, alias
//! `--defsym`): parsing and validating a `NAME[=VALUE]` specification. The assembler defines
//! each as an absolute symbol before the first line is read (see [`crate::Options::defines`]).

use std::str::FromStr;

use crate::arith::{self, ArithErr};
use crate::ast::Expr;
use crate::grammar::ExprParser;
use crate::lexer;

/// One predefined absolute symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Define {
    /// The symbol's name (an identifier that is not a register or scratchpad name).
    pub name: String,
    /// Its value.
    pub value: i64,
}

/// Why a `NAME[=VALUE]` specification is invalid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DefineError {
    /// Nothing before the `=`.
    #[error("missing symbol name (expected NAME or NAME=VALUE)")]
    NoName,
    /// The name is not an identifier.
    #[error("`{0}` is not a symbol name (letters, digits, `_`, `.`, `$`; not starting with a digit or `.`)")]
    BadName(String),
    /// The name is a register or keyword.
    #[error("`{0}` cannot be a symbol name: {1}")]
    Reserved(String, &'static str),
    /// Nothing after the `=`.
    #[error("missing value after `{0}=`")]
    NoValue(String),
    /// The value is not a constant integer expression.
    #[error("value of `{0}` must be an integer expression of literals, found `{1}`")]
    BadValue(String, String),
    /// The value's arithmetic fails.
    #[error("value of `{0}`: {1}")]
    Arith(String, &'static str),
}

impl Define {
    /// Parse `NAME` (value 1) or `NAME=VALUE`, where VALUE is an integer expression of
    /// literals with the assembler's operators (`0x40`, `-3`, `1 << 12`, `'A'`).
    pub fn parse(spec: &str) -> Result<Define, DefineError> {
        let (name, value) = match spec.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (spec.trim(), None),
        };
        if name.is_empty() {
            return Err(DefineError::NoName);
        }
        let mut cs = name.chars();
        let first_ok = cs
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if !first_ok || !cs.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '$')) {
            return Err(DefineError::BadName(name.to_string()));
        }
        if let Some(why) = crate::assembler::reserved_name(name) {
            return Err(DefineError::Reserved(name.to_string(), why));
        }
        let value = match value {
            None => 1,
            Some("") => return Err(DefineError::NoValue(name.to_string())),
            // The lexer would skip a comment; a value never holds one.
            Some(v) if v.contains([';', '#']) || v.contains("//") || v.contains("/*") => {
                return Err(DefineError::BadValue(name.into(), v.into()))
            }
            Some(v) => eval_literal(v)
                .map_err(|e| e.unwrap_or_else(|| DefineError::BadValue(name.into(), v.into())))
                .map_err(|e| match e {
                    DefineError::Arith(_, m) => DefineError::Arith(name.into(), m),
                    e => e,
                })?,
        };
        Ok(Define {
            name: name.to_string(),
            value,
        })
    }
}

impl FromStr for Define {
    type Err = DefineError;

    fn from_str(s: &str) -> Result<Define, DefineError> {
        Define::parse(s)
    }
}

/// Evaluate `v` as an expression of literals. `Err(None)`: not such an expression.
fn eval_literal(v: &str) -> Result<i64, Option<DefineError>> {
    let toks = lexer::lex_line(v, 0, v.len() as u32);
    let mut conv = Vec::with_capacity(toks.len());
    for t in &toks {
        let tok = lexer::convert(v, t).map_err(|_| None)?;
        conv.push(Ok((t.start as usize, tok, t.end as usize)));
    }
    let e = ExprParser::new().parse(0, conv).map_err(|_| None)?;
    fold(&e, 0)
}

fn fold(e: &Expr, depth: u32) -> Result<i64, Option<DefineError>> {
    if depth > 64 {
        return Err(None);
    }
    let arith = |r: Result<i64, ArithErr>| {
        r.map_err(|e| {
            Some(DefineError::Arith(
                String::new(),
                match e {
                    ArithErr::Overflow => "overflows 64 bits",
                    ArithErr::DivZero { .. } => "division by zero",
                    ArithErr::Shift(_) => "shift amount out of range (0..=63)",
                },
            ))
        })
    };
    match e {
        Expr::Num(v, _) => Ok(*v),
        Expr::Paren(i, _) => fold(i, depth + 1),
        Expr::Un(op, i, _) => arith(arith::unary(*op, fold(i, depth + 1)?)),
        Expr::Bin(op, ab, _) => {
            let (a, b) = (fold(&ab.0, depth + 1)?, fold(&ab.1, depth + 1)?);
            arith(arith::binary(*op, a, b))
        }
        Expr::Ident(_) | Expr::Local(..) | Expr::Dot(_) | Expr::Param(_) => Err(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> (String, i64) {
        let d = Define::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        (d.name, d.value)
    }

    #[test]
    fn accepted_forms() {
        assert_eq!(ok("N"), ("N".into(), 1));
        assert_eq!(ok("TILE_K=64"), ("TILE_K".into(), 64));
        assert_eq!(ok("x.y$=0x40"), ("x.y$".into(), 0x40));
        assert_eq!(ok("M=-3"), ("M".into(), -3));
        assert_eq!(ok("S = 1 << 12 | 3"), ("S".into(), 4099));
        assert_eq!(ok("C='A'"), ("C".into(), 65));
        assert_eq!(ok("B=(2 > 1) + !0"), ("B".into(), 2));
    }

    #[test]
    fn rejected_forms() {
        assert_eq!(Define::parse("=3"), Err(DefineError::NoName));
        assert_eq!(Define::parse("N="), Err(DefineError::NoValue("N".into())));
        assert!(matches!(
            Define::parse("9x=1"),
            Err(DefineError::BadName(_))
        ));
        assert!(matches!(
            Define::parse(".if=1"),
            Err(DefineError::BadName(_))
        ));
        assert!(matches!(
            Define::parse("a-b=1"),
            Err(DefineError::BadName(_))
        ));
        assert!(matches!(
            Define::parse("r3=1"),
            Err(DefineError::Reserved(..))
        ));
        assert!(matches!(
            Define::parse("N=FOO"),
            Err(DefineError::BadValue(..))
        ));
        assert!(matches!(
            Define::parse("N=1,2"),
            Err(DefineError::BadValue(..))
        ));
        assert!(matches!(
            Define::parse("N=0x"),
            Err(DefineError::BadValue(..))
        ));
        assert!(matches!(
            Define::parse("N=1;2"),
            Err(DefineError::BadValue(..))
        ));
        assert_eq!(
            Define::parse("N=1/0"),
            Err(DefineError::Arith("N".into(), "division by zero"))
        );
    }
}
