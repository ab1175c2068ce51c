//! Generates the instruction and CSR lists of docs/ISA.md from the tables, so the spec
//! cannot drift from the encoder (checked by `tests/docs.rs`).

use crate::csr::{Access, CSRS};
use crate::operand::OperandKind;
use crate::table::INSTRUCTIONS;
use std::fmt::Write as _;

fn field(kind: OperandKind) -> String {
    match kind {
        OperandKind::Gpr => "gpr".into(),
        OperandKind::Tile => "tile".into(),
        OperandKind::Csr => "csr".into(),
        OperandKind::Space => "space".into(),
        OperandKind::Prec => "prec".into(),
        OperandKind::Imm { bits, signed } => format!("{}imm{bits}", if signed { "s" } else { "" }),
        OperandKind::PcRel { bits } => format!("rel{bits}"),
        OperandKind::Mem { bits, .. } => format!("simm{bits}"),
    }
}

/// The generated body of the "Instructions" section.
pub fn instructions_markdown() -> String {
    let mut s = String::new();
    let mut rows: Vec<_> = INSTRUCTIONS.iter().collect();
    rows.sort_by_key(|d| d.class); // stable: opcode order within a class
    let mut class = None;
    for d in rows {
        if class != Some(d.class) {
            class = Some(d.class);
            let _ = writeln!(s, "\n### Class `{}`\n", d.class.name());
        }
        let _ = writeln!(s, "#### `{}`\n", d.syntax());
        let _ = writeln!(s, "{}\n", d.doc);
        let mut enc = format!("opcode=0x{:02x}@0:8", d.opcode as u8);
        for o in d.operands {
            let _ = write!(
                enc,
                ", {}={}@{}:{}",
                o.name,
                field(o.kind),
                o.lo,
                o.kind.width()
            );
            if let OperandKind::Mem { base_lo, .. } = o.kind {
                let _ = write!(enc, ", rs1=gpr@{base_lo}:5");
            }
        }
        let _ = writeln!(s, "- encoding: `{enc}`");
        if !d.operands.is_empty() {
            let roles: Vec<String> = d
                .operands
                .iter()
                .map(|o| match o.kind {
                    OperandKind::Mem { .. } => format!("`disp(rs1)` {}", o.role),
                    _ => format!("`{}` {}", o.name, o.role),
                })
                .collect();
            let _ = writeln!(s, "- operands: {}", roles.join(", "));
        }
        let _ = writeln!(s, "- semantics: `{}`\n", d.semantics);
    }
    s
}

/// The generated body of the "Configuration and status registers" section.
pub fn csrs_markdown() -> String {
    let mut s = String::from(
        "\n| num | name | access | reset | range | description |\n|---|---|---|---|---|---|\n",
    );
    for c in CSRS {
        let _ = writeln!(
            s,
            "| 0x{:02x} | `{}` | {} | {} | {}..{} | {} |",
            c.num,
            c.name,
            if c.access == Access::ReadWrite {
                "rw"
            } else {
                "ro"
            },
            c.reset,
            c.range.0,
            c.range.1,
            c.doc
        );
    }
    s.push('\n');
    s
}

/// Replace the body between `<!-- BEGIN GENERATED: key ...-->` and `<!-- END GENERATED: key -->`.
/// Returns `None` if the markers are missing.
pub fn splice(doc: &str, key: &str, body: &str) -> Option<String> {
    let begin = format!("<!-- BEGIN GENERATED: {key}");
    let end = format!("<!-- END GENERATED: {key} -->");
    let b = doc.find(&begin)?;
    let b_end = b + doc[b..].find("-->")? + 3;
    let e = doc.find(&end)?;
    (e >= b_end).then(|| format!("{}\n{}{}", &doc[..b_end], body, &doc[e..]))
}

/// docs/ISA.md with both generated sections brought up to date.
pub fn update_isa_md(doc: &str) -> Option<String> {
    let d = splice(doc, "instructions", &instructions_markdown())?;
    splice(&d, "csrs", &csrs_markdown())
}
