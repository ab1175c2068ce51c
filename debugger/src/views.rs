//! Read-only views of the machine for the debugger's commands: registers, tiles (codes,
//! values, runs, sparsity map), LUTs, the configuration CSRs, per-vector scales, the last
//! MAC's cost, statistics, the timeline, memory examination and disassembly. Each returns
//! text; nothing here changes state.

use std::fmt::Write as _;

use bitloom_emu::stats::Stats;
use bitloom_emu::{Machine, Storage, Tile};
use bitloom_isa::{csr, rle, Instr};

/// Configuration CSRs shown by `config`, in display order.
pub const CONFIG_CSRS: &[u8] = &[
    csr::WPREC,
    csr::APREC,
    csr::WFMT,
    csr::AFMT,
    csr::WZP,
    csr::AZP,
    csr::WLUT,
    csr::ALUT,
    csr::SLICE,
    csr::SFREQ,
    csr::CK,
    csr::SERIAL,
    csr::LOGBASE,
    csr::DTHRESH,
    csr::RSHIFT,
    csr::RELU,
    csr::VLEN,
    csr::RLERUN,
    csr::RMODE,
    csr::DSTRIDE,
    csr::DENSITY,
    csr::DENSE,
    csr::NNZ,
];

/// A symbolic name for an address: `sym` or `sym+0x10`.
pub fn symbolize(m: &Machine, a: u32) -> Option<String> {
    m.image().symbolize(a).map(|(s, off)| {
        if off == 0 {
            s.name.clone()
        } else {
            format!("{}+{off}", s.name)
        }
    })
}

/// One-line summary of a tile descriptor.
pub fn tile_summary(i: u8, t: &Tile) -> String {
    let mut s = format!(
        "t{i}: {} base 0x{:x} {}x{} ",
        t.space, t.base, t.rows, t.cols
    );
    if t.is_acc() {
        s.push_str("int32");
    } else {
        let _ = write!(s, "{}{}", t.fmt, t.prec);
        match t.fmt {
            bitloom_isa::numfmt::NumFmt::Uint => {
                let _ = write!(s, " zp={}", t.zp);
            }
            bitloom_isa::numfmt::NumFmt::Lut => {
                let _ = write!(s, " lut={}", t.lut);
            }
            _ => {}
        }
    }
    let _ = write!(
        s,
        " {}",
        match t.storage {
            Storage::Raw => "raw",
            Storage::Rle => "rle",
        }
    );
    if let Some(n) = t.nnz {
        let _ = write!(
            s,
            " nnz={n} ({:.1}%)",
            100.0 * n as f64 / t.elements().max(1) as f64
        );
    }
    s
}

/// `info registers`: all general registers (or the named ones), with changes since the
/// last stop marked `*`.
pub fn registers(m: &Machine, prev: Option<&[u32; 32]>, which: &[u8]) -> String {
    let mut s = String::new();
    let regs: Vec<u8> = if which.is_empty() {
        (0..32).collect()
    } else {
        which.to_vec()
    };
    for r in regs {
        let v = m.regs[r as usize];
        let alias = match r {
            0 => " (zero)",
            1 => " (ra)",
            2 => " (sp)",
            8 => " (fp)",
            _ => "",
        };
        let changed = prev.is_some_and(|p| p[r as usize] != v);
        let name = format!("r{r}{alias}");
        // No trailing blanks when unchanged (the padding used to end every line).
        let line = format!(
            "{name:<10} 0x{v:08x}  {:<12}{}",
            v as i32,
            if changed { " *" } else { "" }
        );
        let _ = writeln!(s, "{}", line.trim_end());
    }
    if which.is_empty() {
        s.push_str(&pc_line(m));
    }
    s
}

/// The `pc` line of `info registers`.
pub fn pc_line(m: &Machine) -> String {
    let sym = symbolize(m, m.pc)
        .map(|x| format!(" <{x}>"))
        .unwrap_or_default();
    format!("{:<10} 0x{:08x}{sym}\n", "pc", m.pc)
}

/// `info tiles`: every defined tile register, with overlapping tiles flagged.
pub fn tiles(m: &Machine) -> String {
    let mut s = String::new();
    let defined: Vec<(u8, Tile)> = (0..16u8)
        .filter_map(|i| m.tile(i).map(|t| (i, *t)))
        .collect();
    if defined.is_empty() {
        return "No tiles defined (tdef defines them).\n".into();
    }
    for (i, t) in &defined {
        let _ = write!(s, "{}", tile_summary(*i, t));
        let overlaps: Vec<String> = defined
            .iter()
            .filter(|(j, u)| {
                j != i
                    && u.space == t.space
                    && (u.base as u64) < t.base as u64 + t.bytes()
                    && (t.base as u64) < u.base as u64 + u.bytes()
            })
            .map(|(j, _)| format!("t{j}"))
            .collect();
        if !overlaps.is_empty() {
            let _ = write!(s, "  [overlaps {}]", overlaps.join(", "));
        }
        s.push('\n');
    }
    s
}

/// Options of the `tile` view.
#[derive(Clone, Debug, Default)]
pub struct TileOpts {
    /// Show codes.
    pub codes: bool,
    /// Show values.
    pub values: bool,
    /// Row range.
    pub rows: Option<(u32, u32)>,
    /// Column range.
    pub cols: Option<(u32, u32)>,
}

/// Largest grid printed in full (elements); bigger tiles print a window unless ranges are
/// given.
const FULL: u32 = 16;

/// `tile tN`: descriptor, density, sparsity map, codes and values.
pub fn tile(m: &Machine, i: u8, o: &TileOpts) -> Result<String, String> {
    let t = *m
        .tile(i)
        .ok_or_else(|| format!("t{i} is not defined (no tdef has defined it yet)"))?;
    let mut s = String::new();
    let _ = writeln!(s, "{}", tile_summary(i, &t));
    let codes = m.tile_codes(i).map_err(|e| e.to_string())?;
    let values = m.tile_values(i).ok();
    let n = t.elements() as usize;
    let nz = match &values {
        Some(v) => v.iter().filter(|x| **x != 0).count(),
        None => codes.iter().filter(|c| **c != 0).count(),
    };
    let _ = write!(
        s,
        "density: {nz}/{n} non-zero values ({:.1}%)",
        100.0 * nz as f64 / n.max(1) as f64,
    );
    // With a zero-point (or a LUT) zero codes are not zero values; the codes' count is
    // what `nnz`, `dchk` and RLE see, so show it too when it differs (fix: an RLE tile
    // with nnz=79 showed only "128/128 non-zero values", which looked contradictory).
    let nzc = codes.iter().filter(|c| **c != 0).count();
    if !t.is_acc() && values.is_some() && nzc != nz {
        let _ = write!(
            s,
            ", {nzc}/{n} non-zero codes ({:.1}%)",
            100.0 * nzc as f64 / n.max(1) as f64
        );
    }
    let _ = writeln!(s, ", {} bytes in {}", t.bytes(), t.space);
    if !t.is_acc() {
        // What RLE would cost for these codes versus raw.
        let stream = rle::encode(&codes, t.prec, t.rlerun);
        let _ = writeln!(
            s,
            "storage: {} (raw {} bytes; as RLE with {}-bit runs: {} bytes, {} entries)",
            match t.storage {
                Storage::Raw => "raw",
                Storage::Rle => "rle",
            },
            t.bytes(),
            t.rlerun,
            stream.len(),
            u32::from_le_bytes([stream[0], stream[1], stream[2], stream[3]])
        );
        let entries = rle_entries(&stream, t.prec, t.rlerun, 12);
        let shown: Vec<String> = entries
            .iter()
            .map(|(run, code)| format!("{run}x0 {code}"))
            .collect();
        let total = u32::from_le_bytes([stream[0], stream[1], stream[2], stream[3]]) as usize;
        let _ = writeln!(
            s,
            "RLE entries (zero-run, then code): {}{}",
            shown.join(", "),
            if total > entries.len() { ", ..." } else { "" }
        );
    }
    let (r0, r1) = o.rows.unwrap_or((0, t.rows.min(FULL)));
    let (c0, c1) = o.cols.unwrap_or((0, t.cols.min(FULL)));
    let (r1, c1) = (r1.min(t.rows), c1.min(t.cols));
    if r0 >= r1 || c0 >= c1 {
        return Err(format!(
            "empty window: rows {r0}..{r1}, columns {c0}..{c1} of a {}x{} tile",
            t.rows, t.cols
        ));
    }
    // Sparsity map: one character per element ('#' non-zero, '.' zero), or per 2x2 block
    // for wide tiles.
    let _ = writeln!(
        s,
        "sparsity map of the {} ('#' non-zero, '.' zero):",
        if values.is_some() { "values" } else { "codes" }
    );
    let nzv = |r: u32, c: u32| -> bool {
        let e = (r * t.cols + c) as usize;
        match &values {
            Some(v) => v[e] != 0,
            None => codes[e] != 0,
        }
    };
    let map_rows = t.rows.min(64);
    let map_cols = t.cols.min(64);
    for r in 0..map_rows {
        let line: String = (0..map_cols)
            .map(|c| if nzv(r, c) { '#' } else { '.' })
            .collect();
        let _ = writeln!(s, "  {line}");
    }
    if t.rows > 64 || t.cols > 64 {
        let _ = writeln!(s, "  (first 64x64 elements)");
    }
    let show_codes = o.codes || !o.values;
    let show_values = o.values || !o.codes;
    let grid = |s: &mut String, title: &str, f: &dyn Fn(usize) -> String| {
        let _ = writeln!(s, "{title} rows {r0}..{r1}, columns {c0}..{c1}:");
        for r in r0..r1 {
            let cells: Vec<String> = (c0..c1).map(|c| f((r * t.cols + c) as usize)).collect();
            let _ = writeln!(s, "  [{r:>3}] {}", cells.join(" "));
        }
    };
    if show_codes && !t.is_acc() {
        grid(&mut s, "codes", &|e| format!("{:>3}", codes[e]));
    }
    if show_values {
        match &values {
            Some(v) => grid(&mut s, "values", &|e| format!("{:>4}", v[e])),
            None => {
                let _ = writeln!(
                    s,
                    "values: not decodable now ({})",
                    m.tile_values(i)
                        .err()
                        .map(|e| e.to_string())
                        .unwrap_or_default()
                );
            }
        }
    }
    if (r1 - r0) < t.rows || (c1 - c0) < t.cols {
        let _ = writeln!(
            s,
            "(window of a {}x{} tile; use `tile t{i} rows A:B cols C:D`)",
            t.rows, t.cols
        );
    }
    Ok(s)
}

/// The first `max` (zero-run, code) entries of an RLE stream (docs/ISA.md "RLE streams":
/// a 32-bit count, then entries of an `r`-bit run and a `b`-bit code, LSB-first).
fn rle_entries(stream: &[u8], b: u32, r: u32, max: usize) -> Vec<(u32, u32)> {
    let bit = |i: u64| -> u32 {
        stream
            .get(4 + (i / 8) as usize)
            .map_or(0, |byte| ((byte >> (i % 8)) & 1) as u32)
    };
    let field = |at: u64, w: u32| -> u32 { (0..w).map(|j| bit(at + j as u64) << j).sum() };
    let n = stream
        .get(..4)
        .map_or(0, |h| u32::from_le_bytes([h[0], h[1], h[2], h[3]])) as usize;
    (0..n.min(max))
        .map(|e| {
            let at = e as u64 * (r + b) as u64;
            (field(at, r), field(at + r as u64, b))
        })
        .collect()
}

/// `lut [n]`.
pub fn lut(m: &Machine, which: Option<u8>) -> Result<String, String> {
    let mut s = String::new();
    let list: Vec<u8> = match which {
        Some(n) if n < 4 => vec![n],
        Some(n) => return Err(format!("there are 4 LUTs (0..3), not {n}")),
        None => (0..4).collect(),
    };
    for n in list {
        let l = m.lut(n).ok_or("no such LUT")?;
        if l.len == 0 {
            let _ = writeln!(s, "LUT {n}: not programmed");
            continue;
        }
        let _ = writeln!(s, "LUT {n}: {} entries", l.len);
        for (row, chunk) in l.entries[..l.len as usize].chunks(16).enumerate() {
            let cells: Vec<String> = chunk.iter().map(|v| format!("{v:>4}")).collect();
            let _ = writeln!(s, "  [{:>3}] {}", row * 16, cells.join(""));
        }
    }
    Ok(s)
}

/// `config`: the configuration CSRs, marking those changed since `prev` with `*`.
pub fn config(m: &Machine, prev: Option<&[u32]>) -> String {
    let mut s = String::new();
    for (k, &n) in CONFIG_CSRS.iter().enumerate() {
        let d = csr::by_num(n).expect("table CSR");
        let v = m.csr(n).unwrap_or(0);
        let changed = prev.is_some_and(|p| p.get(k) != Some(&v));
        let meaning = csr_meaning(n, v);
        let line = format!(
            "{}{:<8} {:<6}{meaning}",
            if changed { "* " } else { "  " },
            d.name,
            v
        );
        let _ = writeln!(s, "{}", line.trim_end()); // no trailing blanks
    }
    s
}

/// What a CSR value means, when it is a code (` (uint)`, ` (both)`, ` (off)`), else "".
pub fn csr_meaning(n: u8, v: u32) -> String {
    match n {
        csr::WFMT | csr::AFMT => bitloom_isa::numfmt::NumFmt::from_code(v)
            .map(|f| format!(" ({f})"))
            .unwrap_or_default(),
        csr::SERIAL => [" (weights)", " (activations)", " (both)"]
            .get(v as usize)
            .unwrap_or(&"")
            .to_string(),
        csr::LOGBASE => [" (base 2)", " (base sqrt 2)"]
            .get(v as usize)
            .unwrap_or(&"")
            .to_string(),
        csr::SLICE if v == 0 => " (off)".into(),
        _ => String::new(),
    }
}

/// Every CSR in groups by concern, for views that group them (the editor adapter's CSRs
/// scope): each CSR is in exactly one group.
pub const CSR_GROUPS: &[(&str, &[u8])] = &[
    (
        "precision/format",
        &[
            csr::WPREC,
            csr::APREC,
            csr::WFMT,
            csr::AFMT,
            csr::WZP,
            csr::AZP,
            csr::WLUT,
            csr::ALUT,
            csr::LOGBASE,
            csr::RLERUN,
        ],
    ),
    (
        "slice/cluster",
        &[csr::SLICE, csr::SFREQ, csr::CK, csr::SERIAL],
    ),
    (
        "scales/requantise",
        &[csr::VLEN, csr::RSHIFT, csr::RELU, csr::RMODE],
    ),
    ("dma/density", &[csr::DSTRIDE, csr::DTHRESH]),
    (
        "status",
        &[
            csr::CYCLE,
            csr::CYCLEH,
            csr::INSTRET,
            csr::INSTRETH,
            csr::DENSITY,
            csr::DENSE,
            csr::NNZ,
        ],
    ),
];

/// The configuration CSR values, in [`CONFIG_CSRS`] order.
pub fn config_values(m: &Machine) -> Vec<u32> {
    CONFIG_CSRS.iter().map(|&n| m.csr(n).unwrap_or(0)).collect()
}

/// `scales tN`: a scale tile's values per row (the per-vector scales of `vscale`).
pub fn scales(m: &Machine, i: u8) -> Result<String, String> {
    let t = *m.tile(i).ok_or_else(|| format!("t{i} is not defined"))?;
    let v = m.tile_values(i).map_err(|e| e.to_string())?;
    let vlen = m.csr(csr::VLEN).unwrap_or(64);
    let mut s = format!(
        "t{i}: {} per-vector scales ({}x{}), vlen {vlen}\n",
        t.elements(),
        t.rows,
        t.cols
    );
    for r in 0..t.rows {
        let row: Vec<String> = (0..t.cols)
            .map(|c| format!("{:>4}", v[(r * t.cols + c) as usize]))
            .collect();
        let _ = writeln!(s, "  [{r:>3}] {}", row.join(""));
    }
    Ok(s)
}

/// `info mac`: what the timing model charged for the most recent MAC instruction.
pub fn mac(m: &Machine, last_mac_pc: Option<u32>) -> String {
    let Some(t) = m.timing.as_ref() else {
        return "The timing model is off (started with --no-timing): no MAC cost.\n".into();
    };
    let c = t.last_mac();
    if c.macs == 0 {
        return "No MAC instruction has executed yet.\n".into();
    }
    let mut s = String::new();
    if let Some(pc) = last_mac_pc {
        let sym = symbolize(m, pc)
            .map(|x| format!(" <{x}>"))
            .unwrap_or_default();
        let _ = writeln!(s, "last MAC instruction at 0x{pc:08x}{sym}");
    }
    let pct = |a: u64, b: u64| 100.0 * a as f64 / b.max(1) as f64;
    let _ = writeln!(s, "model            {}", t.hw().mac.model.name());
    let _ = writeln!(s, "cycles           {}", c.cycles);
    let _ = writeln!(s, "products (MxNxK) {}", c.macs);
    let _ = writeln!(
        s,
        "  computed       {} ({:.1}%)",
        c.done,
        pct(c.done, c.macs)
    );
    let _ = writeln!(
        s,
        "  skipped, zero value        {} ({:.1}%)",
        c.skip_zero_value,
        pct(c.skip_zero_value, c.macs)
    );
    let _ = writeln!(s, "  skipped, zero HO slice     {}", c.skip_zero_slice);
    let _ = writeln!(
        s,
        "  skipped, compressed slice  {} (compensated by r*sum(w))",
        c.skip_compressed_slice
    );
    let _ = writeln!(s, "passes           {}", c.passes);
    let _ = writeln!(
        s,
        "lock-step idle   {} cycles ({} sync: waves wait for their slowest PE and lane group)",
        c.lockstep_idle,
        match t.hw().mac.sync {
            bitloom_emu::hw::SyncMode::Lockstep => "lockstep",
            bitloom_emu::hw::SyncMode::Decoupled => "decoupled",
        }
    );
    let _ = writeln!(
        s,
        "lane bit-cycles  {} effectual of {} allocated: lane utilisation {:.1}%, {} idle lane-cycles (waiting for the slowest lane of each group)",
        c.lane_bits,
        c.lane_alloc,
        pct(c.lane_bits, c.lane_alloc),
        c.lane_alloc.saturating_sub(c.lane_bits)
    );
    let _ = writeln!(
        s,
        "ineffectual bit-cycles skipped {}",
        c.skip_ineffectual_bits
    );
    // Passes by their cost: a group of lanes takes as long as its slowest lane, so a wide
    // spread here is the load imbalance BitCluster removes.
    let group = t.hw().mac.group.max(1) as u64;
    let last = c.pass_hist.len() - 1;
    let rows: Vec<(usize, u64)> = c
        .pass_hist
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(cy, n)| (cy, *n))
        .collect();
    if !rows.is_empty() {
        let _ = writeln!(
            s,
            "passes by cost (cycles of the slowest of {group} lanes in the group):"
        );
        let widest = rows.iter().map(|r| r.1).max().unwrap_or(1);
        for (cy, n) in rows {
            let bar = "#".repeat(((40 * n).div_ceil(widest)) as usize);
            let label = if cy == last {
                format!("{cy}+")
            } else {
                cy.to_string()
            };
            let _ = writeln!(
                s,
                "  {label:>3} cycles  {n:>8} passes ({:>5.1}%)  {bar}",
                pct(n, c.passes)
            );
        }
    }
    s
}

/// `stats`: statistics so far, as `bitloom run` prints them.
pub fn stats(m: &Machine) -> String {
    Stats::collect(m.hw(), m.timing.as_ref(), m.instret, &m.class_counts).human()
}

/// `timeline N`: the last `n` unit events.
pub fn timeline(m: &Machine, n: usize) -> String {
    let Some(t) = m.timing.as_ref() else {
        return "The timing model is off: no timeline.\n".into();
    };
    let ev = t.timeline_tail(n);
    if ev.is_empty() {
        return "No timeline events yet.\n".into();
    }
    let mut s = format!(
        "{:>10} {:>8}  {:<7} {:<10} pc\n",
        "start", "cycles", "unit", "what"
    );
    for e in ev {
        let _ = writeln!(
            s,
            "{:>10} {:>8}  {:<7} {:<10} 0x{:08x}",
            e.start,
            e.dur,
            e.unit.name(),
            e.name,
            e.pc
        );
    }
    s
}

/// The word at `addr` and its disassembly (labels for branch targets; `.word` when it
/// does not decode); None outside DRAM.
pub fn instruction_at(m: &Machine, addr: u32) -> Option<(u32, String)> {
    let b = m.read_dram(addr, 4).ok()?;
    let w = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let img = m.image();
    let text = match Instr::decode(w) {
        Ok(i) => i.format(addr, &|a| img.label(a)),
        Err(_) => format!(".word 0x{w:08x}"),
    };
    Some((w, text))
}

/// Disassemble `count` instructions from `addr`, marking the pc with `=>`.
pub fn disassemble(m: &Machine, addr: u32, count: u32) -> String {
    let mut s = String::new();
    for k in 0..count {
        let a = addr.wrapping_add(4 * k);
        let Some((w, text)) = instruction_at(m, a) else {
            let _ = writeln!(s, "   0x{a:08x}: <outside DRAM>");
            break;
        };
        let sym = symbolize(m, a)
            .map(|x| format!(" <{x}>"))
            .unwrap_or_default();
        let mark = if a == m.pc { "=> " } else { "   " };
        let _ = writeln!(s, "{mark}0x{a:08x}{sym}:\t{w:08x}\t{text}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_csr_is_in_exactly_one_group() {
        for c in csr::CSRS {
            let n = CSR_GROUPS
                .iter()
                .filter(|(_, g)| g.contains(&c.num))
                .count();
            assert_eq!(n, 1, "{} is in {n} groups", c.name);
        }
    }
}
