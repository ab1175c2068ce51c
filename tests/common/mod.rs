//! Helpers shared by the root crate's end-to-end tests: scratch directories, paths of the
//! bundled examples, and running the binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// A fresh scratch directory for one test, removed when the test passes (kept for
/// inspection when it fails).
pub struct Scratch(pub PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A new, empty scratch directory named after the test binary, the process and `name`.
pub fn scratch(name: &str) -> Scratch {
    let d = std::env::temp_dir().join(format!(
        "bitloom-{}-{}-{name}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create scratch dir");
    Scratch(d)
}

/// Path of a bundled example program.
pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("programs/examples")
        .join(name)
}

/// The `bitloom` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_bitloom");

/// Run `bitloom` with `args`, capturing both streams.
pub fn bitloom(args: &[&str]) -> std::process::Output {
    std::process::Command::new(BIN)
        .args(args)
        .output()
        .expect("run bitloom")
}

/// A path as `&str` for an argument list.
pub fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Output bytes as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Fails with both output streams when `out` did not exit with `code`.
pub fn assert_status(out: &std::process::Output, code: i32, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}: expected exit status {code}\n--- stdout:\n{}\n--- stderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}
