//! Traces: a Spike-style commit log (a version line, then one line per retired instruction
//! with its architectural writes, optional tile data, and the machine state after a trap;
//! format in docs/TRACE.md). The unit timeline (Chrome trace-event JSON) is written by
//! `timeline_json.rs`.

use std::fmt::Write as _;
use std::io::{self, Write};

use bitloom_isa::{csr, Instr};

use crate::commit::{DmaTransfer, MemSpace};
use crate::machine::{Machine, Storage, Tile};
use crate::trap::Trap;
use crate::work::Commit;

/// Version of the commit-log format, stated by its first line ([`header`]). docs/TRACE.md
/// specifies every line of it; bump this when a line changes shape.
pub const TRACE_VERSION: u32 = 2;

/// Elements of a tile printed by `--trace-data` before the line says how many were left
/// out.
pub const DATA_LIMIT: usize = 64;

/// The first line of every commit log: `# bitloom-trace v2`.
pub fn header() -> String {
    format!("# bitloom-trace v{TRACE_VERSION}\n")
}

/// One commit-log line (without newline):
/// `[     cycle] core   0: 0x<pc> (0x<word>) <disassembly>   <writes>`, the writes (see
/// [`commit_writes`]) starting at column 62 or three blanks after the disassembly.
/// `symbol` names branch targets (return `None` for plain addresses).
pub fn commit_line(
    cycle: u64,
    pc: u32,
    word: u32,
    instr: &Instr,
    commit: &Commit,
    symbol: &dyn Fn(u32) -> Option<String>,
) -> String {
    let writes = commit_writes(commit);
    instruction_line(cycle, pc, &instr.format(pc, symbol), word, &writes)
}

fn instruction_line(cycle: u64, pc: u32, text: &str, word: u32, tail: &str) -> String {
    let mut s = String::with_capacity(96);
    let _ = write!(
        s,
        "[{cycle:>10}] core   0: 0x{pc:08x} (0x{word:08x}) {text}"
    );
    if !tail.is_empty() {
        let pad = 62usize.saturating_sub(s.len()).max(3);
        s.extend(std::iter::repeat_n(' ', pad));
        s.push_str(tail);
    }
    s
}

/// A tile descriptor as the trace prints it:
/// `{wsp@0x00000100 16x32 uint4 zp=8 lut=0 run=0 raw nnz=412}` (`nnz=?` when unknown;
/// accumulator tiles are `int32`).
pub fn tile_descriptor(t: &Tile) -> String {
    let storage = match t.storage {
        Storage::Raw => "raw",
        Storage::Rle => "rle",
    };
    let nnz = t.nnz.map_or("?".to_string(), |n| n.to_string());
    format!(
        "{{{}@0x{:08x} {}x{} {}{} zp={} lut={} run={} {storage} nnz={nnz}}}",
        t.space, t.base, t.rows, t.cols, t.fmt, t.prec, t.zp, t.lut, t.rlerun
    )
}

/// The DMA item of a commit: `dma [rle ]<from> -> <to>`, each end `<space> 0x<addr> +<bytes>`;
/// a strided DRAM end is `dram 0x<addr> +<rows>x<row bytes> stride <dstride>`.
fn dma_item(d: &DmaTransfer) -> String {
    let w = &d.work;
    let dram = if d.stride != 0 {
        format!(
            "dram 0x{:08x} +{}x{} stride {}",
            d.dram_addr, w.bursts, w.burst_bytes, d.stride
        )
    } else {
        format!("dram 0x{:08x} +{}", d.dram_addr, w.dram_bytes)
    };
    let spad = format!("{} 0x{:08x} +{}", w.space, d.spad_addr, w.spad_bytes);
    let rle = if w.rle { "rle " } else { "" };
    if w.load {
        format!("dma {rle}{dram} -> {spad}")
    } else {
        format!("dma {rle}{spad} -> {dram}")
    }
}

/// The architectural writes of a commit record, separated by two blanks (empty when none),
/// in this order: `r4 0x00000005` (general register, new value), `csr wprec 0x00000008 ->
/// 0x00000004` (each CSR written, old -> new), the DMA transfer (`dma dram 0x… +64 -> wsp 0x… +64`), `mem
/// 0x00002000 +16` (DRAM writes other than a DMA store's), `tile t3 {…}` (each tile
/// descriptor written, its final value; [`tile_descriptor`]), `lut 1 {len=16}`.
/// Scratchpad writes show as the DMA transfer or the tile they belong to.
pub fn commit_writes(c: &Commit) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(g) = c.gpr {
        parts.push(format!("r{} 0x{:08x}", g.reg, g.new));
    }
    for w in &c.csrs {
        parts.push(format!(
            "csr {} 0x{:08x} -> 0x{:08x}",
            csr_name(w.csr),
            w.old,
            w.new
        ));
    }
    if let Some(d) = &c.dma {
        parts.push(dma_item(d));
    }
    let dma_store = c.dma.is_some_and(|d| !d.work.load);
    if !dma_store {
        for w in c.dram_writes() {
            parts.push(format!("mem 0x{:08x} +{}", w.addr, w.len()));
        }
    }
    for t in c.tiles_written() {
        let last = c
            .tiles
            .iter()
            .rev()
            .find(|w| w.tile == t)
            .and_then(|w| w.new);
        parts.push(match last {
            Some(d) => format!("tile t{t} {}", tile_descriptor(&d)),
            None => format!("tile t{t} {{undefined}}"),
        });
    }
    for l in &c.luts {
        parts.push(format!("lut {} {{len={}}}", l.lut, l.new.len));
    }
    parts.join("  ")
}

fn csr_name(num: u8) -> String {
    csr::by_num(num)
        .map(|d| d.name.to_string())
        .unwrap_or(num.to_string())
}

/// `--trace-data` lines after an instruction: for every defined tile whose scratchpad bytes
/// the instruction wrote, `  data t3 int4 16x32: 1 -2 0 … (+448 more)` — its element values
/// after the instruction, row-major, at most [`DATA_LIMIT`] of them.
pub fn data_lines(m: &Machine, c: &Commit) -> String {
    let mut out = String::new();
    for (i, t) in m.tiles.iter().enumerate() {
        let Some(t) = t else { continue };
        let written = c.mem.iter().any(|w| {
            w.overlaps(
                MemSpace::from(t.space),
                t.base,
                t.bytes().min(u32::MAX as u64) as u32,
            )
        });
        if !written {
            continue;
        }
        let Ok(values) = m.tile_values(i as u8) else {
            continue;
        };
        let _ = write!(
            out,
            "  data t{i} {}{} {}x{}:",
            t.fmt, t.prec, t.rows, t.cols
        );
        for v in values.iter().take(DATA_LIMIT) {
            let _ = write!(out, " {v}");
        }
        if values.len() > DATA_LIMIT {
            let _ = write!(out, " … (+{} more)", values.len() - DATA_LIMIT);
        }
        out.push('\n');
    }
    out
}

/// The lines written when the run ends in a trap: the trapping instruction as an instruction
/// line whose write part is `trap <cause>`, then the machine state — `  regs` (four lines of
/// eight registers), `  csrs` (every CSR by name) and `  tile tN {…}` for each defined tile.
pub fn trap_lines(m: &Machine, cycle: u64, trap: &Trap) -> String {
    let cause = trap.kind.to_string();
    let cause = cause.lines().next().unwrap_or_default();
    let text = match Instr::decode(trap.word) {
        Ok(i) => i.format(trap.pc, &|a| m.image().label(a)),
        Err(_) => format!(".word 0x{:08x}", trap.word),
    };
    let mut out = instruction_line(cycle, trap.pc, &text, trap.word, &format!("trap {cause}"));
    out.push('\n');
    for row in 0..4 {
        out.push_str("  regs");
        for r in row * 8..row * 8 + 8 {
            let _ = write!(out, "  r{r} 0x{:08x}", m.regs[r]);
        }
        out.push('\n');
    }
    out.push_str("  csrs");
    for d in csr::CSRS {
        let _ = write!(out, "  {} 0x{:08x}", d.name, m.csr(d.num).unwrap_or(0));
    }
    out.push('\n');
    for (i, t) in m.tiles.iter().enumerate() {
        if let Some(t) = t {
            let _ = writeln!(out, "  tile t{i} {}", tile_descriptor(t));
        }
    }
    out
}

/// Write one commit-log line followed by a newline.
pub fn write_commit(
    out: &mut dyn Write,
    cycle: u64,
    pc: u32,
    word: u32,
    instr: &Instr,
    commit: &Commit,
    symbol: &dyn Fn(u32) -> Option<String>,
) -> io::Result<()> {
    writeln!(
        out,
        "{}",
        commit_line(cycle, pc, word, instr, commit, symbol)
    )
}
