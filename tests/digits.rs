//! The digits model end to end (programs/models/digits): `run.py --check` quantises the
//! real float weights with `bitloom quant`, assembles the six kernels that include the
//! codes through `.npy`, runs them, dumps the logits and hidden activations as `.npy`, and
//! compares them bit for bit with its NumPy integer pipeline (reference.py, written from
//! docs/ISA.md); it also fails when the committed kernel data is stale or int8 accuracy
//! falls more than 1 point below the float model. Needs python3 with NumPy: without them
//! the test says so loudly on stderr and does not run the check.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_bitloom");

fn numpy_available() -> bool {
    Command::new("python3")
        .args(["-c", "import numpy"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[test]
fn digits_model_is_bit_exact_in_every_format() {
    if !numpy_available() {
        // CI sets this: there a missing NumPy is a failure, not a skip.
        assert!(
            std::env::var_os("BITLOOM_REQUIRE_NUMPY").is_none(),
            "BITLOOM_REQUIRE_NUMPY is set but python3 cannot import numpy"
        );
        eprintln!(
            "\n************************************************************\n\
             SKIPPED digits_model_is_bit_exact_in_every_format: python3 with\n\
             NumPy is not available (pip install numpy). The end-to-end\n\
             digits check (programs/models/digits/run.py --check) did NOT run.\n\
             ************************************************************\n"
        );
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/models/digits/run.py");
    let out = Command::new("python3")
        .arg(&script)
        .args(["--check", "--bitloom", BIN])
        .output()
        .expect("spawn python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Shown with --nocapture: the accuracy table of every format.
    println!("{stdout}");
    assert!(
        out.status.success(),
        "run.py --check failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("check passed"), "{stdout}");
    // int8 within 1 percentage point of the float model (run.py checks it too).
    let int8 = stdout
        .lines()
        .find(|l| l.starts_with("| int8"))
        .unwrap_or_else(|| panic!("no int8 row:\n{stdout}"));
    let delta: f64 = int8
        .split('|')
        .nth(3)
        .and_then(|c| c.trim().trim_end_matches("pp").trim().parse().ok())
        .unwrap_or_else(|| panic!("no accuracy delta in {int8}"));
    assert!(delta >= -1.0, "int8 is {delta} points from float: {int8}");
    // One row per format, each bit-exact.
    for title in [
        "int8",
        "int4 per-channel",
        "VSQ 4-bit",
        "log 4-bit",
        "LUT 3-bit",
        "BitCluster k=2",
    ] {
        let row = stdout
            .lines()
            .find(|l| l.starts_with(&format!("| {title}")))
            .unwrap_or_else(|| panic!("no row for {title}:\n{stdout}"));
        assert!(
            row.trim_end()
                .trim_end_matches('|')
                .trim_end()
                .ends_with("yes"),
            "{row}"
        );
    }
}
