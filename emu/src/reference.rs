//! A plain, deliberately different reference implementation of the accelerator's arithmetic,
//! written straight from docs/ISA.md §5–§8 for checked mode and tests.
//!
//! Nothing here calls `formats`, `accel` or the ISA crate's packing/RLE code: codes are
//! extracted bit by bit from the raw scratchpad bytes, every value is computed by its own
//! small function in `i64`/`i128`, sums are exact and wrapped to 32 bits only at the end,
//! the base-√2 half step is computed as `floor(3·x·2^h / 2)` with `div_euclid`, and rounding
//! uses explicit comparisons. Speed is not a goal.

/// A tile as the reference sees it: shape, code layout and the raw scratchpad bytes.
#[derive(Clone, Copy, Debug)]
pub struct RefTile<'a> {
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Bits per code (1..8; 32 for accumulators).
    pub prec: u32,
    /// Format code (0 int, 1 uint, 2 log, 3 lut, 4 cluster).
    pub fmt: u32,
    /// Zero-point.
    pub zp: i64,
    /// The programmed entries of the tile's LUT (length = programmed length).
    pub lut: &'a [i8],
    /// The tile's bytes, starting at its base.
    pub bytes: &'a [u8],
}

/// Configuration the arithmetic depends on.
#[derive(Clone, Copy, Debug)]
pub struct RefCfg {
    /// CSR `ck`.
    pub ck: u32,
    /// CSR `logbase`.
    pub logbase: u32,
    /// CSR `vlen`.
    pub vlen: usize,
}

fn pow2(e: u32) -> i64 {
    let mut v = 1i64;
    for _ in 0..e {
        v *= 2;
    }
    v
}

fn bit_at(bytes: &[u8], bit: usize) -> u32 {
    match bytes.get(bit / 8) {
        Some(b) => ((*b as u32) >> (bit % 8)) & 1,
        None => 0,
    }
}

/// Code of element `i` (row-major), read bit by bit.
pub fn code(t: &RefTile, i: usize) -> u32 {
    let mut c = 0u32;
    for b in 0..t.prec as usize {
        c += bit_at(t.bytes, i * t.prec as usize + b) << b;
    }
    c
}

/// Value of accumulator element `i` (little-endian 32-bit word).
pub fn acc_value(bytes: &[u8], i: usize) -> i32 {
    let mut v: u32 = 0;
    for j in 0..4 {
        v |= (*bytes.get(4 * i + j).unwrap_or(&0) as u32) << (8 * j);
    }
    v as i32
}

/// All accumulator elements of a byte region.
pub fn acc_values(bytes: &[u8], n: usize) -> Vec<i32> {
    (0..n).map(|i| acc_value(bytes, i)).collect()
}

fn wrap32(x: i128) -> i32 {
    x.rem_euclid(1i128 << 32) as u32 as i32
}

fn int_value(c: u32, p: u32) -> i64 {
    let c = c as i64;
    if c >= pow2(p - 1) {
        c - pow2(p)
    } else {
        c
    }
}

fn uint_value(c: u32, zp: i64) -> i64 {
    c as i64 - zp
}

fn lut_value(c: u32, lut: &[i8]) -> Result<i64, String> {
    lut.get(c as usize)
        .map(|v| *v as i64)
        .ok_or_else(|| format!("lut code {c} beyond length {}", lut.len()))
}

/// Fewest signed power-of-two terms of `m` (|m| < 512), by breadth-first search over sums
/// of terms ±2^i (i < 10) — not the NAF digit rule the emulator uses. Computed once.
fn signed_terms(m: i64) -> u32 {
    static FEWEST: std::sync::OnceLock<Vec<u32>> = std::sync::OnceLock::new();
    let fewest = FEWEST.get_or_init(|| {
        let mut d = vec![u32::MAX; 1023];
        d[511] = 0;
        let mut frontier = vec![0i64];
        let mut t = 0;
        while !frontier.is_empty() {
            t += 1;
            let mut next = Vec::new();
            for &r in &frontier {
                for i in 0..10 {
                    for x in [r + (1 << i), r - (1 << i)] {
                        if x.abs() < 512 && d[(x + 511) as usize] == u32::MAX {
                            d[(x + 511) as usize] = t;
                            next.push(x);
                        }
                    }
                }
            }
            frontier = next;
        }
        d
    });
    fewest.get((m + 511) as usize).copied().unwrap_or(u32::MAX)
}

fn cluster_value(c: u32, p: u32, ck: u32) -> Result<i64, String> {
    let c = c as i64;
    let m = c % pow2(p - 1);
    let negative = c / pow2(p - 1) == 1;
    if signed_terms(m) > ck {
        return Err(format!("cluster code {c} has more than {ck} signed terms"));
    }
    Ok(if negative { -m } else { m })
}

/// Value of code `c` in a non-log tile.
pub fn value(t: &RefTile, c: u32, ck: u32) -> Result<i64, String> {
    match t.fmt {
        0 => Ok(int_value(c, t.prec)),
        1 => Ok(uint_value(c, t.zp)),
        3 => lut_value(c, t.lut),
        4 => cluster_value(c, t.prec, ck),
        f => Err(format!("format {f} has no standalone value")),
    }
}

/// Product of a log weight code with activation value `x`.
pub fn log_prod(c: u32, p: u32, x: i64, logbase: u32) -> i64 {
    let c = c as i64;
    let negative = c / pow2(p - 1) == 1;
    let m = c % pow2(p - 1);
    if m == 0 {
        return 0;
    }
    let q = (m - 1) as u32;
    let y = if logbase == 0 {
        x * pow2(q)
    } else {
        let h = q / 2;
        if q.is_multiple_of(2) {
            x * pow2(h)
        } else {
            (3 * x * pow2(h)).div_euclid(2)
        }
    };
    if negative {
        -y
    } else {
        y
    }
}

/// `prod(w, a)` of docs/ISA.md "Products".
pub fn prod(w: &RefTile, wc: u32, a: &RefTile, ac: u32, cfg: &RefCfg) -> Result<i64, String> {
    if a.fmt == 2 {
        return Err("log activations".into());
    }
    let x = value(a, ac, cfg.ck)?;
    if w.fmt == 2 {
        Ok(log_prod(wc, w.prec, x, cfg.logbase))
    } else {
        Ok(value(w, wc, cfg.ck)? * x)
    }
}

/// `bsmac`: `acc[m][n] + Σ_k prod(w[m][k], a[k][n])`, wrapped.
pub fn bsmac(w: &RefTile, a: &RefTile, acc: &[i32], cfg: &RefCfg) -> Result<Vec<i32>, String> {
    let (mm, kk, nn) = (w.rows, w.cols, a.cols);
    let mut out = Vec::with_capacity(mm * nn);
    for m in 0..mm {
        for n in 0..nn {
            let mut s = acc[m * nn + n] as i128;
            for k in 0..kk {
                s += prod(w, code(w, m * kk + k), a, code(a, k * nn + n), cfg)? as i128;
            }
            out.push(wrap32(s));
        }
    }
    Ok(out)
}

/// `vscale`: `acc[m][n] + Σ_v sw[m][v]·sa[v][n]·Σ_{k in v} prod`, wrapped. Scale codes are
/// read as unsigned integers.
pub fn vscale(
    w: &RefTile,
    a: &RefTile,
    sw: &RefTile,
    sa: &RefTile,
    acc: &[i32],
    cfg: &RefCfg,
) -> Result<Vec<i32>, String> {
    let (mm, kk, nn) = (w.rows, w.cols, a.cols);
    let nv = kk.div_ceil(cfg.vlen);
    let mut out = Vec::with_capacity(mm * nn);
    for m in 0..mm {
        for n in 0..nn {
            let mut s = acc[m * nn + n] as i128;
            for v in 0..nv {
                let mut dot = 0i128;
                let mut k = v * cfg.vlen;
                while k < kk && k < (v + 1) * cfg.vlen {
                    dot += prod(w, code(w, m * kk + k), a, code(a, k * nn + n), cfg)? as i128;
                    k += 1;
                }
                let scale = code(sw, m * nv + v) as i128 * code(sa, v * nn + n) as i128;
                s += scale * dot;
            }
            out.push(wrap32(s));
        }
    }
    Ok(out)
}

/// `bias` (subtract = false) / `bcorr` (subtract = true).
pub fn bias(acc: &[i32], b: &[i32], rows: usize, cols: usize, subtract: bool) -> Vec<i32> {
    let mut out = Vec::with_capacity(rows * cols);
    for m in 0..rows {
        for n in 0..cols {
            let x = acc[m * cols + n] as i128;
            let y = b[m] as i128;
            out.push(wrap32(if subtract { x - y } else { x + y }));
        }
    }
    out
}

/// `relu`.
pub fn relu(acc: &[i32]) -> Vec<i32> {
    acc.iter().map(|&x| if x < 0 { 0 } else { x }).collect()
}

/// `round_shift(p, sh)` under `rmode`.
pub fn round_shift(p: i128, sh: u32, rmode: u32) -> i128 {
    if sh == 0 {
        return p;
    }
    let d = 1i128 << sh;
    let half = d / 2;
    let q = p.div_euclid(d);
    let rem = p - q * d;
    match rmode {
        0 => (p + half).div_euclid(d),
        1 => q,
        _ => {
            if rem > half || (rem == half && q.rem_euclid(2) == 1) {
                q + 1
            } else {
                q
            }
        }
    }
}

/// Requantisation parameters of `rqnt`.
#[derive(Clone, Copy, Debug)]
pub struct RqntCfg {
    /// Output format code (0 int, 1 uint).
    pub fmt: u32,
    /// Output precision.
    pub prec: u32,
    /// Output zero-point (uint).
    pub zp: i64,
    /// CSR `rshift`.
    pub rshift: u32,
    /// CSR `rmode`.
    pub rmode: u32,
    /// CSR `relu`.
    pub relu: bool,
}

/// `rqnt`: output codes.
pub fn rqnt(acc: &[i32], mult: &[i32], rows: usize, cols: usize, c: &RqntCfg) -> Vec<u32> {
    let uint = c.fmt == 1;
    let (lo, hi) = if uint {
        (0i128, pow2(c.prec) as i128 - 1)
    } else {
        (-(pow2(c.prec - 1) as i128), pow2(c.prec - 1) as i128 - 1)
    };
    let zp = if uint { c.zp as i128 } else { 0 };
    let mut out = Vec::with_capacity(rows * cols);
    for m in 0..rows {
        for n in 0..cols {
            let p = acc[m * cols + n] as i128 * mult[m] as i128;
            let mut v = round_shift(p, c.rshift, c.rmode) + zp;
            if c.relu && v < zp {
                v = zp;
            }
            if v < lo {
                v = lo;
            }
            if v > hi {
                v = hi;
            }
            out.push(v.rem_euclid(pow2(c.prec) as i128) as u32);
        }
    }
    out
}

/// Non-zero codes of a code tile.
pub fn count_nonzero_codes(t: &RefTile) -> u64 {
    (0..t.rows * t.cols).filter(|&i| code(t, i) != 0).count() as u64
}

fn bits_at(stream: &[u8], bit: usize, width: u32) -> u32 {
    let mut v = 0u32;
    for i in 0..width as usize {
        v += bit_at(stream, bit + i) << i;
    }
    v
}

/// Decode an RLE stream of `n` elements. On error, returns the stream byte offset
/// docs/ISA.md §8 and `isa::rle` report.
pub fn rle_decode(stream: &[u8], b: u32, r: u32, n: usize) -> Result<Vec<u32>, usize> {
    if stream.len() < 4 {
        return Err(stream.len());
    }
    let entries = stream[0] as u64
        | (stream[1] as u64) << 8
        | (stream[2] as u64) << 16
        | (stream[3] as u64) << 24;
    let eb = (r + b) as u64;
    let body = &stream[4..];
    if entries * eb > body.len() as u64 * 8 {
        return Err(stream.len());
    }
    let mut out = Vec::new();
    for e in 0..entries as usize {
        let bit = e * eb as usize;
        let run = bits_at(body, bit, r) as usize;
        let c = bits_at(body, bit + r as usize, b);
        if out.len() + run + 1 > n {
            return Err(4 + bit / 8);
        }
        out.extend(std::iter::repeat_n(0, run));
        out.push(c);
    }
    if out.len() != n {
        return Err(4 + ((entries * eb) as usize).div_ceil(8));
    }
    Ok(out)
}

/// Encode codes as an RLE stream (entries split at `2^r - 1` zeros; trailing zeros encoded
/// as code-0 entries).
pub fn rle_encode(codes: &[u32], b: u32, r: u32) -> Vec<u8> {
    let chunk = pow2(r) as usize; // zeros covered by one (max_run, 0) entry
    let mut entries: Vec<(u32, u32)> = Vec::new();
    let mut zeros = 0usize;
    for &c in codes {
        if c == 0 {
            zeros += 1;
            continue;
        }
        for _ in 0..zeros / chunk {
            entries.push((chunk as u32 - 1, 0));
        }
        entries.push(((zeros % chunk) as u32, c));
        zeros = 0;
    }
    for _ in 0..zeros / chunk {
        entries.push((chunk as u32 - 1, 0));
    }
    if !zeros.is_multiple_of(chunk) {
        entries.push(((zeros % chunk) as u32 - 1, 0));
    }
    let n = entries.len() as u32;
    let mut bits: Vec<u32> = Vec::new();
    for (run, c) in entries {
        for i in 0..r {
            bits.push((run >> i) & 1);
        }
        for i in 0..b {
            bits.push((c >> i) & 1);
        }
    }
    let mut out = vec![n as u8, (n >> 8) as u8, (n >> 16) as u8, (n >> 24) as u8];
    for chunk in bits.chunks(8) {
        let mut byte = 0u8;
        for (j, &bit) in chunk.iter().enumerate() {
            byte |= (bit as u8) << j;
        }
        out.push(byte);
    }
    out
}

/// Pack codes LSB-first, bit by bit.
pub fn pack(codes: &[u32], prec: u32) -> Vec<u8> {
    let nbits = codes.len() * prec as usize;
    let mut out = vec![0u8; nbits.div_ceil(8)];
    for (i, &c) in codes.iter().enumerate() {
        for b in 0..prec as usize {
            if (c >> b) & 1 == 1 {
                let bit = i * prec as usize + b;
                out[bit / 8] |= 1 << (bit % 8);
            }
        }
    }
    out
}

/// Strided gather, bit by bit: row `r` (`row_bits` bits) starts at bit 0 of byte
/// `base + r·stride`; the result packs the rows back to back, LSB-first (docs/ISA.md §5
/// "Strided DMA").
pub fn gather_rows(
    read: &dyn Fn(u32) -> u8,
    base: u32,
    stride: u32,
    rows: u32,
    row_bits: u64,
) -> Vec<u8> {
    let total = rows as u64 * row_bits;
    let mut out = vec![0u8; total.div_ceil(8) as usize];
    for r in 0..rows as u64 {
        for b in 0..row_bits {
            let src = base as u64 + r * stride as u64 + b / 8;
            let bit = (read(src as u32) >> (b % 8)) & 1;
            let dst = r * row_bits + b;
            out[(dst / 8) as usize] |= bit << (dst % 8);
        }
    }
    out
}
