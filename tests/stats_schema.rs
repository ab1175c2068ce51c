//! Real `bitloom run --stats-json` outputs of several bundled examples (with and without the
//! timing model) and the golden stats files validate against the published JSON Schema
//! docs/schema/stats.schema.json, checked with an independent validator (the `jsonschema`
//! crate, not the schemars types that produced the schema); documents that break it are
//! rejected, so the check can fail.

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

mod common;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("docs/schema/stats.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
        "the schema names its draft"
    );
    jsonschema::draft202012::new(&schema).expect("the published schema is a valid schema")
}

fn check(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v.iter_errors(doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{what}: {}", errors.join("\n"));
}

#[test]
fn cli_stats_outputs_validate() {
    let v = validator();
    let d = common::scratch("stats-schema");
    for (name, extra) in [
        ("gemm_check.s", &[][..]),
        ("bitslice.s", &[][..]),
        ("lut_codebook.s", &[][..]),
        ("calls_loops.s", &["--no-timing"][..]),
        ("vsq.s", &["--checked"][..]),
    ] {
        let out = d.join(format!("{name}.json"));
        let st = Command::new(env!("CARGO_BIN_EXE_bitloom"))
            .arg("run")
            .arg("-q")
            .arg(common::example(name))
            .args(extra)
            .arg("--stats-json")
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&st.stderr)
        );
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert_eq!(doc["schema"], 1, "{name}");
        check(&v, &doc, name);
    }
}

#[test]
fn golden_stats_validate() {
    let v = validator();
    let mut n = 0;
    for e in std::fs::read_dir(root().join("tests/golden/stats")).unwrap() {
        let p = e.unwrap().path();
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        check(&v, &doc, &p.display().to_string());
        n += 1;
    }
    assert!(n >= 9, "golden stats files missing");
}

/// Documents that break the contract are rejected: another version, a missing or mistyped
/// field, a negative count.
#[test]
fn broken_documents_are_rejected() {
    let v = validator();
    let good: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/golden/stats/gemm_check.json")).unwrap(),
    )
    .unwrap();
    check(&v, &good, "gemm_check golden");
    let broken = |f: &dyn Fn(&mut Value)| {
        let mut d = good.clone();
        f(&mut d);
        d
    };
    let cases = [
        ("version 2", broken(&|d| d["schema"] = json!(2))),
        (
            "no version",
            broken(&|d| {
                d.as_object_mut().unwrap().remove("schema");
            }),
        ),
        (
            "no cycles",
            broken(&|d| {
                d.as_object_mut().unwrap().remove("cycles");
            }),
        ),
        ("cycles as text", broken(&|d| d["cycles"] = json!("12"))),
        ("negative count", broken(&|d| d["mac"]["macs"] = json!(-1))),
        (
            "class record",
            broken(&|d| d["classes"]["alu"] = json!({"count": 1})),
        ),
        (
            "unit busy",
            broken(&|d| d["units"]["mac"]["busy_cycles"] = json!(1.5)),
        ),
    ];
    for (what, doc) in cases {
        assert!(!v.is_valid(&doc), "{what}: accepted");
    }
}
