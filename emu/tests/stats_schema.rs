//! docs/schema/stats.schema.json is exactly the JSON Schema derived from the `Stats` types
//! (`BLESS=1` rewrites it), so the published schema cannot drift from what `--stats-json`
//! writes. Validation of real outputs against it: tests/stats_schema.rs (root crate).

use std::path::Path;

use bitloom_emu::stats::{json_schema, Stats, STATS_SCHEMA};

#[test]
fn committed_schema_is_the_derived_one() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/schema/stats.schema.json");
    let derived = json_schema();
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&p, &derived).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e} (run with BLESS=1 to write it)", p.display()));
    assert!(
        committed == derived,
        "{} differs from the schema the Stats types derive; if the change is deliberate, \
         run `BLESS=1 cargo test -p bitloom-emu --test stats_schema` (and bump STATS_SCHEMA \
         when a field was removed, renamed or changed meaning)\n--- derived\n{derived}",
        p.display()
    );
}

/// The version is the first field of every stats JSON and the schema pins it.
#[test]
fn version_field() {
    let v: serde_json::Value = serde_json::from_str(&Stats::default().to_json()).unwrap();
    assert_eq!(v["schema"], STATS_SCHEMA);
    assert!(Stats::default().to_json().starts_with("{\n  \"schema\": "));
    let s: serde_json::Value = serde_json::from_str(&json_schema()).unwrap();
    assert_eq!(s["properties"]["schema"]["const"], STATS_SCHEMA);
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    let required: Vec<&str> = s["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    for k in [
        "schema",
        "cycles",
        "instructions",
        "units",
        "classes",
        "mac",
        "energy",
    ] {
        assert!(required.contains(&k), "{k} is required");
    }
}
