//! The directive table: every directive the assembler knows, with what kind of directive it
//! is. The assembler's dispatch, its scan for block keywords, the section names `.section`
//! accepts, the check that a macro does not take a directive's name and the "did you mean"
//! suggestions all read this one list.

use bitloom_isa::image::SectionKind;

/// A block keyword: opens or closes lines that the line driver handles before parsing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Block {
    /// `.macro`
    Macro,
    /// `.endm`
    Endm,
    /// `.rept`
    Rept,
    /// `.endr`
    Endr,
    /// `.irp`
    Irp,
    /// `.irpc`
    Irpc,
}

/// The block keywords that `.endr` closes.
pub(crate) const REPEATS: &[Block] = &[Block::Rept, Block::Irp, Block::Irpc];

/// A conditional-assembly keyword: handled by the line driver, also in skipped regions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cond {
    /// `.if EXPR`
    If,
    /// `.ifdef NAME`
    Ifdef,
    /// `.ifndef NAME` / `.ifnotdef NAME`
    Ifndef,
    /// `.elseif EXPR`
    Elseif,
    /// `.else`
    Else,
    /// `.endif`
    Endif,
}

/// What a directive does (and so which handler it goes to).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Switch to the section of this name (`.text`, `.rodata`, `.data`, `.bss`); the names
    /// are also the prefixes `.section` accepts.
    Section(SectionKind),
    /// `.section NAME`.
    NamedSection,
    /// `.global`/`.globl`.
    Global,
    /// `.equ NAME, EXPR`.
    Equ,
    /// `.set NAME, EXPR`.
    Set,
    /// Integers of this many bytes (`.byte`, `.half`, `.word` and their aliases).
    Int(u8),
    /// `.fill COUNT[, SIZE[, VALUE]]`.
    Fill,
    /// `.zero`/`.space`/`.skip`: a size and an optional fill byte.
    Zero,
    /// `.align`/`.balign` (a byte count) or `.p2align` (a power of two, `pow2`).
    Align {
        /// The argument is an exponent.
        pow2: bool,
    },
    /// `.ascii` (`nul == false`), `.asciz`/`.string`.
    Ascii {
        /// Each string is followed by a NUL byte.
        nul: bool,
    },
    /// `.tile PREC, v, ...`.
    Tile,
    /// `.scales BITS, v, ...`.
    Scales,
    /// `.lut v, ...`.
    Lut,
    /// `.rle PREC, RUNBITS, v, ...`.
    Rle,
    /// `.include "file"`.
    Include,
    /// `.incbin "file"[, OFFSET[, LENGTH]]`.
    Incbin,
    /// `.npy "file", PREC[, ROWS, COLS[, RUNBITS]]`.
    Npy,
    /// `.macro`/`.endm`/`.rept`/`.irp`/`.irpc`/`.endr`.
    Block(Block),
    /// `.if`/`.ifdef`/`.ifndef`/`.elseif`/`.else`/`.endif`.
    Cond(Cond),
    /// `.err`/`.error ["message"]`: an error at this line.
    Err,
    /// `.warning "message"`: a warning at this line.
    Warning,
}

/// One directive: its name (lower case, with the dot) and kind.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Directive {
    /// The name, e.g. `.word`.
    pub name: &'static str,
    /// What it is.
    pub kind: Kind,
}

const fn d(name: &'static str, kind: Kind) -> Directive {
    Directive { name, kind }
}

/// Every directive. The order is the order suggestions are tried in (on a tie the first wins).
pub(crate) const DIRECTIVES: &[Directive] = &[
    d(".text", Kind::Section(SectionKind::Text)),
    d(".data", Kind::Section(SectionKind::Data)),
    d(".rodata", Kind::Section(SectionKind::Rodata)),
    d(".bss", Kind::Section(SectionKind::Bss)),
    d(".section", Kind::NamedSection),
    d(".global", Kind::Global),
    d(".globl", Kind::Global),
    d(".equ", Kind::Equ),
    d(".set", Kind::Set),
    d(".byte", Kind::Int(1)),
    d(".half", Kind::Int(2)),
    d(".hword", Kind::Int(2)),
    d(".short", Kind::Int(2)),
    d(".word", Kind::Int(4)),
    d(".long", Kind::Int(4)),
    d(".int", Kind::Int(4)),
    d(".fill", Kind::Fill),
    d(".zero", Kind::Zero),
    d(".space", Kind::Zero),
    d(".skip", Kind::Zero),
    d(".align", Kind::Align { pow2: false }),
    d(".balign", Kind::Align { pow2: false }),
    d(".p2align", Kind::Align { pow2: true }),
    d(".ascii", Kind::Ascii { nul: false }),
    d(".asciz", Kind::Ascii { nul: true }),
    d(".string", Kind::Ascii { nul: true }),
    d(".tile", Kind::Tile),
    d(".rle", Kind::Rle),
    d(".lut", Kind::Lut),
    d(".scales", Kind::Scales),
    d(".include", Kind::Include),
    d(".incbin", Kind::Incbin),
    d(".npy", Kind::Npy),
    d(".macro", Kind::Block(Block::Macro)),
    d(".endm", Kind::Block(Block::Endm)),
    d(".rept", Kind::Block(Block::Rept)),
    d(".endr", Kind::Block(Block::Endr)),
    d(".irp", Kind::Block(Block::Irp)),
    d(".irpc", Kind::Block(Block::Irpc)),
    d(".if", Kind::Cond(Cond::If)),
    d(".ifdef", Kind::Cond(Cond::Ifdef)),
    d(".ifndef", Kind::Cond(Cond::Ifndef)),
    d(".ifnotdef", Kind::Cond(Cond::Ifndef)),
    d(".elseif", Kind::Cond(Cond::Elseif)),
    d(".else", Kind::Cond(Cond::Else)),
    d(".endif", Kind::Cond(Cond::Endif)),
    d(".err", Kind::Err),
    d(".error", Kind::Err),
    d(".warning", Kind::Warning),
];

/// The directive called `name` (case-insensitive).
pub(crate) fn lookup(name: &str) -> Option<&'static Directive> {
    DIRECTIVES
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(name))
}

/// Every directive name, in table order.
pub(crate) fn names() -> impl Iterator<Item = &'static str> {
    DIRECTIVES.iter().map(|d| d.name)
}

/// The kind of the section called `name`: one of the section directives' names, or one of
/// them followed by `.suffix` (`.rodata.luts`). Case-sensitive, like section names.
pub(crate) fn section_kind(name: &str) -> Option<SectionKind> {
    DIRECTIVES.iter().find_map(|d| match d.kind {
        Kind::Section(k)
            if name
                .strip_prefix(d.name)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.')) =>
        {
            Some(k)
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lower_case_unique_and_documented() {
        let doc = include_str!("../../docs/ASSEMBLY.md");
        for (i, d) in DIRECTIVES.iter().enumerate() {
            assert!(d.name.starts_with('.'), "{}", d.name);
            assert_eq!(d.name, d.name.to_ascii_lowercase());
            assert!(
                DIRECTIVES[..i].iter().all(|e| e.name != d.name),
                "{} twice",
                d.name
            );
            assert!(
                doc.contains(&format!("`{}", d.name)),
                "{} is not in docs/ASSEMBLY.md",
                d.name
            );
            assert_eq!(
                lookup(&d.name.to_ascii_uppercase()).map(|e| e.name),
                Some(d.name)
            );
        }
    }

    #[test]
    fn section_names() {
        assert_eq!(section_kind(".text"), Some(SectionKind::Text));
        assert_eq!(section_kind(".rodata.luts"), Some(SectionKind::Rodata));
        assert_eq!(section_kind(".data"), Some(SectionKind::Data));
        assert_eq!(section_kind(".bss.x.y"), Some(SectionKind::Bss));
        for bad in [".textx", ".TEXT", "text", ".tex", ".section", ".bs"] {
            assert_eq!(section_kind(bad), None, "{bad}");
        }
    }
}
