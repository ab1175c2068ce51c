//! `bitloom hw`: the effective configuration printed as commented TOML (every key with its
//! meaning and unit) loads back to the same configuration, for the defaults and for a file
//! given with `--hw`; `--json` prints the same configuration as JSON.

mod common;

use bitloom_emu::hw::HwConfig;
use common::*;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_bitloom");

fn hw(d: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .current_dir(d)
        .arg("hw")
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn printed_config_loads_back_for_defaults_and_files() {
    let d = scratch("hw-docs");
    let text = hw(&d, &[]);
    assert_eq!(HwConfig::parse(&text).unwrap(), HwConfig::default());
    // Every key line has its comment above it.
    let lines: Vec<&str> = text.lines().collect();
    for (i, l) in lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains(" = ") && !l.starts_with('#'))
    {
        assert!(lines[i - 1].starts_with("# "), "no comment above `{l}`");
    }
    // A partial file: the printed effective config has the file's values and the defaults.
    std::fs::write(
        d.join("my.toml"),
        "[mac]\nrows = 8\nmodel = \"stripes\"\n[clock]\nfreq_mhz = 500.5\n",
    )
    .unwrap();
    let text = hw(&d, &["--hw", "my.toml"]);
    let mut want = HwConfig::default();
    want.mac.rows = 8;
    want.mac.model = bitloom_emu::hw::MacModel::Stripes;
    want.clock.freq_mhz = 500.5;
    assert_eq!(HwConfig::parse(&text).unwrap(), want);
    assert!(text.contains("Unit: MHz.\nfreq_mhz = 500.5\n"), "{text}");
    std::fs::write(d.join("back.toml"), &text).unwrap();
    assert_eq!(
        hw(&d, &["--hw", "back.toml"]),
        text,
        "printing is a fixed point"
    );
    let json = hw(&d, &["--hw", "my.toml", "--json"]);
    let back: HwConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back, want);
}
