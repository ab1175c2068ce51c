//! End-to-end tests of the bundled example kernels (`programs/examples/*.s`).
//!
//! For every example: it assembles; its ELF survives a write/read round trip unchanged; the
//! re-assemblable disassembly assembles back to the same section bytes; it exits 0 on the
//! emulator with the timing model and checked mode on, and again functional-only unless the
//! source declares `; needs: timing`. For the kernels listed in [`CORRUPT`], one byte of the
//! scalar reference's input is flipped after loading and the run must then exit non-zero,
//! which shows that the self-check actually compares something.
//!
//! One libtest-mimic trial per example and check, e.g. `vsq::timing_checked`.

use std::path::{Path, PathBuf};

use bitloom_asm::{assemble_file, assemble_str, Options};
use bitloom_emu::hw::HwConfig;
use bitloom_emu::machine::Machine;
use bitloom_emu::timing::Timing;
use bitloom_isa::image::Image;
use libtest_mimic::{Arguments, Failed, Trial};

/// Instruction budget of one run (the largest example needs well under a million).
const MAX_STEPS: u64 = 20_000_000;

/// Examples whose self-check must catch a corrupted reference input: (file stem, symbol
/// of plain data read only by the scalar reference, byte offset to flip).
const CORRUPT: &[(&str, &str, u32)] = &[
    ("gemm_check", "a_bytes", 2),
    ("lut_codebook", "a_bytes", 1),
    ("log_bcorr", "a_bytes", 0),
    ("bitslice", "a_bytes", 0),
    ("vsq", "a_bytes", 0),
    ("bitcluster", "a_bytes", 1),
    ("calls_loops", "squares", 12),
];

/// Kernels that must be present (guards against an empty or renamed directory).
const EXPECTED: &[&str] = &[
    "gemm_check",
    "precision_sweep",
    "lut_codebook",
    "log_bcorr",
    "bitslice",
    "vsq",
    "bitcluster",
    "density_store",
    "calls_loops",
];

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/examples")
}

fn examples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(examples_dir())
        .expect("programs/examples is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "s"))
        .collect();
    v.sort();
    v
}

fn stem(p: &Path) -> String {
    p.file_stem().unwrap().to_string_lossy().into_owned()
}

/// Whether the source has a `; needs: timing` line (a comma-separated list after `needs:`).
fn needs_timing(src: &str) -> bool {
    src.lines().any(|l| {
        l.trim()
            .strip_prefix(';')
            .and_then(|r| r.trim().strip_prefix("needs:"))
            .is_some_and(|r| r.split(',').any(|w| w.trim() == "timing"))
    })
}

fn assemble(path: &Path) -> Result<Image, Failed> {
    assemble_file(path, &Options::default())
        .map(|o| o.image)
        .map_err(|d| format!("{} does not assemble:\n{}", path.display(), d.render(false)).into())
}

/// Assemble, then write and read back the ELF (which must reproduce the image).
fn assemble_via_elf(path: &Path) -> Result<Image, Failed> {
    let img = assemble(path)?;
    let elf = bitloom_isa::elf::write_elf(&img)
        .map_err(|e| format!("{}: write_elf: {e}", path.display()))?;
    let back = bitloom_isa::elf::read_elf(&elf)
        .map_err(|e| format!("{}: read_elf of our own ELF: {e}", path.display()))?;
    let expected = img;
    if back != expected {
        let what = [
            ("entry", back.entry != expected.entry),
            ("sections", back.sections != expected.sections),
            ("symbols", back.symbols != expected.symbols),
            ("line table", back.lines != expected.lines),
        ];
        let what: Vec<&str> = what.iter().filter(|w| w.1).map(|w| w.0).collect();
        return Err(format!(
            "{}: ELF round trip changed the image ({})",
            path.display(),
            what.join(", ")
        )
        .into());
    }
    Ok(back)
}

/// Outcome of one emulator run.
enum Ran {
    Exit(u32),
    Trap(String),
    StepLimit,
}

fn run_image(
    img: &Image,
    timing: bool,
    checked: bool,
    patch: Option<(u32, u8)>,
) -> Result<Ran, Failed> {
    let hw = HwConfig::default();
    let mut m = Machine::new(&hw, img).map_err(|e| format!("load: {e}"))?;
    if timing {
        m.timing = Some(Timing::new(&hw));
    }
    m.checked = checked;
    if let Some((addr, xor)) = patch {
        let b = m
            .read_dram(addr, 1)
            .map_err(|t| format!("read_dram: {t}"))?[0];
        m.write_dram(addr, &[b ^ xor])
            .map_err(|t| format!("write_dram: {t}"))?;
    }
    Ok(match m.run_fast(MAX_STEPS) {
        Ok(Some(code)) => Ran::Exit(code),
        Ok(None) => Ran::StepLimit,
        Err(t) => Ran::Trap(t.render(m.image())),
    })
}

fn expect_exit0(path: &Path, timing: bool, checked: bool) -> Result<(), Failed> {
    let img = assemble_via_elf(path)?;
    let mode = match (timing, checked) {
        (true, true) => "timing + checked",
        (true, false) => "timing",
        (false, true) => "functional + checked",
        (false, false) => "functional",
    };
    match run_image(&img, timing, checked, None)? {
        Ran::Exit(0) => Ok(()),
        Ran::Exit(c) => Err(format!(
            "{} ({mode}): self-check failed with exit code {c} (see the file's header for its meaning)",
            path.display()
        )
        .into()),
        Ran::Trap(t) => Err(format!("{} ({mode}): trapped:\n{t}", path.display()).into()),
        Ran::StepLimit => Err(format!("{} ({mode}): no halt within {MAX_STEPS} instructions", path.display()).into()),
    }
}

/// The re-assemblable disassembly assembles back to the same sections and entry point.
fn disasm_roundtrip(path: &Path) -> Result<(), Failed> {
    let img = assemble(path)?;
    let src = bitloom_isa::disasm::disassemble_to_source(&img);
    let name = format!("{}.dis.s", stem(path));
    let re = assemble_str(&name, &src, &Options::default())
        .map_err(|d| {
            format!(
                "{}: disassembly does not re-assemble:\n{}",
                path.display(),
                d.render(false)
            )
        })?
        .image;
    if re.entry != img.entry {
        return Err(format!(
            "{}: entry 0x{:x} became 0x{:x}",
            path.display(),
            img.entry,
            re.entry
        )
        .into());
    }
    let names = |i: &Image| {
        i.sections
            .iter()
            .map(|s| s.name.clone())
            .collect::<Vec<_>>()
    };
    if names(&re) != names(&img) {
        return Err(format!(
            "{}: sections {:?} became {:?}",
            path.display(),
            names(&img),
            names(&re)
        )
        .into());
    }
    for (a, b) in img.sections.iter().zip(&re.sections) {
        if (a.addr, a.size, a.kind) != (b.addr, b.size, b.kind) {
            return Err(format!(
                "{}: section {} at 0x{:x} size {} ({:?}) became 0x{:x} size {} ({:?})",
                path.display(),
                a.name,
                a.addr,
                a.size,
                a.kind,
                b.addr,
                b.size,
                b.kind
            )
            .into());
        }
        if a.data != b.data {
            let i = a
                .data
                .iter()
                .zip(&b.data)
                .position(|(x, y)| x != y)
                .unwrap_or(a.data.len().min(b.data.len()));
            return Err(format!(
                "{}: section {} differs after disassembly round trip at 0x{:x}",
                path.display(),
                a.name,
                a.addr as usize + i
            )
            .into());
        }
    }
    // The objdump listing names every text word's address.
    let file = bitloom_isa::disasm::ObjFile::from_image(&img)?;
    let dump = bitloom_isa::disasm::objdump(
        &file,
        &bitloom_isa::disasm::ObjdumpOptions {
            disassemble: bitloom_isa::disasm::Disassemble::Code,
            zeroes: true,
            ..Default::default()
        },
    );
    let text = img.section(".text").ok_or("no .text section")?;
    for off in (0..text.size).step_by(4) {
        let addr = format!("{:x}:", text.addr + off);
        if !dump.contains(&addr) {
            return Err(
                format!("{}: objdump has no line for address {addr}", path.display()).into(),
            );
        }
    }
    Ok(())
}

/// Flipping a byte of the reference's plain input makes the self-check fail.
fn detects_corruption(path: &Path, sym: &str, off: u32) -> Result<(), Failed> {
    let img = assemble(path)?;
    let s = img
        .symbols
        .iter()
        .find(|s| s.name == sym)
        .ok_or_else(|| format!("{}: no symbol `{sym}`", path.display()))?;
    match run_image(&img, false, false, Some((s.value + off, 0x11)))? {
        Ran::Exit(0) => Err(format!(
            "{}: still exits 0 with `{sym}+{off}` corrupted: the self-check is not checking",
            path.display()
        )
        .into()),
        Ran::Exit(_) => Ok(()),
        Ran::Trap(t) => Err(format!(
            "{}: trapped instead of reporting a mismatch:\n{t}",
            path.display()
        )
        .into()),
        Ran::StepLimit => Err(format!("{}: did not halt", path.display()).into()),
    }
}

fn main() {
    let args = Arguments::from_args();
    let files = examples();
    let mut trials = Vec::new();

    let present: Vec<String> = files.iter().map(|p| stem(p)).collect();
    trials.push(Trial::test("examples_present", move || {
        let missing: Vec<&&str> = EXPECTED
            .iter()
            .filter(|e| !present.iter().any(|p| p == **e))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("missing examples: {missing:?}").into())
        }
    }));

    for path in files {
        let name = stem(&path);
        let src = std::fs::read_to_string(&path).unwrap_or_default();
        let timing_only = needs_timing(&src);

        let p = path.clone();
        trials.push(Trial::test(format!("{name}::timing_checked"), move || {
            expect_exit0(&p, true, true)
        }));
        let p = path.clone();
        trials.push(
            Trial::test(format!("{name}::functional"), move || {
                expect_exit0(&p, false, false)
            })
            .with_ignored_flag(timing_only),
        );
        let p = path.clone();
        trials.push(Trial::test(
            format!("{name}::disasm_roundtrip"),
            move || disasm_roundtrip(&p),
        ));
        if let Some(&(_, sym, off)) = CORRUPT.iter().find(|c| c.0 == name) {
            let p = path.clone();
            trials.push(Trial::test(
                format!("{name}::detects_corruption"),
                move || detects_corruption(&p, sym, off),
            ));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
