//! The `[[assert]]` relations of expectation files: `LHS OP RHS` with `OP` one of
//! `< <= > >= == !=`, each side an arithmetic expression (`+ - * /`, parentheses, numbers)
//! over names of the finished run:
//!
//! | name | value |
//! |---|---|
//! | `r0`..`r31`, `zero`, `ra`, `sp`, `fp` | register, unsigned 32-bit |
//! | `csr.NAME` | CSR, unsigned |
//! | `mem.SYMBOL` / `mem.SYMBOL[i]` | signed 32-bit word `i` at the symbol |
//! | `stats.PATH` | a number of the `--stats-json` record (`stats.units.mac.busy_cycles`) |
//! | `cycles`, `instret`, `exit` | total cycles, retired instructions, exit code |
//!
//! Evaluation is in `f64` (exact for every 32-bit value and for cycle counts below 2^53).

/// A value the relation refers to.
#[derive(Clone, Debug, PartialEq)]
pub enum Ref {
    /// General register.
    Reg(u8),
    /// CSR by number.
    Csr(u8),
    /// Signed 32-bit word `index` at a symbol.
    Word(String, u32),
    /// A statistic by dotted path.
    Stat(String),
    /// Total cycles.
    Cycles,
    /// Retired instructions.
    Instret,
    /// Exit code.
    Exit,
}

impl std::fmt::Display for Ref {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ref::Reg(r) => write!(f, "r{r}"),
            Ref::Csr(n) => write!(
                f,
                "csr.{}",
                bitloom_isa::csr::by_num(*n).map_or("?", |d| d.name)
            ),
            Ref::Word(s, 0) => write!(f, "mem.{s}"),
            Ref::Word(s, i) => write!(f, "mem.{s}[{i}]"),
            Ref::Stat(p) => write!(f, "stats.{p}"),
            Ref::Cycles => write!(f, "cycles"),
            Ref::Instret => write!(f, "instret"),
            Ref::Exit => write!(f, "exit"),
        }
    }
}

/// Comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

/// An arithmetic term.
#[derive(Clone, Debug, PartialEq)]
pub enum Term {
    /// A number.
    Num(f64),
    /// A named value.
    Ref(Ref),
    /// Negation.
    Neg(Box<Term>),
    /// Binary operation (`+ - * /`).
    Bin(char, Box<Term>, Box<Term>),
}

/// A parsed relation.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// Left side.
    pub lhs: Term,
    /// Operator.
    pub op: Cmp,
    /// Right side.
    pub rhs: Term,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(f64),
    Name(String, Option<u32>),
    Op(&'static str),
}

fn lex(s: &str) -> Result<Vec<(usize, Tok)>, (usize, String)> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i] as char;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_') {
                i += 1;
            }
            let t = s[start..i].replace('_', "");
            let v = if let Some(h) = t.strip_prefix("0x") {
                i64::from_str_radix(h, 16).ok().map(|v| v as f64)
            } else {
                t.parse::<f64>().ok()
            };
            let v = v.ok_or((start, format!("bad number `{}`", &s[start..i])))?;
            out.push((start, Tok::Num(v)));
        } else if c.is_ascii_alphabetic() || c == '_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b"_.$".contains(&b[i])) {
                i += 1;
            }
            let name = s[start..i].to_string();
            let mut idx = None;
            if i < b.len() && b[i] == b'[' {
                let close = s[i..].find(']').ok_or((i, "missing `]`".to_string()))? + i;
                let v: u32 = s[i + 1..close]
                    .trim()
                    .parse()
                    .map_err(|_| (i + 1, "index must be a non-negative integer".to_string()))?;
                idx = Some(v);
                i = close + 1;
            }
            out.push((start, Tok::Name(name, idx)));
        } else {
            let two = s.get(i..i + 2).unwrap_or("");
            let op: &'static str = match two {
                "<=" => "<=",
                ">=" => ">=",
                "==" => "==",
                "!=" => "!=",
                _ => match c {
                    '<' => "<",
                    '>' => ">",
                    '+' => "+",
                    '-' => "-",
                    '*' => "*",
                    '/' => "/",
                    '(' => "(",
                    ')' => ")",
                    _ => return Err((i, format!("unexpected `{c}`"))),
                },
            };
            i += op.len();
            out.push((start, Tok::Op(op)));
        }
    }
    Ok(out)
}

fn resolve(name: &str, idx: Option<u32>) -> Result<Ref, String> {
    let plain = |r: Ref| {
        if idx.is_some() {
            Err(format!("`{name}` takes no index"))
        } else {
            Ok(r)
        }
    };
    if let Some(c) = name.strip_prefix("csr.") {
        let d = bitloom_isa::csr::by_name(c).ok_or(format!("no CSR named `{c}`"))?;
        return plain(Ref::Csr(d.num));
    }
    if let Some(p) = name.strip_prefix("stats.") {
        if p.is_empty() || p.split('.').any(str::is_empty) {
            return Err(format!("`{name}` is not a statistics path"));
        }
        return plain(Ref::Stat(p.to_string()));
    }
    if let Some(sym) = name.strip_prefix("mem.") {
        if sym.is_empty() {
            return Err("`mem.` needs a symbol".into());
        }
        return Ok(Ref::Word(sym.to_string(), idx.unwrap_or(0)));
    }
    match name {
        "cycles" => return plain(Ref::Cycles),
        "instret" => return plain(Ref::Instret),
        "exit" => return plain(Ref::Exit),
        _ => {}
    }
    if let Some(r) = bitloom_isa::operand::parse_gpr(name) {
        return plain(Ref::Reg(r));
    }
    Err(format!(
        "unknown name `{name}` (use a register, csr.NAME, stats.PATH, mem.SYMBOL[i], cycles, instret or exit)"
    ))
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.1)
    }

    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |t| t.0)
    }

    fn eat(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Op(o)) if *o == op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn sum(&mut self) -> Result<Term, (usize, String)> {
        let mut t = self.product()?;
        loop {
            let op = if self.eat("+") {
                '+'
            } else if self.eat("-") {
                '-'
            } else {
                return Ok(t);
            };
            t = Term::Bin(op, Box::new(t), Box::new(self.product()?));
        }
    }

    fn product(&mut self) -> Result<Term, (usize, String)> {
        let mut t = self.unary()?;
        loop {
            let op = if self.eat("*") {
                '*'
            } else if self.eat("/") {
                '/'
            } else {
                return Ok(t);
            };
            t = Term::Bin(op, Box::new(t), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Term, (usize, String)> {
        if self.eat("-") {
            return Ok(Term::Neg(Box::new(self.unary()?)));
        }
        let at = self.at();
        match self.toks.get(self.pos).map(|t| t.1.clone()) {
            Some(Tok::Num(v)) => {
                self.pos += 1;
                Ok(Term::Num(v))
            }
            Some(Tok::Name(n, idx)) => {
                self.pos += 1;
                resolve(&n, idx).map(Term::Ref).map_err(|m| (at, m))
            }
            Some(Tok::Op("(")) => {
                self.pos += 1;
                let t = self.sum()?;
                if !self.eat(")") {
                    return Err((self.at(), "expected `)`".into()));
                }
                Ok(t)
            }
            Some(Tok::Op(o)) => Err((at, format!("expected a value, found `{o}`"))),
            None => Err((at, "expected a value, found the end".into())),
        }
    }
}

impl Expr {
    /// Parse `LHS OP RHS`; errors carry the byte offset in `s`.
    pub fn parse(s: &str) -> Result<Expr, (usize, String)> {
        let mut p = Parser {
            toks: lex(s)?,
            pos: 0,
            end: s.len(),
        };
        let lhs = p.sum()?;
        let at = p.at();
        let op = match p.peek() {
            Some(Tok::Op("<")) => Cmp::Lt,
            Some(Tok::Op("<=")) => Cmp::Le,
            Some(Tok::Op(">")) => Cmp::Gt,
            Some(Tok::Op(">=")) => Cmp::Ge,
            Some(Tok::Op("==")) => Cmp::Eq,
            Some(Tok::Op("!=")) => Cmp::Ne,
            _ => return Err((at, "expected a comparison (< <= > >= == !=)".into())),
        };
        p.pos += 1;
        let rhs = p.sum()?;
        if p.pos != p.toks.len() {
            return Err((p.at(), "unexpected text after the relation".into()));
        }
        Ok(Expr { lhs, op, rhs })
    }

    /// Every name the relation uses, in order of appearance (duplicates removed).
    pub fn refs(&self) -> Vec<Ref> {
        fn walk(t: &Term, out: &mut Vec<Ref>) {
            match t {
                Term::Num(_) => {}
                Term::Ref(r) => {
                    if !out.contains(r) {
                        out.push(r.clone())
                    }
                }
                Term::Neg(a) => walk(a, out),
                Term::Bin(_, a, b) => {
                    walk(a, out);
                    walk(b, out);
                }
            }
        }
        let mut v = Vec::new();
        walk(&self.lhs, &mut v);
        walk(&self.rhs, &mut v);
        v
    }

    /// Evaluate with `lookup` giving each name's value; returns (holds, lhs, rhs).
    pub fn eval(
        &self,
        lookup: &mut dyn FnMut(&Ref) -> Result<f64, String>,
    ) -> Result<(bool, f64, f64), String> {
        fn term(t: &Term, l: &mut dyn FnMut(&Ref) -> Result<f64, String>) -> Result<f64, String> {
            Ok(match t {
                Term::Num(v) => *v,
                Term::Ref(r) => l(r)?,
                Term::Neg(a) => -term(a, l)?,
                Term::Bin(op, a, b) => {
                    let (x, y) = (term(a, l)?, term(b, l)?);
                    match op {
                        '+' => x + y,
                        '-' => x - y,
                        '*' => x * y,
                        _ if y == 0.0 => return Err("division by zero".into()),
                        _ => x / y,
                    }
                }
            })
        }
        let a = term(&self.lhs, lookup)?;
        let b = term(&self.rhs, lookup)?;
        let holds = match self.op {
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
        };
        Ok((holds, a, b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_evaluates() {
        let e = Expr::parse("mem.cyc[1] * 10 < 6 * (mem.cyc + 2) - -1").unwrap();
        assert_eq!(
            e.refs(),
            vec![Ref::Word("cyc".into(), 1), Ref::Word("cyc".into(), 0)]
        );
        let mut look = |r: &Ref| match r {
            Ref::Word(_, 1) => Ok(5.0),
            Ref::Word(_, 0) => Ok(7.0),
            _ => Err("?".to_string()),
        };
        assert_eq!(e.eval(&mut look).unwrap(), (true, 50.0, 55.0));
    }

    #[test]
    fn names_resolve() {
        let e = Expr::parse("stats.units.mac.busy_cycles <= cycles").unwrap();
        assert_eq!(e.lhs, Term::Ref(Ref::Stat("units.mac.busy_cycles".into())));
        let e = Expr::parse("csr.nnz != r5").unwrap();
        assert_eq!(e.rhs, Term::Ref(Ref::Reg(5)));
        assert_eq!(e.op, Cmp::Ne);
    }

    #[test]
    fn errors_have_offsets() {
        assert_eq!(Expr::parse("r5 < < 3").unwrap_err().0, 5);
        assert_eq!(Expr::parse("r5 + 3").unwrap_err().0, 6);
        assert!(Expr::parse("bogus < 1")
            .unwrap_err()
            .1
            .contains("unknown name"));
        assert!(Expr::parse("csr.nope < 1")
            .unwrap_err()
            .1
            .contains("no CSR"));
        assert_eq!(Expr::parse("r1 < 2 3").unwrap_err().0, 7);
        assert_eq!(Expr::parse("r1 < 2 $").unwrap_err().0, 7);
    }
}
