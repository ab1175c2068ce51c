//! The `bitloom` command-line tool: assembler, disassembler, emulator and benchmarks for the
//! Loom ISA. Each subcommand is a thin layer over the library crates.

mod bench;
mod bench_asm_macro;
mod bench_child;
mod bench_emu;
mod color;
mod dap_cmd;
mod debug_cmd;
mod define_args;
mod objdump_cmd;
mod output;
mod quant_cmd;
mod sweep_cmd;
mod test_cmd;

/// mimalloc: the assembler allocates many small AST nodes; glibc malloc spent ~20 % of
/// assembly time in its free-list maintenance (perf), mimalloc removes most of it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bitloom_emu::run::Outcome;
use bitloom_isa::image::Image;
use clap::{Parser, Subcommand};

/// Toolchain for the Loom quantization-flexible accelerator ISA.
#[derive(Parser)]
#[command(name = "bitloom", version, about)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
    /// Colour diagnostics: auto (stderr is a terminal and NO_COLOR unset), always, never.
    #[arg(long, global = true, value_enum, default_value_t = color::ColorChoice::Auto)]
    color: color::ColorChoice,
}

#[derive(Subcommand)]
enum Cmd {
    /// Assemble a source file into a Loom ELF executable.
    Asm {
        /// Input assembly file.
        input: PathBuf,
        /// Output ELF file (default: input with `.elf` extension).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Print a listing (address, encoding, source) to stdout, or to FILE.
        #[arg(short = 'l', long = "listing", num_args = 0..=1, default_missing_value = "-")]
        listing: Option<String>,
        /// Stop after this many errors.
        #[arg(long, value_name = "N", default_value_t = 200)]
        max_errors: usize,
        /// Most statements (lines of every include, macro and `.rept` expansion, and
        /// `.rept` iterations) processed.
        #[arg(long, value_name = "N", default_value_t = 20_000_000)]
        max_lines: u64,
        /// Most bytes of expanded macro bodies and included files.
        #[arg(long, value_name = "BYTES", default_value_t = 256 << 20)]
        max_expansion_bytes: u64,
        #[command(flatten)]
        defines: define_args::DefineArgs,
    },
    /// Disassemble and dump a Loom ELF file with GNU objdump's switches (-d -D -s -t -h -f
    /// -S -l -j --start-address --stop-address; at least one is required) or --reassemble.
    Objdump(objdump_cmd::ObjdumpArgs),
    /// Run a program (`.s` is assembled on the fly) on the emulator and print statistics.
    Run {
        /// Program: ELF file or assembly source.
        input: PathBuf,
        /// Hardware description (TOML file or `preset:NAME`, see `bitloom hw --presets`);
        /// default: the built-in config (see `bitloom hw`).
        #[arg(long)]
        hw: Option<PathBuf>,
        /// Functional only: no timing model (faster; `cycle` reads instret).
        #[arg(long)]
        no_timing: bool,
        /// Check every accelerator instruction against the reference implementation.
        #[arg(long)]
        checked: bool,
        /// Stop after this many instructions.
        #[arg(long)]
        max_steps: Option<u64>,
        /// Stop after this many modelled cycles.
        #[arg(long)]
        max_cycles: Option<u64>,
        /// Write statistics as JSON.
        #[arg(long, value_name = "FILE")]
        stats_json: Option<PathBuf>,
        /// Write a per-instruction commit log (like Spike's --log-commits).
        #[arg(long, value_name = "FILE")]
        trace: Option<PathBuf>,
        /// Also write the element values of every tile an instruction writes to the commit
        /// log (at most 64 per tile; docs/TRACE.md).
        #[arg(long, requires = "trace")]
        trace_data: bool,
        /// Most bytes written to the commit log (`--trace`); the log ends with a note when
        /// cut. 0: no limit.
        #[arg(long, value_name = "BYTES", default_value_t = 1 << 30)]
        trace_limit: u64,
        /// Write a Chrome/Perfetto trace-event timeline of unit activity.
        #[arg(long, value_name = "FILE")]
        timeline: Option<PathBuf>,
        /// Most timeline events recorded (`--timeline`); later ones are counted as dropped.
        #[arg(long, value_name = "N", default_value_t = bitloom_emu::run::TIMELINE_LIMIT)]
        timeline_limit: usize,
        /// Do not print the statistics summary.
        #[arg(short, long)]
        quiet: bool,
        /// After the run (or trap), write a memory range or tile as .npy (repeatable):
        /// `SYM[+OFF][:LEN][:DTYPE]=FILE` or `tN[:codes|:values]=FILE`.
        #[arg(long, value_name = "SPEC")]
        dump: Vec<String>,
        #[command(flatten)]
        defines: define_args::DefineArgs,
    },
    /// Debug a program in a gdb-style REPL: breakpoints, watchpoints, tile/LUT/config views,
    /// reverse execution (`-x FILE` / `--batch` for scripts).
    Debug(debug_cmd::DebugArgs),
    /// Serve the Debug Adapter Protocol (for VS Code, nvim-dap, ...) on stdin/stdout or a
    /// local port, over the same debugger engine.
    Dap(dap_cmd::DapArgs),
    /// Quantise a float .npy tensor into a Loom format: codes, scales and a report.
    Quant(quant_cmd::QuantArgs),
    /// Print the effective hardware configuration as TOML, every key with its meaning and
    /// unit (loadable with --hw), or as JSON.
    Hw {
        /// Configuration file to load and validate, or `preset:NAME` (default: built-in
        /// defaults).
        #[arg(long)]
        hw: Option<PathBuf>,
        /// Print JSON instead of commented TOML.
        #[arg(long)]
        json: bool,
        /// List the shipped presets (`--hw preset:NAME`) instead.
        #[arg(long, conflicts_with = "hw")]
        presets: bool,
    },
    /// Print the instruction set summary (generated from the instruction table).
    Isa,
    /// Run program test suites: self-checking kernels and expectation files, in parallel.
    Test(test_cmd::TestArgs),
    /// Run a design-space sweep (hardware keys x program parameters), merge shards, or
    /// regenerate docs/RESULTS.md from the sweeps in programs/sweeps/ (--report).
    Sweep(sweep_cmd::SweepArgs),
    /// Measure throughput (see README "Performance").
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
}

#[derive(Subcommand)]
enum BenchWhat {
    /// Assembler time and peak memory against GNU as on x86 files of the same size and
    /// shape: a plain program and a macro-heavy one.
    Asm {
        /// Lines in the generated plain program (0: skip that case).
        #[arg(long, default_value_t = 1_000_000)]
        lines: usize,
        /// Lines in the generated macro-heavy program (0: skip that case).
        #[arg(long, default_value_t = 466_000)]
        macro_lines: usize,
        /// Interleaved repetitions (the median is reported).
        #[arg(long, default_value_t = 7)]
        reps: usize,
        /// Only write the generated Loom and x86 sources to DIR (to inspect or profile).
        #[arg(long, value_name = "DIR")]
        emit: Option<PathBuf>,
    },
    /// Emulator time per MAC (one bsmac; 16³ and 8³ tiles; functional and timing) against
    /// native GEMM loops (naive, vectorised, runtime SIMD); the scalar loop; snapshot cost.
    Emu {
        /// GEMM size (M = K = N).
        #[arg(long, default_value_t = 256)]
        size: u32,
        /// Iterations of the scalar loop (4 instructions each).
        #[arg(long, default_value_t = 50_000_000)]
        scalar_iters: u32,
    },
}

/// A CLI failure: already-formatted message, exit status.
struct Fail(String, u8);

impl<E: std::fmt::Display> From<E> for Fail {
    fn from(e: E) -> Self {
        Fail(e.to_string(), 1)
    }
}

fn color() -> bool {
    color::enabled()
}

/// Assemble `path` (with a listing if asked), rendering diagnostics on failure and
/// warnings on success.
fn assemble_opts(path: &Path, opts: &bitloom_asm::Options) -> Result<bitloom_asm::Output, Fail> {
    let out = bitloom_asm::assemble_file(path, opts).map_err(|d| Fail(d.render(color()), 1))?;
    if out.warnings.warning_count() > 0 {
        output::stderr(&out.warnings.render(color()));
    }
    Ok(out)
}

/// Load an ELF file, or assemble a source file, into an image (the session layer's
/// loader), rendering diagnostics on failure and warnings on success.
fn load_program(path: &Path, defines: &[bitloom_asm::Define]) -> Result<Image, Fail> {
    use bitloom_asm::load::{load_program, LoadError};
    let opts = bitloom_asm::Options {
        defines: defines.to_vec(),
        ..Default::default()
    };
    match load_program(path, &opts) {
        Ok(l) => {
            if let Some(w) = &l.warnings {
                output::stderr(&w.render(color()));
            }
            Ok(l.image)
        }
        Err(LoadError::Asm { diagnostics, .. }) => Err(Fail(diagnostics.render(color()), 1)),
        Err(e) => Err(Fail(format!("error: {e}"), 1)),
    }
}

/// A progress line on stderr, redrawn at most every 0.5 s; cleared when dropped.
struct ProgressLine {
    start: std::time::Instant,
    last: std::time::Instant,
    shown: bool,
}

impl ProgressLine {
    fn new() -> ProgressLine {
        let now = std::time::Instant::now();
        ProgressLine {
            start: now,
            last: now,
            shown: false,
        }
    }

    fn tick(&mut self, p: bitloom_emu::session::Progress) {
        use std::io::Write;
        if self.last.elapsed() < std::time::Duration::from_millis(500) {
            return;
        }
        self.last = std::time::Instant::now();
        let secs = self.start.elapsed().as_secs_f64().max(1e-9);
        let mut e = std::io::stderr().lock();
        let _ = write!(
            e,
            "\r\x1b[2K  {} instructions, {} cycles, {:.1} MIPS, {:.1} s",
            p.instret,
            p.cycle,
            p.instret as f64 / secs / 1e6,
            secs
        );
        let _ = e.flush();
        self.shown = true;
    }
}

impl Drop for ProgressLine {
    fn drop(&mut self) {
        use std::io::Write;
        if self.shown {
            let mut e = std::io::stderr().lock();
            let _ = write!(e, "\r\x1b[2K");
            let _ = e.flush();
        }
    }
}

/// The commit log: an atomic output file cut at `limit` bytes (0: none) with a note.
struct CappedTrace {
    file: std::rc::Rc<std::cell::RefCell<output::AtomicFile>>,
    written: u64,
    limit: u64,
    cut: std::rc::Rc<std::cell::Cell<bool>>,
}

impl std::io::Write for CappedTrace {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.cut.get() {
            return Ok(buf.len());
        }
        if self.limit > 0 && self.written + buf.len() as u64 > self.limit {
            self.cut.set(true);
            let note = format!(
                "# trace cut here: it reached the limit of {} bytes (raise it with --trace-limit)\n",
                self.limit
            );
            self.file.borrow_mut().write_all(note.as_bytes())?;
            return Ok(buf.len());
        }
        self.written += buf.len() as u64;
        self.file.borrow_mut().write_all(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.borrow_mut().flush()
    }
}

fn load_hw(path: Option<&Path>) -> Result<bitloom_emu::hw::HwConfig, Fail> {
    match path {
        Some(p) => {
            bitloom_emu::hw::HwConfig::resolve_path(p).map_err(|e| Fail(format!("error: {e}"), 1))
        }
        None => Ok(bitloom_emu::hw::HwConfig::default()),
    }
}

fn real_main() -> Result<u8, Fail> {
    let cli = Cli::parse();
    color::set(cli.color);
    match cli.cmd {
        Cmd::Asm {
            input,
            output,
            listing,
            max_errors,
            max_lines,
            max_expansion_bytes,
            defines,
        } => {
            lean_allocator();
            let opath = output.unwrap_or_else(|| input.with_extension("elf"));
            let lpath = listing.as_deref().filter(|l| *l != "-").map(Path::new);
            let check = |includes: &[String]| -> Result<(), Fail> {
                let mut files = output::Files::default();
                files.input("input", &input);
                for f in includes {
                    files.input("included file", Path::new(f));
                }
                files.output("output", &opath)?;
                if let Some(l) = lpath {
                    files.output("listing", l)?;
                }
                Ok(())
            };
            check(&[])?;
            let opts = bitloom_asm::Options {
                listing: listing.is_some(),
                max_errors,
                max_lines,
                max_expansion_bytes,
                defines: defines.defines,
                ..Default::default()
            };
            let out = assemble_opts(&input, &opts)?;
            check(&out.image.lines.files)?;
            let has_code = out.image.section(".text").is_some_and(|t| t.size > 0);
            if !has_code {
                return Err(Fail(
                    format!(
                        "error: {}: no instructions: a Loom executable needs code in `.text` (entry is `_start`, else the start of `.text`)",
                        input.display()
                    ),
                    1,
                ));
            }
            let elf = bitloom_isa::elf::write_elf(&out.image)
                .map_err(|e| Fail(format!("error: {}: {e}", input.display()), 1))?;
            output::write_file(&opath, &elf)?;
            match listing.as_deref() {
                Some("-") => output::stdout(&out.listing)?,
                Some(f) => output::write_file(Path::new(f), out.listing.as_bytes())?,
                None => {}
            }
            Ok(0)
        }
        Cmd::Objdump(a) => objdump_cmd::run(a),
        Cmd::Run {
            input,
            hw,
            no_timing,
            checked,
            max_steps,
            max_cycles,
            stats_json,
            trace,
            trace_data,
            trace_limit,
            timeline,
            timeline_limit,
            quiet,
            dump,
            defines,
        } => {
            let dumps = dump.iter().map(|s| bitloom_emu::dump::parse_dump_spec(s));
            let dumps = dumps
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Fail(format!("error: --dump {e}"), 1))?;
            let mut files = output::Files::default();
            files.input("program", &input);
            if let Some(h) = &hw {
                files.input("hardware description", h);
            }
            for (what, p) in [
                ("statistics", &stats_json),
                ("trace", &trace),
                ("timeline", &timeline),
            ] {
                if let Some(p) = p {
                    files.output(what, p)?;
                }
            }
            for d in &dumps {
                files.output("dump", &d.path)?;
            }
            let hwc = load_hw(hw.as_deref())?;
            let img = load_program(&input, &defines.defines)?;
            let mopts = bitloom_emu::session::MachineOptions {
                timing: !no_timing,
                checked,
            };
            let mut m = bitloom_emu::session::new_machine(&hwc, &img, &mopts)
                .map_err(|e| Fail(format!("error: {}: {e}", input.display()), 1))?;
            let trace_file = match &trace {
                Some(p) => Some(std::rc::Rc::new(std::cell::RefCell::new(
                    output::AtomicFile::create(p)?,
                ))),
                None => None,
            };
            let trace_cut = std::rc::Rc::new(std::cell::Cell::new(false));
            let trace_w: Option<Box<dyn std::io::Write>> = trace_file.as_ref().map(|f| {
                Box::new(CappedTrace {
                    file: f.clone(),
                    written: 0,
                    limit: trace_limit,
                    cut: trace_cut.clone(),
                }) as Box<dyn std::io::Write>
            });
            let mut opts = bitloom_emu::run::RunOptions {
                max_steps,
                max_cycles,
                trace: trace_w,
                trace_data,
                timeline: timeline.is_some(),
                timeline_limit,
                progress: None,
            };
            let line = std::rc::Rc::new(std::cell::RefCell::new(ProgressLine::new()));
            if std::io::stderr().is_terminal() {
                let l = line.clone();
                opts.progress = Some(Box::new(move |p| l.borrow_mut().tick(p)));
            }
            let report = bitloom_emu::run::run(&mut m, &mut opts);
            drop(opts);
            drop(line);
            if let (Some(f), Some(p)) = (trace_file, &trace) {
                if !matches!(report.outcome, Outcome::TraceError(_)) {
                    let f = std::rc::Rc::try_unwrap(f)
                        .map_err(|_| Fail("error: the trace is still in use".into(), 1))?
                        .into_inner();
                    f.commit()?;
                    if trace_cut.get() {
                        output::stderr(&format!(
                            "warning: {}: the trace was cut at {trace_limit} bytes (raise the limit with --trace-limit)\n",
                            p.display()
                        ));
                    }
                }
            }
            if let Some(p) = &stats_json {
                output::write_file(p, report.stats.to_json().as_bytes())?;
            }
            if let Some(p) = &timeline {
                let mut f = output::AtomicFile::create(p)?;
                bitloom_emu::timeline_json::write_chrome_trace(
                    &mut f,
                    &report.timeline,
                    report.timeline_dropped,
                )
                .map_err(|e| Fail(format!("error: {}: {e}", p.display()), 1))?;
                f.commit()?;
                if report.timeline_dropped > 0 {
                    output::stderr(&format!(
                        "warning: {}: {} timeline events dropped after the limit of {timeline_limit} (raise it with --timeline-limit)\n",
                        p.display(),
                        report.timeline_dropped
                    ));
                }
            }
            if !quiet {
                output::stderr(&report.stats.human());
            }
            let trapped = matches!(report.outcome, Outcome::Trap(_));
            let (msgs, dumped) = bitloom_emu::dump::write_all(&m, &dumps, trapped);
            eprint!("{msgs}");
            match &report.outcome {
                Outcome::Exit(_) if !dumped => Err(Fail("error: --dump failed".into(), 1)),
                Outcome::Exit(code) => {
                    if !quiet {
                        output::stderr(&format!("exit code {code}\n"));
                    }
                    Ok((code & 0xff) as u8)
                }
                Outcome::Trap(t) => Err(Fail(t.render_color(m.image(), color()), 2)),
                Outcome::TraceError(e) => Err(Fail(format!("error: writing the trace: {e}"), 2)),
            }
        }
        Cmd::Quant(a) => quant_cmd::run(a).map(|()| 0).map_err(|e| Fail(e, 1)),
        Cmd::Debug(a) => {
            let hwc = load_hw(a.hw.as_deref())?;
            let img = load_program(&a.input, &a.defines.defines)?;
            debug_cmd::debug(a, img, &hwc).map_err(|e| Fail(e, 1))
        }
        Cmd::Dap(a) => dap_cmd::run(a).map_err(|e| Fail(e, 1)),
        Cmd::Hw { presets: true, .. } => {
            let mut o = String::new();
            for p in bitloom_emu::hw::presets::PRESETS {
                o += &format!("preset:{:<14} {}\n", p.name, p.summary);
            }
            output::stdout(&o)?;
            Ok(0)
        }
        Cmd::Hw { hw, json, .. } => {
            let c = load_hw(hw.as_deref())?;
            if json {
                output::stdout(&c.to_json())?;
            } else {
                output::stdout(&c.to_documented_toml())?;
            }
            Ok(0)
        }
        Cmd::Isa => {
            output::stdout(&bitloom_isa::docgen::instructions_markdown())?;
            output::stdout(&bitloom_isa::docgen::csrs_markdown())?;
            Ok(0)
        }
        Cmd::Test(args) => test_cmd::run(args).map_err(|e| Fail(format!("error: {e}"), 2)),
        Cmd::Sweep(args) => sweep_cmd::run(args),
        Cmd::Bench { what } => {
            let r = match what {
                BenchWhat::Asm {
                    lines,
                    macro_lines,
                    reps,
                    emit,
                } => match emit {
                    Some(dir) => bench::emit_asm(lines, macro_lines, &dir),
                    None => bench::bench_asm(lines, macro_lines, reps),
                },
                BenchWhat::Emu { size, scalar_iters } => bench_emu::bench_emu(size, scalar_iters),
            };
            match r {
                Ok(s) => {
                    output::stdout(&s)?;
                    Ok(0)
                }
                Err(e) => Err(Fail(format!("error: {e}"), 1)),
            }
        }
    }
}

/// mimalloc's option `purge_delay` (its number in `mi_option_e` of the vendored mimalloc v3
/// header; the Rust bindings do not name it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// For `bitloom asm`: hand freed pages back to the OS at once instead of after a delay, and
/// no transparent huge pages (mimalloc asks for them on its arenas; a 2 MiB page counts
/// whole in the resident set). The assembler's peak memory on a macro-heavy source falls
/// from 1.74x to about 1.2x GNU as's at no measurable CPU cost (`bitloom bench asm`). Not
/// for the emulator: a run that frees and reallocates big buffers (a new machine per test)
/// would page-fault them in again.
fn lean_allocator() {
    // SAFETY: a setter of mimalloc's global option table, called while the process has one
    // thread; the option is a plain integer the allocator reads when it purges.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
    }
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl with integer arguments only; PR_SET_THP_DISABLE affects this
        // process's later page faults. Failure (an old kernel) changes nothing: ignored.
        let _ = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    }
}

fn main() -> ExitCode {
    match real_main() {
        Ok(c) => ExitCode::from(c),
        Err(Fail(msg, code)) => {
            if !msg.is_empty() {
                output::stderr(&format!("{}\n", color::paint(msg.trim_end())));
            }
            ExitCode::from(code)
        }
    }
}
