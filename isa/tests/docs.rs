//! docs/ISA.md must list exactly what the instruction and CSR tables define.
//! Run with `BLESS=1` to rewrite the generated sections.

use std::path::PathBuf;

#[test]
fn isa_md_matches_tables() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/ISA.md");
    let doc = std::fs::read_to_string(&path).expect("docs/ISA.md readable");
    let want = bitloom_isa::docgen::update_isa_md(&doc).expect("generated-section markers present");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, &want).expect("write docs/ISA.md");
        return;
    }
    assert!(
        doc == want,
        "docs/ISA.md is out of date with isa/src/table.rs or csr.rs; run `BLESS=1 cargo test -p bitloom-isa --test docs`"
    );
    for d in bitloom_isa::INSTRUCTIONS {
        assert!(
            doc.contains(&format!("#### `{}`", d.syntax())),
            "{} missing",
            d.mnemonic
        );
    }
}
