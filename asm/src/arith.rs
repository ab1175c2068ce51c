//! The arithmetic of constant expressions on signed 64-bit values: one definition of every
//! operator, shared by the assembler's evaluator and the `-D NAME=VALUE` parser.

use crate::ast::{BinOp, UnOp};

/// Why an operation has no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArithErr {
    /// The result does not fit in a signed 64-bit value.
    Overflow,
    /// Division (`div == true`) or remainder by zero.
    DivZero { div: bool },
    /// A shift amount outside 0..=63.
    Shift(i64),
}

/// `op x`.
pub(crate) fn unary(op: UnOp, x: i64) -> Result<i64, ArithErr> {
    Ok(match op {
        UnOp::Plus => x,
        UnOp::Neg => x.checked_neg().ok_or(ArithErr::Overflow)?,
        UnOp::Not => !x,
        UnOp::LNot => i64::from(x == 0),
    })
}

/// `x op y`. Comparisons and the logical operators give 1 (true) or 0 (false).
pub(crate) fn binary(op: BinOp, x: i64, y: i64) -> Result<i64, ArithErr> {
    let checked = |r: Option<i64>| r.ok_or(ArithErr::Overflow);
    Ok(match op {
        BinOp::Add => checked(x.checked_add(y))?,
        BinOp::Sub => checked(x.checked_sub(y))?,
        BinOp::Mul => checked(x.checked_mul(y))?,
        BinOp::Div | BinOp::Rem => {
            let div = op == BinOp::Div;
            if y == 0 {
                return Err(ArithErr::DivZero { div });
            }
            if div {
                checked(x.checked_div(y))?
            } else {
                x.wrapping_rem(y) // exact: MIN % -1 is 0
            }
        }
        BinOp::And => x & y,
        BinOp::Or => x | y,
        BinOp::Xor => x ^ y,
        BinOp::Shl | BinOp::Shr => {
            if !(0..64).contains(&y) {
                return Err(ArithErr::Shift(y));
            }
            if op == BinOp::Shl {
                x.wrapping_shl(y as u32)
            } else {
                x >> y
            }
        }
        BinOp::Eq => i64::from(x == y),
        BinOp::Ne => i64::from(x != y),
        BinOp::Lt => i64::from(x < y),
        BinOp::Gt => i64::from(x > y),
        BinOp::Le => i64::from(x <= y),
        BinOp::Ge => i64::from(x >= y),
        BinOp::LAnd => i64::from(x != 0 && y != 0),
        BinOp::LOr => i64::from(x != 0 || y != 0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truth_values_and_errors() {
        assert_eq!(binary(BinOp::Lt, -1, 0), Ok(1));
        assert_eq!(binary(BinOp::Ge, -1, 0), Ok(0));
        assert_eq!(binary(BinOp::LAnd, 2, 4), Ok(1));
        assert_eq!(binary(BinOp::LOr, 0, 0), Ok(0));
        assert_eq!(unary(UnOp::LNot, 7), Ok(0));
        assert_eq!(unary(UnOp::LNot, 0), Ok(1));
        assert_eq!(
            binary(BinOp::Div, 1, 0),
            Err(ArithErr::DivZero { div: true })
        );
        assert_eq!(binary(BinOp::Rem, i64::MIN, -1), Ok(0));
        assert_eq!(binary(BinOp::Div, i64::MIN, -1), Err(ArithErr::Overflow));
        assert_eq!(binary(BinOp::Shl, 1, 64), Err(ArithErr::Shift(64)));
        assert_eq!(unary(UnOp::Neg, i64::MIN), Err(ArithErr::Overflow));
    }
}
