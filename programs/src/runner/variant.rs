//! Test variants: `[[variant]]` tables in an expectation file run its program several
//! times, each assembled with its own `defsym` symbols on top of the file's `[defsym]`
//! (the same kernel at several sizes, precisions or unrollings), as the tests
//! `NAME[VARIANT]`. Every other expectation of the file holds for every variant; a variant
//! may give its own `exit` code.
//!
//! Discovery expands a program into its variants ([`names`], a light read of the file that
//! only looks for the names); the full validation (`validate`) runs with the rest of the
//! file in [`super::expect::Expect::parse`], so a bad variant table is an ERROR at
//! `file:line:col` like any other bad entry.

use std::collections::BTreeMap;
use std::path::Path;

use bitloom_asm::Define;
use serde::Deserialize;
use toml::Spanned;

use super::expect::{defsym_table, ExpectError, RawDefine, SrcFile};

/// One `[[variant]]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVariant {
    name: Spanned<String>,
    description: Option<String>,
    #[serde(default)]
    defsym: BTreeMap<String, Spanned<RawDefine>>,
    exit: Option<Spanned<i64>>,
}

/// A validated variant.
#[derive(Clone, Debug)]
pub struct Variant {
    /// Its name (the test is `NAME[name]`).
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Symbols it is assembled with, after the file's `[defsym]` (same name: this wins).
    pub defines: Vec<Define>,
    /// Its expected exit code, instead of the file's.
    pub exit: Option<u32>,
}

/// Whether `name` is a variant name: 1 to 64 letters, digits, `_`, `-`, `.`, `=`, `+`.
fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.=+".contains(c))
}

/// Validate the file's `[[variant]]` tables: names valid and distinct, `defsym` values as
/// in `[defsym]`, `exit` a 32-bit code and not beside a `[trap]` expectation.
pub(super) fn validate(
    file: &SrcFile,
    raw: Vec<Spanned<RawVariant>>,
    has_trap: bool,
) -> Result<Vec<Variant>, ExpectError> {
    let mut out: Vec<Variant> = Vec::new();
    for v in raw {
        let v = v.into_inner();
        let (name, span) = (v.name.get_ref().clone(), v.name.span());
        if !valid_name(&name) {
            return Err(file.err(
                &span,
                format!(
                    "variant name `{name}`: use 1 to 64 letters, digits, `_`, `-`, `.`, `=` or `+`"
                ),
            ));
        }
        if out.iter().any(|o| o.name == name) {
            return Err(file.err(&span, format!("a second variant named `{name}`")));
        }
        let exit = match v.exit {
            Some(e) if has_trap => {
                return Err(file.err(
                    &e.span(),
                    "a variant's exit code beside a [trap] expectation: a test expects either an exit code or a trap",
                ))
            }
            Some(e) => {
                let x = *e.get_ref();
                if !(0..=u32::MAX as i64).contains(&x) {
                    return Err(file.err(&e.span(), "exit must be 0..=4294967295"));
                }
                Some(x as u32)
            }
            None => None,
        };
        let defines = defsym_table(file, v.defsym, &format!("variant `{name}` defsym"))?;
        out.push(Variant {
            name,
            description: v.description,
            defines,
            exit,
        });
    }
    Ok(out)
}

/// The variant names of the expectation file at `path`, in file order, for discovery;
/// empty when it has none, or when they cannot be read cleanly (the test then runs once
/// and the full parse reports the problem as an ERROR).
pub fn names(path: &Path) -> Vec<String> {
    #[derive(Deserialize)]
    struct Names {
        #[serde(default)]
        variant: Vec<Named>,
    }
    #[derive(Deserialize)]
    struct Named {
        name: String,
    }
    let Ok(text) = super::expect::read_text(path) else {
        return Vec::new();
    };
    let Ok(n) = toml::from_str::<Names>(&text) else {
        return Vec::new();
    };
    let names: Vec<String> = n.variant.into_iter().map(|v| v.name).collect();
    let distinct = names
        .iter()
        .enumerate()
        .all(|(i, a)| valid_name(a) && !names[..i].contains(a));
    if distinct {
        names
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::super::expect::Expect;

    fn parse(s: &str) -> Result<Expect, String> {
        Expect::parse(std::path::Path::new("t.expect.toml"), s).map_err(|e| e.0)
    }

    #[test]
    fn variants_parse_with_their_symbols_and_exit_codes() {
        let e = parse(
            r#"
exit = 0
[defsym]
N = 4
[[variant]]
name = "n8"
defsym = { N = 8, U = "1 << 2" }
[[variant]]
name = "n16"
description = "the big one"
exit = 3
[variant.defsym]
N = 16
"#,
        )
        .unwrap();
        type Row<'a> = (&'a str, Vec<(&'a str, i64)>, Option<u32>);
        let got: Vec<Row> = e
            .variants
            .iter()
            .map(|v| {
                let d = v
                    .defines
                    .iter()
                    .map(|d| (d.name.as_str(), d.value))
                    .collect();
                (v.name.as_str(), d, v.exit)
            })
            .collect();
        assert_eq!(
            got,
            [
                ("n8", vec![("N", 8), ("U", 4)], None),
                ("n16", vec![("N", 16)], Some(3)),
            ]
        );
        assert_eq!(e.variants[1].description.as_deref(), Some("the big one"));
    }

    #[test]
    fn bad_variants_are_errors_at_their_place() {
        let cases = [
            (
                "[[variant]]\nname = \"a b\"\n",
                "t.expect.toml:2:8: variant name `a b`",
            ),
            (
                "[[variant]]\nname = \"a\"\n[[variant]]\nname = \"a\"\n",
                "t.expect.toml:4:8: a second variant named `a`",
            ),
            ("[[variant]]\ndefsym = { N = 1 }\n", "missing field `name`"),
            (
                "[[variant]]\nname = \"a\"\ndefsym = { 1N = 1 }\n",
                "t.expect.toml:3:17: variant `a` defsym 1N",
            ),
            (
                "[trap]\nkind = \"LutIndex\"\n[[variant]]\nname = \"a\"\nexit = 1\n",
                "t.expect.toml:5:8: a variant's exit code beside a [trap]",
            ),
            (
                "[[variant]]\nname = \"a\"\nbogus = 1\n",
                "unknown field `bogus`",
            ),
        ];
        for (text, want) in cases {
            let e = parse(text).unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn names_for_discovery() {
        let d = std::env::temp_dir().join(format!("bitloom-variant-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join("x.expect.toml");
        std::fs::write(
            &p,
            "exit = 0\n[[variant]]\nname = \"b\"\n[[variant]]\nname = \"a\"\n",
        )
        .unwrap();
        assert_eq!(super::names(&p), ["b", "a"]);
        // Duplicates or a bad file: no expansion (the full parse reports it).
        std::fs::write(&p, "[[variant]]\nname = \"a\"\n[[variant]]\nname = \"a\"\n").unwrap();
        assert!(super::names(&p).is_empty());
        std::fs::write(&p, "[[variant]\n").unwrap();
        assert!(super::names(&p).is_empty());
        std::fs::remove_dir_all(&d).ok();
    }
}
