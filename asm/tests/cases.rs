//! File-driven assembler tests (customasm style): every `tests/cases/**/*.s` is one test.
//!
//! Expectations live in the file's comments:
//! - `; => 01 21 04 00` — the bytes emitted by the lines since the previous `; =>` marker (or
//!   the start of the file), including the marker's own line (so it may trail an instruction).
//!   Lines produced by an `.include` or a macro invocation count for that line.
//! - `; error: text` — assembly must fail with a diagnostic containing `text`.
//! - `; symbol: name = 0x1000` — the image has that symbol with that value.
//! - `; entry: 0x1000` — the image's entry point.
//! - `; define: NAME=VALUE` — assemble with that predefined symbol (`-D NAME=VALUE`).
//! - `; warning: text` — assembly must succeed with a warning containing `text`.
//! - a file `NAME.stderr` next to `NAME.s` — assembly must fail and the rendered diagnostics
//!   (no colour) must equal the file exactly. Run with `BLESS=1` to (re)write these files.
//! - a file `NAME.warnings` next to `NAME.s` — assembly must succeed and the rendered
//!   warnings must equal the file exactly (also written by `BLESS=1` when there are any).
//!
//! Files ending in `.inc` are include-only helpers and are not tests themselves.

use std::path::{Path, PathBuf};

use bitloom_asm::{assemble_file, Define, Options};
use libtest_mimic::{Arguments, Failed, Trial};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "s") {
            out.push(p);
        }
    }
}

fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    let digits: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits in `{s}`"));
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&digits[i..i + 2], 16).map_err(|e| format!("bad hex `{s}`: {e}"))
        })
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn parse_num(s: &str) -> Result<u32, String> {
    let s = s.trim();
    let r = if let Some(h) = s.strip_prefix("0x") {
        u32::from_str_radix(h, 16)
    } else {
        s.parse()
    };
    r.map_err(|e| format!("bad number `{s}`: {e}"))
}

fn run_case(path: &Path) -> Result<(), Failed> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut markers: Vec<(u32, Vec<u8>)> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    let mut symbols: Vec<(String, u32)> = Vec::new();
    let mut entry = None;
    let mut defines = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let Some(pos) = l.find(';') else { continue };
        let c = l[pos + 1..].trim();
        if let Some(h) = c.strip_prefix("=>") {
            markers.push((i as u32 + 1, parse_hex(h)?));
        } else if let Some(e) = c.strip_prefix("error:") {
            errors.push(e.trim().to_string());
        } else if let Some(s) = c.strip_prefix("symbol:") {
            let (n, v) = s
                .split_once('=')
                .ok_or("`; symbol:` needs `name = value`")?;
            symbols.push((n.trim().to_string(), parse_num(v)?));
        } else if let Some(v) = c.strip_prefix("entry:") {
            entry = Some(parse_num(v)?);
        } else if let Some(d) = c.strip_prefix("define:") {
            defines.push(Define::parse(d.trim()).map_err(|e| format!("`; define:` {e}"))?);
        } else if let Some(w) = c.strip_prefix("warning:") {
            warnings.push(w.trim().to_string());
        }
    }
    let golden = path.with_extension("stderr");
    let bless = std::env::var_os("BLESS").is_some();
    let opts = Options {
        listing: true,
        defines,
        ..Options::default()
    };
    let result = assemble_file(path, &opts);
    if golden.exists() || !errors.is_empty() || (bless && result.is_err()) {
        let diags = match result {
            Ok(_) => return Err("assembled successfully, but errors were expected".into()),
            Err(d) => d,
        };
        let rendered = diags.render(false);
        for e in &errors {
            if !rendered.contains(e.as_str()) {
                return Err(format!("expected an error containing `{e}`, got:\n{rendered}").into());
            }
        }
        if golden.exists() || bless {
            if bless {
                std::fs::write(&golden, &rendered).map_err(|e| e.to_string())?;
            } else {
                let want = std::fs::read_to_string(&golden).map_err(|e| e.to_string())?;
                if want != rendered {
                    return Err(format!(
                        "diagnostics differ from {} (run with BLESS=1 to accept)\n--- expected\n{want}\n--- actual\n{rendered}",
                        golden.display()
                    )
                    .into());
                }
            }
        }
        return Ok(());
    }
    let out = result.map_err(|d| format!("assembly failed:\n{}", d.render(false)))?;
    let rendered = if out.warnings.warning_count() > 0 {
        out.warnings.render(false)
    } else {
        String::new()
    };
    for w in &warnings {
        if !rendered.contains(w.as_str()) {
            return Err(format!("expected a warning containing `{w}`, got:\n{rendered}").into());
        }
    }
    let wgolden = path.with_extension("warnings");
    if bless && !rendered.is_empty() {
        std::fs::write(&wgolden, &rendered).map_err(|e| e.to_string())?;
    } else if wgolden.exists() {
        let want = std::fs::read_to_string(&wgolden).map_err(|e| e.to_string())?;
        if want != rendered {
            return Err(format!(
                "warnings differ from {} (run with BLESS=1 to accept)\n--- expected\n{want}\n--- actual\n{rendered}",
                wgolden.display()
            )
            .into());
        }
    } else if !rendered.is_empty() && warnings.is_empty() {
        return Err(format!(
            "unexpected warnings (add a `.warnings` golden or `; warning:` lines):\n{rendered}"
        )
        .into());
    }
    let mut prev = 0;
    for (line, want) in &markers {
        let got: Vec<u8> = out
            .rows
            .iter()
            .filter(|r| r.root_line > prev && r.root_line <= *line)
            .flat_map(|r| r.bytes.iter().copied())
            .collect();
        if got != *want {
            return Err(format!(
                "line {line}: bytes of lines {}..={line} differ\n  expected: {}\n  actual:   {}\nlisting:\n{}",
                prev + 1,
                hex(want),
                hex(&got),
                out.listing
            )
            .into());
        }
        prev = *line;
    }
    for (n, v) in &symbols {
        match out.image.symbols.iter().find(|s| s.name == *n) {
            Some(s) if s.value == *v => {}
            Some(s) => {
                return Err(format!("symbol `{n}` = 0x{:x}, expected 0x{v:x}", s.value).into())
            }
            None => return Err(format!("symbol `{n}` not in the image").into()),
        }
    }
    if let Some(e) = entry {
        if out.image.entry != e {
            return Err(format!("entry 0x{:x}, expected 0x{e:x}", out.image.entry).into());
        }
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    collect(&root.join("tests/cases"), &mut files);
    let trials = files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(root).unwrap_or(&p).to_path_buf();
            let name = rel
                .strip_prefix("tests/cases")
                .unwrap_or(&rel)
                .with_extension("")
                .display()
                .to_string();
            Trial::test(name, move || {
                // Run relative to the crate so paths in goldens are stable.
                let _ = std::env::set_current_dir(root);
                run_case(&rel)
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
