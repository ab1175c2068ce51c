//! The macro-heavy case of `bitloom bench asm`: two equivalent generated sources, one in
//! Loom assembly for `bitloom asm` and one in x86-64 GNU syntax for GNU `as`, with the same
//! number of lines of the same kinds in the same order:
//!
//! * five macros defined once (one with a `\@` local label), invoked five times per
//!   function;
//! * one `.rept 3` block per function;
//! * `.equ` constants, one every [`FUNCS_PER_EQU`] functions, each used by earlier
//!   functions (a forward reference) and most defined through the next one (chains of at
//!   most 8, all forward);
//! * functions (a label, ALU instructions, a branch, a call) each followed by a `.data`
//!   block of `.byte`, `.short`, `.ascii`, `.balign` and `.long` (addresses of labels).
//!
//! At the issue's size (466,000 lines) that is about 20,000 functions, 100,000 macro calls
//! and 1,550 `.equ`s.

use std::fmt::Write as _;

/// Source lines of one function (label to the `.text` after its data).
pub const FUNC_LINES: usize = 23;
/// Macro invocations per function.
pub const CALLS_PER_FUNC: usize = 5;
/// One `.equ` after every this many functions.
pub const FUNCS_PER_EQU: usize = 13;

/// The two sources and what they contain (the same for both).
pub struct MacroSources {
    /// Loom assembly, for `bitloom asm`.
    pub loom: String,
    /// x86-64 assembly in GNU syntax, for GNU `as`.
    pub x86: String,
    /// Functions.
    pub functions: usize,
    /// Macro invocation lines.
    pub macro_calls: usize,
    /// `.equ` lines.
    pub equs: usize,
    /// `.rept` blocks.
    pub repts: usize,
}

/// The macro definitions: (Loom, x86) line pairs; both sides have the same line count.
const MACROS: &[(&str, &str)] = &[
    ("\t.macro prologue n", "\t.macro prologue n"),
    ("\taddi sp, sp, -\\n", "\tpushq %rbp"),
    ("\tsw ra, 0(sp)", "\tsubq $\\n, %rsp"),
    ("\t.endm", "\t.endm"),
    ("\t.macro epilogue n", "\t.macro epilogue n"),
    ("\tlw ra, 0(sp)", "\taddq $\\n, %rsp"),
    ("\taddi sp, sp, \\n", "\tpopq %rbp"),
    ("\tret", "\tret"),
    ("\t.endm", "\t.endm"),
    ("\t.macro addk rd, rs, k=1", "\t.macro addk rd, rs, k=1"),
    ("\taddi \\rd, \\rs, \\k", "\tleal \\k(%r\\rs), %e\\rd"),
    ("\txor \\rd, \\rd, \\rs", "\txorl %e\\rs, %e\\rd"),
    ("\t.endm", "\t.endm"),
    ("\t.macro ldst rd, off", "\t.macro ldst rd, off"),
    ("\tlw \\rd, \\off(sp)", "\tmovl \\off(%rsp), %e\\rd"),
    ("\tsw \\rd, \\off+4(sp)", "\tmovl %e\\rd, \\off+4(%rsp)"),
    ("\t.endm", "\t.endm"),
    ("\t.macro spin r", "\t.macro spin r"),
    ("loop\\@:\taddi \\r, \\r, -1", "loop\\@:\tdecl %e\\r"),
    ("\tbnez \\r, loop\\@", "\tjnz loop\\@"),
    ("\t.endm", "\t.endm"),
];

/// Loom registers and the x86 register stems (`%e{stem}` / `%r{stem}`) they stand for.
const REGS: [(&str, &str); 6] = [
    ("r5", "ax"),
    ("r6", "bx"),
    ("r7", "cx"),
    ("r9", "dx"),
    ("r10", "si"),
    ("r11", "di"),
];

/// Small deterministic generator (xorshift64*), so the two files differ only in syntax.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// Both sources, about `lines` lines each (at least one function).
pub fn generate(lines: usize) -> MacroSources {
    let funcs = (lines.saturating_sub(MACROS.len() + 3) * FUNCS_PER_EQU
        / (FUNC_LINES * FUNCS_PER_EQU + 1))
        .max(1);
    let mut l = String::with_capacity(lines * 24);
    let mut x = String::with_capacity(lines * 24);
    let mut pair = |lo: &str, xo: &str| {
        l.push_str(lo);
        l.push('\n');
        x.push_str(xo);
        x.push('\n');
    };
    for (lo, xo) in MACROS {
        pair(lo, xo);
    }
    pair("\t.text", "\t.text");
    pair("\t.globl _start", "\t.globl _start");
    pair("_start:", "_start:");
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut equs = 0;
    // `.equ K{j}`: literal every 8th, else `K{j+1} + c` (defined by a later line).
    let equ = |pair: &mut dyn FnMut(&str, &str), j: usize| {
        let e = if j % 8 == 7 {
            format!("\t.equ K{j}, {}", j * 3)
        } else {
            format!("\t.equ K{j}, K{} + {}", j + 1, j % 7)
        };
        pair(&e, &e);
    };
    for i in 0..funcs {
        let reg = |r: &mut Rng| REGS[r.below(REGS.len() as u64) as usize];
        let (a, b, c) = (reg(&mut r), reg(&mut r), reg(&mut r));
        let frame = 16 * (1 + i % 4);
        let k = r.below(500);
        let off = 4 * r.below(32);
        let j = i / FUNCS_PER_EQU;
        let prev = i.saturating_sub(1);
        let lines: [(String, String); FUNC_LINES] = [
            (format!("f{i}:"), format!("f{i}:")),
            (format!("\tprologue {frame}"), format!("\tprologue {frame}")),
            (
                format!("\tadd {}, {}, {}", a.0, b.0, c.0),
                format!("\taddl %e{}, %e{}", c.1, a.1),
            ),
            (
                format!("\taddk {}, {}, {k}", a.0, b.0),
                format!("\taddk {}, {}, {k}", a.1, b.1),
            ),
            (
                format!("\tslli {}, {}, 3", b.0, b.0),
                format!("\tshll $3, %e{}", b.1),
            ),
            (
                format!("\t; function {i}: a comment line"),
                format!("\t# function {i}: a comment line"),
            ),
            ("\t.rept 3".into(), "\t.rept 3".into()),
            (
                format!("\taddi {}, {}, 1", c.0, c.0),
                format!("\taddl $1, %e{}", c.1),
            ),
            ("\t.endr".into(), "\t.endr".into()),
            (
                format!("\tldst {}, {off}", b.0),
                format!("\tldst {}, {off}", b.1),
            ),
            (
                format!("\tandi {}, {}, K{j} & 1023", a.0, c.0),
                format!("\tandl $(K{j} & 1023), %e{}", a.1),
            ),
            (format!("\tspin {}", c.0), format!("\tspin {}", c.1)),
            (
                format!("\tbne {}, {}, f{i}", a.0, b.0),
                format!("\tjne f{i}"),
            ),
            (format!("\tcall f{prev}"), format!("\tcall f{prev}")),
            (format!("\tepilogue {frame}"), format!("\tepilogue {frame}")),
            ("\t.data".into(), "\t.data".into()),
            (
                format!("d{i}:\t.byte 1, 2, 3, {}", i % 256),
                format!("d{i}:\t.byte 1, 2, 3, {}", i % 256),
            ),
            (
                format!("\t.short {}, K{j}", i % 30000),
                format!("\t.short {}, K{j}", i % 30000),
            ),
            (
                format!("\t.ascii \"function {i}\""),
                format!("\t.ascii \"function {i}\""),
            ),
            ("\t.balign 4".into(), "\t.balign 4".into()),
            (format!("\t.long d{i}, f{i}"), format!("\t.long d{i}, f{i}")),
            ("\t.text".into(), "\t.text".into()),
            (String::new(), String::new()),
        ];
        for (lo, xo) in &lines {
            pair(lo, xo);
        }
        if i % FUNCS_PER_EQU == FUNCS_PER_EQU - 1 {
            equ(&mut pair, equs);
            equs += 1;
        }
    }
    // The constants still referred to: the last function's, and the one its chain needs.
    let last = (funcs - 1) / FUNCS_PER_EQU;
    while equs <= last {
        equ(&mut pair, equs);
        equs += 1;
    }
    if (equs - 1) % 8 != 7 {
        let e = format!("\t.equ K{equs}, 1");
        pair(&e, &e);
        equs += 1;
    }
    let _ = writeln!(l);
    let _ = writeln!(x);
    MacroSources {
        loom: l,
        x86: x,
        functions: funcs,
        macro_calls: funcs * CALLS_PER_FUNC,
        equs,
        repts: funcs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_lines_and_counts() {
        for n in [1, 100, 5_000] {
            let s = generate(n);
            assert_eq!(s.loom.lines().count(), s.x86.lines().count());
            let count = |t: &str, pat: &str| t.lines().filter(|l| l.starts_with(pat)).count();
            for t in [&s.loom, &s.x86] {
                assert_eq!(count(t, "\t.rept 3"), s.repts);
                assert_eq!(count(t, "\t.equ "), s.equs);
                assert_eq!(count(t, "\tprologue ") * CALLS_PER_FUNC, s.macro_calls);
                assert_eq!(count(t, "f"), s.functions);
            }
        }
        // Near the asked size (±1 function's lines).
        let s = generate(466_000);
        let n = s.loom.lines().count();
        assert!(n.abs_diff(466_000) <= FUNC_LINES + 2, "{n} lines");
        assert!((1_500..1_600).contains(&s.equs), "{} .equ", s.equs);
        assert!((100_000..102_000).contains(&s.macro_calls));
    }

    /// Every `K` used is defined by an `.equ` after its first use (a forward reference).
    #[test]
    fn equ_are_forward_references() {
        let s = generate(3_000);
        let lines: Vec<&str> = s.loom.lines().collect();
        for j in 0..s.equs - 1 {
            let def = format!("\t.equ K{j},");
            let d = lines.iter().position(|l| l.starts_with(&def)).unwrap();
            let used = format!("K{j} ");
            if let Some(u) = lines.iter().position(|l| l.contains(&used)) {
                assert!(u < d, "K{j} used at {u}, defined at {d}");
            }
        }
    }

    #[test]
    fn loom_source_assembles() {
        let s = generate(2_000);
        let out = bitloom_asm::assemble_str("macro.s", &s.loom, &Default::default())
            .unwrap_or_else(|d| panic!("{}", d.render(false)));
        assert_eq!(out.stats.macro_expansions, s.macro_calls as u64);
        // Per function: 2 + 1 + 2 + 1 + 3 + 2 + 1 + 2 + 1 + 1 + 3 words.
        assert_eq!(out.stats.instructions, 19 * s.functions as u64);
    }

    /// GNU `as` accepts the x86 side (skipped, saying so, when `as` is not installed).
    #[test]
    fn x86_source_assembles_with_gnu_as() {
        let s = generate(2_000);
        let dir = std::env::temp_dir().join(format!("bitloom-macro-x86-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (src, obj) = (dir.join("x.s"), dir.join("x.o"));
        std::fs::write(&src, &s.x86).unwrap();
        let o = std::process::Command::new("as")
            .arg("-o")
            .arg(&obj)
            .arg(&src)
            .output();
        let _ = std::fs::remove_dir_all(&dir);
        match o {
            Err(e) => eprintln!("GNU as not runnable ({e}); x86 source not checked"),
            Ok(o) => assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr)),
        }
    }
}
