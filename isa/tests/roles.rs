//! Operand roles (read / write / read-write) in the instruction table: checked against each
//! row's semantics string, against the timing model's operand-name rule for tiles, and through
//! `Instr::tile_reads_writes` / `Instr::gpr_reads_writes`.

use bitloom_isa::operand::{Operand, OperandKind, Role};
use bitloom_isa::{InstrDef, Opcode, INSTRUCTIONS};

// ---------------------------------------------------------------------------------------------
// A small reader of the semantics notation (docs/ISA.md §1)
// ---------------------------------------------------------------------------------------------

/// One statement of a semantics string: what it assigns (if anything) and the text it reads.
struct Stmt {
    /// Left-hand side of a top-level ` = `, trimmed (`rd`, `tacc[m][n]`, `csr[csr]`).
    lhs: Option<String>,
    /// Text evaluated for its value: conditions, the right-hand side, and the index
    /// expressions of the left-hand side (`mem32[rs1 + sext(disp)]` reads `rs1`; a lone
    /// identifier as index, as in `csr[csr] = ..`, selects rather than reads).
    reads: Vec<String>,
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Byte index of the first `pat` in `s` outside brackets, braces and parentheses.
fn find_top(s: &str, pat: &str) -> Option<usize> {
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            _ if depth == 0 && s[i..].starts_with(pat) => return Some(i),
            _ => {}
        }
    }
    None
}

/// The `[...]` contents of a left-hand side such as `mem[rs1 .. rs1 + n]` or `tacc[m][n]`.
fn brackets(lhs: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = lhs;
    while let Some(open) = rest.find('[') {
        let mut depth = 0;
        let mut close = open;
        for (i, c) in rest[open..].char_indices() {
            match c {
                '[' => depth += 1,
                ']' => {
                    depth -= 1;
                    if depth == 0 {
                        close = open + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.push(&rest[open + 1..close]);
        rest = &rest[close + 1..];
    }
    out
}

fn statements(sem: &str) -> Vec<Stmt> {
    sem.split(';')
        .map(|s| {
            let mut s = s.trim();
            let mut reads = Vec::new();
            // `for ...:` and `if ...:` prefixes; their text is read (loop variables and
            // "each element e of td" mention no operand as a value).
            while s.starts_with("for ") || s.starts_with("if ") {
                let Some(colon) = find_top(s, ":") else { break };
                reads.push(s[..colon].to_string());
                s = s[colon + 1..].trim();
            }
            match find_top(s, " = ") {
                Some(eq) => {
                    let lhs = s[..eq].trim();
                    reads.push(s[eq + 3..].to_string());
                    // An index that is a lone identifier selects what is assigned
                    // (`csr[csr]`, `lut_table[lut]`, `tacc[m][n]`); any other is evaluated.
                    reads.extend(
                        brackets(lhs)
                            .into_iter()
                            .filter(|b| !b.chars().all(is_ident))
                            .map(str::to_string),
                    );
                    Stmt {
                        lhs: Some(lhs.to_string()),
                        reads,
                    }
                }
                None => {
                    reads.push(s.to_string());
                    Stmt { lhs: None, reads }
                }
            }
        })
        .collect()
}

/// Whether `pat` occurs in `text` starting at an identifier boundary, and (if `pat` ends in an
/// identifier character) ending at one.
fn mentions(text: &str, pat: &str) -> bool {
    text.match_indices(pat).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + pat.len()..].chars().next();
        !before.is_some_and(is_ident) && (!pat.ends_with(is_ident) || !after.is_some_and(is_ident))
    })
}

/// (reads, writes) of one operand as the semantics string states them.
fn from_semantics(d: &InstrDef, name: &str, kind: OperandKind) -> (bool, bool) {
    let stmts = statements(d.semantics);
    let read_in =
        |pred: &dyn Fn(&str) -> bool| stmts.iter().flat_map(|s| &s.reads).any(|t| pred(t));
    match kind {
        // Scalars: assigned as a whole; read wherever the name is evaluated. A memory
        // operand is written `disp(rs1)` in the semantics.
        OperandKind::Gpr | OperandKind::Mem { .. } => {
            let n = if matches!(kind, OperandKind::Mem { .. }) {
                "rs1"
            } else {
                name
            };
            let writes = stmts.iter().any(|s| s.lhs.as_deref() == Some(n));
            (read_in(&|t| mentions(t, n)), writes)
        }
        // Tiles: elements (`t[..]`, `t.data`) or the whole definition (`td = Tile{..}`).
        // Statements that only update bookkeeping (`t.nnz = ..`, `t.storage = ..`) are not
        // reads or writes of the tile.
        OperandKind::Tile => {
            let bookkeeping = |s: &Stmt| {
                s.lhs
                    .as_deref()
                    .is_some_and(|l| l == format!("{name}.nnz") || l == format!("{name}.storage"))
            };
            let stmts: Vec<&Stmt> = stmts.iter().filter(|s| !bookkeeping(s)).collect();
            let writes = stmts.iter().any(|s| {
                s.lhs.as_deref().is_some_and(|l| {
                    l == name || l == format!("{name}.data") || l.starts_with(&format!("{name}["))
                })
            });
            let reads = stmts
                .iter()
                .flat_map(|s| &s.reads)
                .any(|t| mentions(t, &format!("{name}[")) || mentions(t, &format!("{name}.data")));
            (reads, writes)
        }
        // The CSR a `csr` field selects: `csr[csr]`.
        OperandKind::Csr => {
            let sel = format!("csr[{name}]");
            let writes = stmts.iter().any(|s| s.lhs.as_deref() == Some(sel.as_str()));
            (read_in(&|t| t.contains(&sel)), writes)
        }
        // Immediates, targets, scratchpads, precisions: read where evaluated; written when
        // the field selects what is assigned (`lut_table[lut] = ..`).
        _ => {
            let writes = stmts
                .iter()
                .any(|s| s.lhs.as_deref().is_some_and(|l| brackets(l) == [name]));
            (read_in(&|t| mentions(t, name)), writes)
        }
    }
}

#[test]
fn every_role_agrees_with_the_semantics_string() {
    let mut checked = 0;
    for d in INSTRUCTIONS {
        for o in d.operands {
            let (reads, writes) = from_semantics(d, o.name, o.kind);
            assert_eq!(
                (o.role.reads(), o.role.writes()),
                (reads, writes),
                "`{}` operand `{}`: table says {}, semantics `{}` say reads={reads} writes={writes}",
                d.mnemonic,
                o.name,
                o.role,
                d.semantics
            );
            checked += 1;
        }
    }
    assert!(checked > 130, "{checked}");
}

#[test]
fn gpr_destinations_in_the_semantics_are_written() {
    // The literal rule: a statement `rd = ...` (or `rs = ...`) assigns that register.
    let mut dests = 0;
    for d in INSTRUCTIONS {
        for o in d.operands.iter().filter(|o| o.kind == OperandKind::Gpr) {
            let assigned = d.semantics.split(';').any(|s| {
                let s = s.trim();
                let s = match s.strip_prefix("if ") {
                    Some(cond) => cond.split_once(": ").map_or(s, |(_, t)| t),
                    None => s,
                };
                s.starts_with(&format!("{} = ", o.name))
            });
            if assigned {
                dests += 1;
                assert!(
                    o.role.writes(),
                    "`{}`: semantics assign `{}` but its role is {}",
                    d.mnemonic,
                    o.name,
                    o.role
                );
            } else {
                assert!(
                    !o.role.writes(),
                    "`{}`: `{}` is {} but the semantics never assign it",
                    d.mnemonic,
                    o.name,
                    o.role
                );
            }
        }
    }
    // ALU register (10) and immediate (11) rows, muldiv (7), loads (5), jal, jalr, csrr,
    // dchk, st.rle; plus dbnz's counter.
    assert_eq!(dests, 10 + 11 + 7 + 5 + 2 + 1 + 1 + 1 + 1);
}

#[test]
fn spot_checks() {
    let def = bitloom_isa::table::def;
    let role = |op: Opcode, name: &str| {
        def(op)
            .operands
            .iter()
            .find(|o| o.name == name)
            .unwrap_or_else(|| panic!("{op:?} has no operand {name}"))
            .role
    };
    assert_eq!(role(Opcode::Add, "rd"), Role::Write);
    assert_eq!(role(Opcode::Add, "rs1"), Role::Read);
    assert_eq!(role(Opcode::Dbnz, "rs"), Role::ReadWrite);
    assert_eq!(role(Opcode::Sw, "rs2"), Role::Read);
    assert_eq!(role(Opcode::Sw, "addr"), Role::Read);
    assert_eq!(role(Opcode::Lw, "addr"), Role::Read);
    assert_eq!(role(Opcode::Csrr, "csr"), Role::Read);
    assert_eq!(role(Opcode::Cfg, "csr"), Role::Write);
    assert_eq!(role(Opcode::Cfgi, "csr"), Role::Write);
    assert_eq!(role(Opcode::SetLut, "lut"), Role::Write);
    assert_eq!(role(Opcode::Tdef, "td"), Role::Write);
    assert_eq!(role(Opcode::Tzero, "td"), Role::Write);
    assert_eq!(role(Opcode::LdRaw, "td"), Role::Write);
    assert_eq!(role(Opcode::LdRle, "td"), Role::Write);
    assert_eq!(role(Opcode::Dchk, "ts"), Role::Read);
    assert_eq!(role(Opcode::StRle, "ts"), Role::Read);
    assert_eq!(role(Opcode::Bsmac, "tacc"), Role::ReadWrite);
    assert_eq!(role(Opcode::Vscale, "tacc"), Role::ReadWrite);
    assert_eq!(role(Opcode::Bias, "tacc"), Role::ReadWrite);
    assert_eq!(role(Opcode::Bcorr, "tacc"), Role::ReadWrite);
    assert_eq!(role(Opcode::Relu, "tacc"), Role::ReadWrite);
    assert_eq!(role(Opcode::Rqnt, "tout"), Role::Write);
    assert_eq!(role(Opcode::Rqnt, "tacc"), Role::Read);
    // Only operands that select something written are non-read immediates.
    for d in INSTRUCTIONS {
        for o in d.operands {
            if !matches!(
                o.kind,
                OperandKind::Gpr | OperandKind::Tile | OperandKind::Csr
            ) && (d.opcode, o.name) != (Opcode::SetLut, "lut")
            {
                assert_eq!(o.role, Role::Read, "{} {}", d.mnemonic, o.name);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The timing model's name rule (emu/src/timing.rs `Deps::of`)
// ---------------------------------------------------------------------------------------------

/// The rule `Deps::of` applies today by operand name: `td` and `tout` are written, `tacc` read
/// and written, every other tile operand read.
fn name_rule(name: &str) -> Role {
    match name {
        "td" | "tout" => Role::Write,
        "tacc" => Role::ReadWrite,
        _ => Role::Read,
    }
}

#[test]
fn tile_roles_agree_with_the_timing_name_rule_except_rqnt_tacc() {
    // `rqnt tout, tacc, tm` only reads its accumulator tile (semantics: `tout[m][n] =
    // clamp(f(tacc[m][n], tm[m][0]))`), while the name rule treats every `tacc` as written.
    // Switching the timing model to roles therefore drops rqnt's false write of tacc: a later
    // reader of that tile no longer waits for the rqnt, and rqnt no longer waits for earlier
    // readers. That is the only difference; any other would fail here.
    let mut differ = Vec::new();
    for d in INSTRUCTIONS {
        for o in d.operands.iter().filter(|o| o.kind == OperandKind::Tile) {
            if o.role != name_rule(o.name) {
                differ.push((d.mnemonic, o.name, o.role, name_rule(o.name)));
            }
        }
    }
    assert_eq!(
        differ,
        [("rqnt", "tacc", Role::Read, Role::ReadWrite)],
        "tile roles that differ from the timing model's name rule"
    );
}

#[test]
fn tile_and_gpr_masks_follow_the_roles() {
    let t = Operand::Tile;
    let r = Operand::Gpr;
    let i = |op, ops: &[Operand]| bitloom_isa::Instr::new(op, ops).unwrap();
    assert_eq!(
        i(Opcode::Bsmac, &[t(1), t(2), t(3)]).tile_reads_writes(),
        (0b1110, 0b0010)
    );
    assert_eq!(
        i(Opcode::Vscale, &[t(0), t(1), t(2), t(3), t(15)]).tile_reads_writes(),
        (0x800f, 0x0001)
    );
    assert_eq!(
        i(Opcode::Rqnt, &[t(4), t(5), t(6)]).tile_reads_writes(),
        (0b110_0000, 0b1_0000)
    );
    assert_eq!(i(Opcode::Relu, &[t(7)]).tile_reads_writes(), (0x80, 0x80));
    assert_eq!(
        i(Opcode::LdRle, &[t(9), r(3)]).tile_reads_writes(),
        (0, 1 << 9)
    );
    assert_eq!(
        i(Opcode::LdRle, &[t(9), r(3)]).gpr_reads_writes(),
        (1 << 3, 0)
    );
    assert_eq!(
        i(Opcode::StRle, &[r(4), t(2), r(5)]).gpr_reads_writes(),
        (1 << 5, 1 << 4)
    );
    assert_eq!(
        i(Opcode::Sw, &[r(6), Operand::Mem { disp: 8, base: 2 }]).gpr_reads_writes(),
        ((1 << 6) | (1 << 2), 0)
    );
    assert_eq!(
        i(Opcode::Lw, &[r(6), Operand::Mem { disp: 8, base: 2 }]).gpr_reads_writes(),
        (1 << 2, 1 << 6)
    );
    assert_eq!(
        i(Opcode::Dbnz, &[r(7), Operand::PcRel(-8)]).gpr_reads_writes(),
        (1 << 7, 1 << 7)
    );
    assert_eq!(
        i(Opcode::Add, &[r(1), r(1), r(0)]).gpr_reads_writes(),
        (0b11, 0b10)
    );
    assert_eq!(i(Opcode::Sync, &[]).gpr_reads_writes(), (0, 0));
}
