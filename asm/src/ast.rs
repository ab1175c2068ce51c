//! Syntax tree of one source line, as produced by the lalrpop grammar. Names are kept as
//! spans into the source buffer; nothing here borrows the text.

use smallvec::SmallVec;

use crate::source::Span;

/// Arguments of one statement: most lines have at most three, kept inline (no allocation).
pub type Args = SmallVec<[Arg; 3]>;

/// Binary operators, C precedence (see docs/ASSEMBLY.md). Comparisons and the logical
/// operators yield 1 for true and 0 for false.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    LOr,
    LAnd,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Or,
    Xor,
    And,
    Shl,
    Shr,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
    Plus,
    /// `!`: 1 if the operand is 0, else 0.
    LNot,
}

/// A constant expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// Integer or character literal.
    Num(i64, Span),
    /// Symbol or register name.
    Ident(Span),
    /// Numeric local label reference `1f` / `1b` (number, forward).
    Local(u32, bool, Span),
    /// `.`, the address of the current statement.
    Dot(Span),
    /// A macro parameter that was not substituted (outside a macro, or unknown name).
    Param(Span),
    /// Unary operation.
    Un(UnOp, Box<Expr>, Span),
    /// Binary operation.
    Bin(BinOp, Box<(Expr, Expr)>, Span),
    /// Parenthesised expression (kept so `(r1)` can be read as a memory operand).
    Paren(Box<Expr>, Span),
}

impl Expr {
    /// Source span of the whole expression.
    pub fn span(&self) -> Span {
        match self {
            Expr::Num(_, s)
            | Expr::Ident(s)
            | Expr::Local(_, _, s)
            | Expr::Dot(s)
            | Expr::Param(s)
            | Expr::Un(_, _, s)
            | Expr::Bin(_, _, s)
            | Expr::Paren(_, s) => *s,
        }
    }
}

/// One operand of an instruction or argument of a directive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    /// An expression (also register names and keywords, as identifiers).
    Expr(Expr),
    /// `disp(base)`: displacement, base register and the span of both (boxed together, so
    /// an `Arg` is no larger than an `Expr`: parsed lines are kept for pass 2).
    Mem(Box<(Expr, Expr, Span)>),
    /// A string literal; the span covers the quotes.
    Str(Span),
}

impl Arg {
    /// Source span of the argument.
    pub fn span(&self) -> Span {
        match self {
            Arg::Expr(e) => e.span(),
            Arg::Mem(m) => m.2,
            Arg::Str(s) => *s,
        }
    }
}

/// A label definition at the start of a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Label {
    /// `name:`
    Named(Span),
    /// `1:` (numeric local label).
    Numeric(u32, Span),
}

/// The statement part of a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stmt {
    /// Mnemonic (instruction, pseudo-instruction, macro) or directive with arguments.
    Op {
        /// Name span (`add`, `.word`, `my_macro`).
        name: Span,
        /// Arguments.
        args: Args,
    },
    /// `name = expr`.
    Assign {
        /// Symbol name.
        name: Span,
        /// Value.
        expr: Expr,
    },
}

/// A parsed line.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Line {
    /// Labels defined at the start of the line.
    pub labels: Vec<Label>,
    /// The statement, if any.
    pub stmt: Option<Stmt>,
}

impl Line {
    /// The arguments of the statement (empty unless it is an operation).
    pub fn args(&self) -> &[Arg] {
        match &self.stmt {
            Some(Stmt::Op { args, .. }) => args,
            _ => &[],
        }
    }
}
