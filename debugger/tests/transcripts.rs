//! Golden transcripts: every `tests/transcripts/*.gdb` command script is run through
//! `Session::execute` (no terminal) from the repository root, and its transcript — the
//! banner, then each command after the prompt and its output — must equal the `.out` file
//! beside it exactly. `BLESS=1 cargo test -p bitloom-debugger --test transcripts` rewrites
//! the `.out` files (and the transcript blocks of docs/DEBUGGING.md); review the diff: the
//! golden output is the specification.

mod common;

use std::path::{Path, PathBuf};

fn bless() -> bool {
    std::env::var_os("BLESS").is_some_and(|v| v != "0")
}

fn scripts() -> Vec<PathBuf> {
    let dir = common::repo_root().join("debugger/tests/transcripts");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("transcripts dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "gdb"))
        .collect();
    v.sort();
    v
}

/// First differing line, for a readable failure.
fn first_diff(want: &str, got: &str) -> String {
    for (i, (a, b)) in want.lines().zip(got.lines()).enumerate() {
        if a != b {
            return format!("line {}:\n  want: {a:?}\n  got:  {b:?}", i + 1);
        }
    }
    format!(
        "one is a prefix of the other ({} vs {} lines)",
        want.lines().count(),
        got.lines().count()
    )
}

#[test]
fn golden_transcripts() {
    common::at_root();
    std::fs::create_dir_all("target/dbg-dumps").expect("dump dir");
    let scripts = scripts();
    assert!(scripts.len() >= 10, "transcripts missing: {scripts:?}");
    let mut failures = Vec::new();
    for script in &scripts {
        let text = std::fs::read_to_string(script).expect("read script");
        let got =
            common::run_transcript(&text).unwrap_or_else(|e| panic!("{}: {e}", script.display()));
        let out = script.with_extension("out");
        if bless() {
            std::fs::write(&out, &got).expect("write .out");
            continue;
        }
        let want = std::fs::read_to_string(&out).unwrap_or_default();
        if want != got {
            failures.push(format!(
                "{}: output differs from {} ({})",
                script.display(),
                out.display(),
                first_diff(&want, &got)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(run with BLESS=1 to accept, then review the diff)",
        failures.join("\n")
    );
}

/// The transcript blocks of docs/DEBUGGING.md: a line `<!-- transcript: NAME.out -->`
/// followed by a fenced block holding exactly that golden file, so the walkthrough cannot
/// drift from what the debugger prints.
#[test]
fn debugging_doc_matches_golden_transcripts() {
    let root = common::repo_root();
    let doc_path = root.join("docs/DEBUGGING.md");
    let doc = std::fs::read_to_string(&doc_path).expect("docs/DEBUGGING.md");
    let mut out = String::new();
    let mut rest = doc.as_str();
    let mut checked = 0;
    let mut failures = Vec::new();
    const MARK: &str = "<!-- transcript: ";
    while let Some(i) = rest.find(MARK) {
        let (before, after) = rest.split_at(i);
        out.push_str(before);
        let end = after.find("-->").expect("marker ends with -->");
        let name = after[MARK.len()..end].trim();
        let golden = std::fs::read_to_string(
            root.join("debugger/tests/transcripts")
                .join(Path::new(name)),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        // The marker line, then ```text ... ```.
        let body_start = after
            .find("```text\n")
            .expect("a ```text block after the marker")
            + "```text\n".len();
        let body_end = body_start + after[body_start..].find("```").expect("closing fence");
        if after[body_start..body_end] != golden {
            failures.push(format!(
                "{name}: the doc's block differs ({})",
                first_diff(&golden, &after[body_start..body_end])
            ));
        }
        out.push_str(&after[..body_start]);
        out.push_str(&golden);
        rest = &after[body_end..];
        checked += 1;
    }
    out.push_str(rest);
    assert!(checked >= 1, "docs/DEBUGGING.md has no transcript block");
    if bless() {
        std::fs::write(&doc_path, out).expect("write doc");
        return;
    }
    assert!(
        failures.is_empty(),
        "{}\n(BLESS=1 rewrites the blocks)",
        failures.join("\n")
    );
}

/// `dump` writes real .npy files: read them back (npyz) and check dtype, shape and data
/// against the machine.
#[test]
fn dump_writes_readable_npy() {
    common::at_root();
    std::fs::create_dir_all("target/dbg-dumps").expect("dump dir");
    let mut s = common::session("programs/examples/gemm_check.s", true);
    for c in ["b 44", "run"] {
        s.execute(c);
    }
    let r = s.execute("dump t2 target/dbg-dumps/unit_t2.npy");
    assert!(r.starts_with("Wrote t2 values"), "{r}");
    let r = s.execute("dump t1 target/dbg-dumps/unit_t1.npy --codes");
    assert!(r.starts_with("Wrote t1 codes"), "{r}");
    let r = s.execute("dump memory a_bytes 128 target/dbg-dumps/unit_mem.npy");
    assert!(r.starts_with("Wrote 128 bytes"), "{r}");

    let read = |p: &str| {
        let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{p}: {e}"));
        npyz::NpyFile::new(std::io::Cursor::new(bytes)).expect("valid npy")
    };
    let f = read("target/dbg-dumps/unit_t2.npy");
    assert_eq!(f.shape(), &[8, 8]);
    assert_eq!(f.dtype().descr(), "'<i4'");
    let v: Vec<i32> = f.into_vec().expect("int32 data");
    assert_eq!(v, s.dbg.m.tile_values(2).expect("t2 values"));

    let f = read("target/dbg-dumps/unit_t1.npy");
    assert_eq!(f.shape(), &[16, 8]);
    assert_eq!(f.dtype().descr(), "'|u1'");
    let v: Vec<u8> = f.into_vec().expect("uint8 data");
    assert_eq!(v, s.dbg.m.tile_codes(1).expect("t1 codes"));

    let f = read("target/dbg-dumps/unit_mem.npy");
    assert_eq!(f.shape(), &[128]);
    let v: Vec<u8> = f.into_vec().expect("uint8 data");
    let a = s
        .dbg
        .m
        .image()
        .symbols
        .iter()
        .find(|x| x.name == "a_bytes")
        .unwrap()
        .value;
    assert_eq!(v, s.dbg.m.read_dram(a, 128).unwrap());
    // The activations decoded from the RLE stream equal the plain copy.
    assert_eq!(v, s.dbg.m.tile_codes(1).unwrap());

    // Errors are messages, not panics, and leave no file behind.
    let r = s.execute("dump t9 target/dbg-dumps/none.npy");
    assert_eq!(r, "t9 is not defined\n");
    let r = s.execute("dump t2 target/no-such-dir/x.npy");
    assert!(r.starts_with("target/no-such-dir/x.npy: "), "{r}");
    assert!(!Path::new("target/dbg-dumps/none.npy").exists());
}
