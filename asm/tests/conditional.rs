//! Conditional assembly against an independent reference: random trees of `.if`/`.elseif`/
//! `.else`/`.ifdef`/`.ifndef` with constant conditions (literals and `-D` symbols) are
//! assembled, and the bytes must be those a direct interpretation of the tree selects.
//! Also: the nesting limit, `-D` symbols in the image, and skipped regions that are
//! never parsed however deep the nesting.

use bitloom_asm::{assemble_str, Define, Options};
use bitloom_isa::image::SymbolKind;
use proptest::prelude::*;

/// A condition: `.if A OP B`, `.if V OP B` (V is the `-D` symbol), `.ifdef`/`.ifndef` of a
/// defined (`D`) or undefined (`U`) name.
#[derive(Clone, Debug)]
enum C {
    Cmp(i64, &'static str, i64),
    Var(&'static str, i64),
    Def(bool, bool),
}

#[derive(Clone, Debug)]
enum N {
    Byte(u8),
    /// `.if` with its `.elseif` branches (the first condition is the `.if`'s) and an
    /// optional `.else`.
    If(Vec<(C, Vec<N>)>, Option<Vec<N>>),
}

const V: i64 = 5;

fn truth(c: &C) -> bool {
    let cmp = |a: i64, op: &str, b: i64| match op {
        "==" => a == b,
        "!=" => a != b,
        "<" => a < b,
        ">" => a > b,
        "<=" => a <= b,
        ">=" => a >= b,
        "&&" => a != 0 && b != 0,
        "||" => a != 0 || b != 0,
        _ => unreachable!("operator {op}"),
    };
    match c {
        C::Cmp(a, op, b) => cmp(*a, op, *b),
        C::Var(op, b) => cmp(V, op, *b),
        C::Def(ifdef, defined) => ifdef == defined,
    }
}

/// The reference: the bytes the tree selects.
fn expect(nodes: &[N], out: &mut Vec<u8>) {
    for n in nodes {
        match n {
            N::Byte(b) => out.push(*b),
            N::If(branches, els) => match branches.iter().find(|(c, _)| truth(c)) {
                Some((_, body)) => expect(body, out),
                None => {
                    if let Some(e) = els {
                        expect(e, out)
                    }
                }
            },
        }
    }
}

fn render(nodes: &[N], out: &mut String) {
    for n in nodes {
        match n {
            N::Byte(b) => out.push_str(&format!("        .byte {b}\n")),
            N::If(branches, els) => {
                for (i, (c, body)) in branches.iter().enumerate() {
                    let kw = if i == 0 { ".if" } else { ".elseif" };
                    match c {
                        C::Cmp(a, op, b) => out.push_str(&format!("        {kw} {a} {op} {b}\n")),
                        C::Var(op, b) => out.push_str(&format!("        {kw} V {op} {b}\n")),
                        C::Def(ifdef, defined) if i == 0 => {
                            let d = if *ifdef { ".ifdef" } else { ".ifndef" };
                            let name = if *defined { "D" } else { "U" };
                            out.push_str(&format!("        {d} {name}\n"));
                        }
                        // `.elseif` takes an expression: the same truth via a comparison.
                        C::Def(..) => {
                            let t = i64::from(truth(c));
                            out.push_str(&format!("        {kw} {t} == 1\n"));
                        }
                    }
                    render(body, out);
                }
                if let Some(e) = els {
                    out.push_str("        .else\n");
                    render(e, out);
                }
                out.push_str("        .endif\n");
            }
        }
    }
}

fn cond() -> impl Strategy<Value = C> {
    let ops = prop::sample::select(vec!["==", "!=", "<", ">", "<=", ">=", "&&", "||"]);
    prop_oneof![
        (-3i64..4, ops.clone(), -3i64..4).prop_map(|(a, o, b)| C::Cmp(a, o, b)),
        (ops, 3i64..8).prop_map(|(o, b)| C::Var(o, b)),
        (any::<bool>(), any::<bool>()).prop_map(|(i, d)| C::Def(i, d)),
    ]
}

fn tree() -> impl Strategy<Value = Vec<N>> {
    let leaf = any::<u8>().prop_map(N::Byte);
    let node = leaf.prop_recursive(5, 64, 4, |inner| {
        let body = prop::collection::vec(inner, 0..4);
        prop_oneof![
            any::<u8>().prop_map(N::Byte),
            (
                prop::collection::vec((cond(), body.clone()), 1..4),
                prop::option::of(body)
            )
                .prop_map(|(b, e)| N::If(b, e)),
        ]
    });
    prop::collection::vec(node, 1..6)
}

fn opts() -> Options {
    Options {
        defines: vec![
            Define::parse("V=5").expect("V"),
            Define::parse("D").expect("D"),
        ],
        ..Options::default()
    }
}

fn data(src: &str) -> Vec<u8> {
    match assemble_str("c.s", src, &opts()) {
        Ok(out) => out
            .image
            .section(".data")
            .map(|s| s.data.clone())
            .unwrap_or_default(),
        Err(d) => panic!("does not assemble:\n{src}\n{}", d.render(false)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn conditionals_select_what_the_reference_selects(t in tree()) {
        let mut src = String::from("        .data\n");
        render(&t, &mut src);
        let mut want = Vec::new();
        expect(&t, &mut want);
        prop_assert_eq!(data(&src), want, "{}", src);
    }
}

#[test]
fn nesting_limit_is_an_error_not_a_crash() {
    for cond in ["1", "0"] {
        let mut src = String::from(".data\n");
        for _ in 0..300 {
            src.push_str(&format!(".if {cond}\n"));
        }
        src.push_str(".byte 1\n");
        for _ in 0..300 {
            src.push_str(".endif\n");
        }
        let d = assemble_str("deep.s", &src, &Options::default()).unwrap_err();
        assert_eq!(d.error_count(), 1, "{}", d.render(false));
        assert!(d.list[0].message.contains("nested more than 256"));
        assert_eq!(d.location(&d.list[0]).1, 258);
    }
    // 200 levels are fine, taken or skipped.
    let mut src = String::from(".data\n");
    for i in 0..200 {
        src.push_str(if i == 100 { ".if 0\n" } else { ".if 1\n" });
    }
    src.push_str(".byte 1\n");
    for _ in 0..200 {
        src.push_str(".else\n.byte 2\n.endif\n");
    }
    // Levels 101..200 are skipped whole; level 100 takes its `.else`, the outer 99 do not.
    assert_eq!(data(&src), vec![2]);
}

#[test]
fn defines_are_absolute_symbols_and_last_wins() {
    let mut o = opts();
    o.defines.push(Define::parse("V=-7").expect("V"));
    let out = assemble_str("d.s", ".data\n.byte V & 0xff, D\n", &o).expect("assembles");
    let sec = out.image.section(".data").expect(".data");
    assert_eq!(sec.data, vec![0xf9, 1]);
    let v = out
        .image
        .symbols
        .iter()
        .find(|s| s.name == "V")
        .expect("V in the image");
    assert_eq!(v.kind, SymbolKind::Absolute);
    assert_eq!(v.value, (-7i64) as u32);
}
