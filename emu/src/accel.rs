//! Accelerator semantics: tiles, DMA, LUTs, the MAC array and post-processing
//! (docs/ISA.md §4–§8), with the data-dependent work records for the timing model and the
//! checked-mode comparison against `reference`.
//!
//! Every instruction validates all operands and computes its result into local buffers
//! before writing anything, so traps are precise.
//!
//! MAC kernels work on whole words: codes are unpacked once per instruction and mapped to
//! `i16` values through 256-entry tables (`formats`), then an `m, k, n` loop broadcasts one
//! weight over a contiguous activation row into a contiguous accumulator row (`i32`,
//! wrapping). Log weights use shift-and-add kernels. Bit-slice mode (CSR `slice > 0`)
//! computes the sum through the Panacea decomposition of docs/ISA.md §6, visiting only HO
//! slices that differ from the frequent value `r` and adding the `r·Σw` compensation.

use bitloom_isa::csr;
use bitloom_isa::numfmt::{self, NumFmt};
use bitloom_isa::rle::{self, RleError};
use bitloom_isa::{DecodeError, Opcode, Space};

use crate::formats::{BadCode, LogTable, ValueTable};
use crate::machine::{Machine, Op, Storage, Tile};
use crate::mem::PagedMem;
use crate::reference::{self as refimpl, RefCfg, RefTile};
use crate::trap::{Trap, TrapKind};
use crate::work::{Commit, DmaWork, MacWork, PostWork, Work};

fn mismatch(what: impl Into<String>) -> TrapKind {
    TrapKind::TileMismatch(what.into())
}

fn describe(i: u8, t: &Tile) -> String {
    format!("t{i} ({} {}x{})", t.space, t.rows, t.cols)
}

fn rle_offset(e: &RleError) -> usize {
    match e {
        RleError::Truncated { offset, .. }
        | RleError::Overrun { offset, .. }
        | RleError::Underrun { offset, .. } => *offset,
    }
}

/// First differing element of two equally long result vectors.
fn compare<T: Copy + Into<i64> + PartialEq>(
    op: &'static str,
    cols: u32,
    got: &[T],
    expected: &[T],
) -> Result<(), TrapKind> {
    let n = got.len().max(expected.len());
    for i in 0..n {
        let g = got.get(i).copied();
        let e = expected.get(i).copied();
        if g != e {
            let cols = cols.max(1) as u64;
            return Err(TrapKind::CheckMismatch {
                op,
                element: i as u64,
                row: (i as u64 / cols) as u32,
                col: (i as u64 % cols) as u32,
                got: g.map(Into::into).unwrap_or(i64::MIN),
                expected: e.map(Into::into).unwrap_or(i64::MIN),
            });
        }
    }
    Ok(())
}

/// Weight operand of a MAC, decoded.
enum Weights {
    /// Linear values.
    Lin(Vec<i16>),
    /// Log codes with their shift recipe.
    Log(Box<LogTable>),
}

/// Bit-slice data of the activation tile.
struct Sliced {
    s: u32,
    r: i32,
    zp: i32,
    /// Linear weight multipliers (M×K; all fit in 16 bits).
    wl: Vec<i16>,
    /// LO slices (K×N; below 2^7, so `i8`).
    lo: Vec<i8>,
    /// The HO slices that are not `r`, as `HO - r`.
    ho: HoSlices,
}

/// Non-skipped HO slices: a sparse list when most slices equal `r` (the case the
/// mechanism is for), otherwise a dense K×N matrix of `HO - r` whose zeros are the skipped
/// slices. Both give the same sums; the choice only affects host speed.
enum HoSlices {
    /// Per k, the range of `ho` holding its (n, HO - r) entries.
    Sparse { idx: Vec<u32>, ho: Vec<(u32, i32)> },
    /// K×N matrix of HO - r.
    Dense(Vec<i16>),
}

/// Activation values: `i8` when every value fits (keeps the K×N matrix in L1 as long as a
/// native int8 GEMM would), else `i16`.
enum AVals {
    I8(Vec<i8>),
    I16(Vec<i16>),
}

/// Everything a MAC needs, decoded once per instruction.
struct Plan<'a> {
    m: usize,
    k: usize,
    n: usize,
    wcodes: &'a [u8],
    weights: Weights,
    avals: AVals,
    sliced: Option<Sliced>,
}

impl Plan<'_> {
    /// out[m][n] += Σ_{k in k0..k1} prod(w[m][k], a[k][n]) (wrapping).
    fn accumulate(&self, k0: usize, k1: usize, out: &mut [i32]) {
        let (m, kk, n) = (self.m, self.k, self.n);
        if let Some(sl) = &self.sliced {
            // Σ w·LO, straight into the accumulators.
            gemm_lin(&sl.wl, &sl.lo, out, m, kk, n, k0, k1);
            // Σ_{HO≠r} w·(HO - r): only non-skipped slices contribute.
            let mut ho_acc = vec![0i32; m * n];
            match &sl.ho {
                HoSlices::Dense(d) => gemm_lin(&sl.wl, d, &mut ho_acc, m, kk, n, k0, k1),
                HoSlices::Sparse { idx, ho } => {
                    for mi in 0..m {
                        let hrow = &mut ho_acc[mi * n..(mi + 1) * n];
                        for k in k0..k1 {
                            let w = sl.wl[mi * kk + k] as i32;
                            if w == 0 {
                                continue;
                            }
                            let (a, b) = (idx[k] as usize, idx[k + 1] as usize);
                            for &(j, d) in &ho[a..b] {
                                if let Some(o) = hrow.get_mut(j as usize) {
                                    *o = o.wrapping_add(w.wrapping_mul(d));
                                }
                            }
                        }
                    }
                }
            }
            // + 2^s·(that + r·Σw) - zp·Σw
            for mi in 0..m {
                let sumw = sl.wl[mi * kk + k0..mi * kk + k1]
                    .iter()
                    .fold(0i32, |s, &w| s.wrapping_add(w as i32));
                let comp_r = sl.r.wrapping_mul(sumw);
                let comp_zp = sl.zp.wrapping_mul(sumw);
                let orow = &mut out[mi * n..(mi + 1) * n];
                for (o, &ho) in orow.iter_mut().zip(&ho_acc[mi * n..(mi + 1) * n]) {
                    let hi = ho.wrapping_add(comp_r).wrapping_shl(sl.s);
                    *o = o.wrapping_add(hi).wrapping_sub(comp_zp);
                }
            }
            return;
        }
        match &self.weights {
            Weights::Lin(w) => match &self.avals {
                AVals::I8(a) => gemm_lin(w, a, out, m, kk, n, k0, k1),
                AVals::I16(a) => gemm_lin(w, a, out, m, kk, n, k0, k1),
            },
            Weights::Log(t) => match &self.avals {
                AVals::I8(a) => gemm_log(self.wcodes, t, a, out, m, kk, n, k0, k1),
                AVals::I16(a) => gemm_log(self.wcodes, t, a, out, m, kk, n, k0, k1),
            },
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn gemm_lin<A: Copy + Into<i32>>(
    w: &[i16],
    a: &[A],
    out: &mut [i32],
    m: usize,
    kk: usize,
    n: usize,
    k0: usize,
    k1: usize,
) {
    if n == 1 {
        // GEMV: contiguous dot products.
        for mi in 0..m {
            let wrow = &w[mi * kk + k0..mi * kk + k1];
            let acol = &a[k0..k1];
            let mut s = 0i32;
            for (&x, &y) in wrow.iter().zip(acol) {
                s = s.wrapping_add(x as i32 * y.into());
            }
            out[mi] = out[mi].wrapping_add(s);
        }
        return;
    }
    // Register blocking: a block of BLK outputs stays in registers across the whole k range
    // (what a compiler does for a native loop with known sizes).
    const BLK: usize = 32;
    for mi in 0..m {
        let wrow = &w[mi * kk + k0..mi * kk + k1];
        let orow = &mut out[mi * n..(mi + 1) * n];
        let full = n / BLK * BLK;
        for c0 in (0..full).step_by(BLK) {
            let mut blk = [0i32; BLK];
            blk.copy_from_slice(&orow[c0..c0 + BLK]);
            for (j, &wv) in wrow.iter().enumerate() {
                let wv = wv as i32;
                let base = (k0 + j) * n + c0;
                let arow: &[A; BLK] = match a[base..base + BLK].try_into() {
                    Ok(r) => r,
                    Err(_) => continue, // unreachable: the slice has BLK elements
                };
                for i in 0..BLK {
                    blk[i] = blk[i].wrapping_add(wv * arow[i].into());
                }
            }
            orow[c0..c0 + BLK].copy_from_slice(&blk);
        }
        if full < n {
            let orow = &mut orow[full..];
            for (j, &wv) in wrow.iter().enumerate() {
                if wv == 0 {
                    continue;
                }
                let wv = wv as i32;
                let k = k0 + j;
                let arow = &a[k * n + full..(k + 1) * n];
                for (o, &x) in orow.iter_mut().zip(arow) {
                    *o = o.wrapping_add(wv * x.into());
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn gemm_log<A: Copy + Into<i32>>(
    wc: &[u8],
    t: &LogTable,
    a: &[A],
    out: &mut [i32],
    m: usize,
    kk: usize,
    n: usize,
    k0: usize,
    k1: usize,
) {
    // Per weight code: shift h, half-step mask, sign mask; the product is
    // y = (x << h) + ((x << h) >> 1 if half), negated if the sign bit is set — shifts, adds
    // and a conditional negate ((y ^ s) - s), no multiplier. Register-blocked like gemm_lin.
    const BLK: usize = 32;
    let recipe = |c: u8| {
        let c = c as usize;
        (
            t.shift[c] as u32,
            if t.half[c] { -1i32 } else { 0 },
            if t.neg[c] { -1i32 } else { 0 },
        )
    };
    for mi in 0..m {
        let wrow = &wc[mi * kk + k0..mi * kk + k1];
        let orow = &mut out[mi * n..(mi + 1) * n];
        let full = n / BLK * BLK;
        for c0 in (0..full).step_by(BLK) {
            let mut blk = [0i32; BLK];
            blk.copy_from_slice(&orow[c0..c0 + BLK]);
            for (j, &code) in wrow.iter().enumerate() {
                if t.zero[code as usize] {
                    continue;
                }
                let (h, half, neg) = recipe(code);
                let base = (k0 + j) * n + c0;
                let arow: &[A; BLK] = match a[base..base + BLK].try_into() {
                    Ok(r) => r,
                    Err(_) => continue, // unreachable: the slice has BLK elements
                };
                for i in 0..BLK {
                    let s = arow[i].into() << h;
                    let y = s + ((s >> 1) & half);
                    blk[i] = blk[i].wrapping_add((y ^ neg).wrapping_sub(neg));
                }
            }
            orow[c0..c0 + BLK].copy_from_slice(&blk);
        }
        let orow = &mut orow[full..];
        for (j, &code) in wrow.iter().enumerate() {
            if t.zero[code as usize] || orow.is_empty() {
                continue;
            }
            let (h, half, neg) = recipe(code);
            let k = k0 + j;
            for (o, &x) in orow.iter_mut().zip(&a[k * n + full..(k + 1) * n]) {
                let s = x.into() << h;
                let y = s + ((s >> 1) & half);
                *o = o.wrapping_add((y ^ neg).wrapping_sub(neg));
            }
        }
    }
}

/// Most frequent HO slice value of the codes (ties: the smallest).
fn most_frequent_ho(codes: &[u8], s: u32) -> u32 {
    let mut hist = [0u64; 256];
    for &c in codes {
        hist[(c as u32 >> s) as usize] += 1;
    }
    let mut best = 0usize;
    for (v, &cnt) in hist.iter().enumerate() {
        if cnt > hist[best] {
            best = v;
        }
    }
    best as u32
}

impl Machine {
    pub(crate) fn spad(&self, s: Space) -> &PagedMem {
        match s {
            Space::Wsp => &self.wsp,
            Space::Asp => &self.asp,
            Space::Acc => &self.acc,
        }
    }

    fn spad_mut(&mut self, s: Space) -> &mut PagedMem {
        match s {
            Space::Wsp => &mut self.wsp,
            Space::Asp => &mut self.asp,
            Space::Acc => &mut self.acc,
        }
    }

    fn get_tile(&self, i: u8) -> Result<Tile, TrapKind> {
        self.tiles
            .get(i as usize)
            .copied()
            .flatten()
            .ok_or(TrapKind::UndefinedTile { tile: i })
    }

    fn reg(&self, r: u8) -> u32 {
        self.regs[(r & 31) as usize]
    }

    fn set_reg(&mut self, r: u8, v: u32, c: &mut Commit) {
        let r = (r & 31) as usize;
        if r != 0 {
            self.regs[r] = v;
            c.gpr = Some((r as u8, v));
        }
    }

    /// Hand one accelerator instruction's work to the timing model, with its operand fields
    /// so tile dependencies are tracked per tile register.
    fn account(&mut self, pc: u32, op: &Op, w: &Work<'_>) {
        if let Some(t) = self.timing.as_mut() {
            t.account_ops(pc, op.op, &op.f, w);
        }
    }

    /// Raw scratchpad bytes of a tile.
    fn tile_raw(&self, t: &Tile) -> Vec<u8> {
        self.spad(t.space).read_vec(t.base, t.bytes() as usize)
    }

    /// Unpacked codes of a code tile.
    fn codes_of(&self, t: &Tile) -> Vec<u8> {
        let raw = self.tile_raw(t);
        let mut out = Vec::new();
        // The raw bytes are exactly packed_len long, so unpacking cannot fail.
        numfmt::unpack_into(&raw, t.prec, t.elements() as usize, &mut out);
        out
    }

    /// Values of an accumulator tile.
    fn acc_of(&self, t: &Tile) -> Vec<i32> {
        let raw = self.tile_raw(t);
        raw.chunks_exact(4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    }

    /// Store codes into a code tile, keeping the bits past its end in a shared last byte.
    fn store_codes(&mut self, t: &Tile, codes: &[u8]) {
        let mut bytes = numfmt::pack(codes, t.prec);
        let used = (codes.len() * t.prec as usize) % 8;
        if used != 0 {
            let addr = t.base + (bytes.len() as u32 - 1);
            if let Some(last) = bytes.last_mut() {
                let old = self.spad(t.space).read_u8(addr);
                *last |= old & !((1u8 << used) - 1);
            }
        }
        let base = t.base;
        self.spad_mut(t.space).write(base, &bytes);
    }

    fn store_acc(&mut self, t: &Tile, vals: &[i32]) {
        let mut bytes = Vec::with_capacity(vals.len() * 4);
        for v in vals {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        let base = t.base;
        self.acc.write(base, &bytes);
    }

    fn set_tile(&mut self, i: u8, t: Tile) {
        if let Some(slot) = self.tiles.get_mut(i as usize) {
            *slot = Some(t);
        }
    }

    fn ref_tile<'a>(&'a self, t: &Tile, bytes: &'a [u8]) -> RefTile<'a> {
        let lut = &self.luts[(t.lut & 3) as usize];
        RefTile {
            rows: t.rows as usize,
            cols: t.cols as usize,
            prec: t.prec,
            fmt: t.fmt as u32,
            zp: t.zp as i64,
            lut: &lut.entries[..(lut.len as usize).min(256)],
            bytes,
        }
    }

    /// Codes of tile register `i` (unpacked; accumulator tiles give their bytes).
    pub fn tile_codes(&self, i: u8) -> Result<Vec<u8>, Trap> {
        let t = self.get_tile(i).map_err(|k| self.trap_at(self.pc, k))?;
        Ok(if t.is_acc() {
            self.tile_raw(&t)
        } else {
            self.codes_of(&t)
        })
    }

    /// Decoded element values of tile register `i`, row-major. Accumulators give their
    /// 32-bit values; log weights give their product with x = 1 under the current
    /// `logbase`; cluster codes are shown whatever their popcount.
    pub fn tile_values(&self, i: u8) -> Result<Vec<i32>, Trap> {
        let trap = |k| self.trap_at(self.pc, k);
        let t = self.get_tile(i).map_err(trap)?;
        if t.is_acc() {
            return Ok(self.acc_of(&t));
        }
        let codes = self.codes_of(&t);
        if t.fmt == NumFmt::Log {
            if !(2..=5).contains(&t.prec) {
                return Err(trap(TrapKind::PrecisionRange {
                    tile: i,
                    fmt: t.fmt,
                    prec: t.prec,
                }));
            }
            let lt = LogTable::new(t.prec, self.csrs[csr::LOGBASE as usize]);
            return Ok(codes.iter().map(|&c| lt.prod(c, 1)).collect());
        }
        let vt = ValueTable::new(&t, &self.luts[(t.lut & 3) as usize], 8);
        if let Some((e, c, BadCode::Lut)) = vt.first_bad(&codes, t.fmt) {
            return Err(trap(TrapKind::LutIndex {
                tile: i,
                element: e as u64,
                code: c as u32,
                lut: t.lut,
                len: self.luts[(t.lut & 3) as usize].len,
            }));
        }
        Ok(codes.iter().map(|&c| vt.val[c as usize] as i32).collect())
    }

    /// Execute a tile, DMA, LUT, MAC or post-processing instruction.
    #[inline(never)]
    pub(crate) fn exec_accel<const T: bool>(
        &mut self,
        pc: u32,
        op: Op,
        c: &mut Commit,
    ) -> Result<(), TrapKind> {
        match op.op {
            Opcode::Tdef => self.op_tdef(pc, &op, c),
            Opcode::Tzero => self.op_tzero(pc, &op, c),
            Opcode::Dchk => self.op_dchk(pc, &op, c),
            Opcode::LdRaw => self.op_ld_raw(pc, &op, c),
            Opcode::LdRle => self.op_ld_rle(pc, &op, c),
            Opcode::StRaw => self.op_st_raw(pc, &op, c),
            Opcode::StRle => self.op_st_rle(pc, &op, c),
            Opcode::SetLut => self.op_set_lut(pc, &op, c),
            Opcode::Bsmac => self.op_mac(pc, &op, false, c),
            Opcode::Vscale => self.op_mac(pc, &op, true, c),
            Opcode::Bias | Opcode::Bcorr => self.op_bias(pc, &op, c),
            Opcode::Relu => self.op_relu(pc, &op, c),
            Opcode::Rqnt => self.op_rqnt(pc, &op, c),
            other => Err(TrapKind::IllegalInstruction(DecodeError::UnknownOpcode {
                word: other as u32,
                opcode: other as u8,
            })),
        }
    }

    fn op_tdef(&mut self, pc: u32, op: &Op, c: &mut Commit) -> Result<(), TrapKind> {
        let f = op.f;
        let td = f[0] & 15;
        let space = Space::from_bits(f[1] as u32).ok_or_else(|| {
            TrapKind::IllegalInstruction(DecodeError::BadField {
                word: 0,
                mnemonic: "tdef",
                operand: "space",
                value: f[1] as u32,
            })
        })?;
        let (base, rows, cols) = (self.reg(f[2]), self.reg(f[3]), self.reg(f[4]));
        if !(1..=65535).contains(&rows) || !(1..=65535).contains(&cols) {
            return Err(TrapKind::TileShape {
                tile: td,
                rows,
                cols,
            });
        }
        let cs = &self.csrs;
        let fmt_of = |v: u32| NumFmt::from_code(v).unwrap_or(NumFmt::Int);
        let (prec, fmt, zp, lut) = match space {
            Space::Wsp => (
                cs[csr::WPREC as usize],
                fmt_of(cs[csr::WFMT as usize]),
                cs[csr::WZP as usize],
                cs[csr::WLUT as usize] as u8,
            ),
            Space::Asp => (
                cs[csr::APREC as usize],
                fmt_of(cs[csr::AFMT as usize]),
                cs[csr::AZP as usize],
                cs[csr::ALUT as usize] as u8,
            ),
            Space::Acc => (32, NumFmt::Int, 0, 0),
        };
        let t = Tile {
            space,
            base,
            rows,
            cols,
            prec,
            fmt,
            zp,
            lut,
            rlerun: cs[csr::RLERUN as usize],
            storage: Storage::Raw,
            nnz: None,
        };
        let size = self.spad(space).size();
        if !self.spad(space).in_range(base, t.bytes()) {
            return Err(TrapKind::ScratchpadOverflow {
                tile: td,
                space,
                base,
                bytes: t.bytes(),
                size,
            });
        }
        self.set_tile(td, t);
        c.tile = Some(td);
        self.account(pc, op, &Work::Tile { elements: 0 });
        Ok(())
    }

    fn op_tzero(&mut self, pc: u32, op: &Op, c: &mut Commit) -> Result<(), TrapKind> {
        let i = op.f[0] & 15;
        let mut t = self.get_tile(i)?;
        if t.is_acc() {
            let (base, len) = (t.base, t.bytes());
            self.acc.fill(base, len, 0);
        } else {
            let zeros = vec![0u8; t.elements() as usize];
            self.store_codes(&t, &zeros);
        }
        t.nnz = Some(0);
        self.set_tile(i, t);
        c.tile = Some(i);
        self.account(
            pc,
            op,
            &Work::Tile {
                elements: t.elements(),
            },
        );
        Ok(())
    }

    /// Non-zero elements of a tile (codes, or values for accumulators), checked against the
    /// reference in checked mode.
    fn count_nnz(&self, t: &Tile, op: &'static str) -> Result<u64, TrapKind> {
        let n = if t.is_acc() {
            self.acc_of(t).iter().filter(|&&v| v != 0).count() as u64
        } else {
            self.codes_of(t).iter().filter(|&&v| v != 0).count() as u64
        };
        if self.checked {
            let raw = self.tile_raw(t);
            let expected = if t.is_acc() {
                refimpl::acc_values(&raw, t.elements() as usize)
                    .iter()
                    .filter(|&&v| v != 0)
                    .count() as u64
            } else {
                refimpl::count_nonzero_codes(&self.ref_tile(t, &raw))
            };
            compare(op, 1, &[n as i64], &[expected as i64])?;
        }
        Ok(n)
    }

    fn op_dchk(&mut self, pc: u32, op: &Op, c: &mut Commit) -> Result<(), TrapKind> {
        let i = op.f[1] & 15;
        let mut t = self.get_tile(i)?;
        let n = self.count_nnz(&t, "dchk")?;
        let density = (1000 * n / t.elements()) as u32;
        let dense = (density >= self.csrs[csr::DTHRESH as usize]) as u32;
        t.nnz = Some(n);
        self.set_tile(i, t);
        self.csrs[csr::NNZ as usize] = n as u32;
        self.csrs[csr::DENSITY as usize] = density;
        self.csrs[csr::DENSE as usize] = dense;
        self.set_reg(op.f[0], n as u32, c);
        c.tile = Some(i);
        c.csr = Some((csr::DENSITY, density));
        self.account(
            pc,
            op,
            &Work::Tile {
                elements: t.elements(),
            },
        );
        Ok(())
    }

    fn op_ld_raw(&mut self, pc: u32, op: &Op, c: &mut Commit) -> Result<(), TrapKind> {
        let i = op.f[0] & 15;
        let mut t = self.get_tile(i)?;
        let addr = self.reg(op.f[1]);
        let len = t.bytes();
        if !self.dram.in_range(addr, len) {
            return Err(self.oob("DMA read", addr, len));
        }
        let bytes = self.dram.read_vec(addr, len as usize);
        self.spad_mut(t.space).write(t.base, &bytes);
        let nnz = self.count_nnz(&t, "ld.raw")?;
        t.storage = Storage::Raw;
        t.nnz = Some(nnz);
        self.set_tile(i, t);
        c.tile = Some(i);
        self.account(
            pc,
            op,
            &Work::Dma(DmaWork {
                load: true,
                space: t.space,
                dram_bytes: len,
                spad_bytes: len,
                elements: t.elements(),
                rle: false,
            }),
        );
        Ok(())
    }

    /// Decode the RLE stream at `addr` for tile `t`. The stream is conceptually all of DRAM
    /// from `addr` on; only the prefix that decides the outcome is read.
    fn rle_fetch_decode(&self, t: &Tile, addr: u32) -> Result<(Vec<u8>, usize), TrapKind> {
        if addr > self.dram.size() {
            return Err(self.oob("DMA read", addr, 4));
        }
        let avail = (self.dram.size() - addr) as u64;
        let n = t.elements() as usize;
        let eb = (t.prec + t.rlerun) as u64;
        let hdr = self.dram.read_vec(addr, avail.min(4) as usize);
        let mut out = Vec::new();
        let err = |e: RleError| TrapKind::CorruptRle {
            offset: rle_offset(&e),
            source: e,
        };
        if hdr.len() < 4 {
            return Err(err(rle::decode_into(&hdr, t.prec, t.rlerun, n, &mut out)
                .err()
                .unwrap_or(RleError::Truncated {
                    offset: hdr.len(),
                    entries: 0,
                    entry_bits: eb as u32,
                    available: 0,
                })));
        }
        let entries = u32::from_le_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]) as u64;
        let need = 4 + (entries * eb).div_ceil(8);
        if need > avail {
            return Err(err(RleError::Truncated {
                offset: avail as usize,
                entries,
                entry_bits: eb as u32,
                available: (avail - 4) as usize,
            }));
        }
        let mut stream;
        if entries > n as u64 {
            // Each entry yields at least one element, so the first n + 1 entries already
            // overrun; decoding them gives the same diagnosis as the whole stream.
            let len = 4 + ((n as u64 + 1) * eb).div_ceil(8);
            stream = self.dram.read_vec(addr, len as usize);
            stream[..4].copy_from_slice(&(n as u32 + 1).to_le_bytes());
        } else {
            stream = self.dram.read_vec(addr, need as usize);
        }
        let used = rle::decode_into(&stream, t.prec, t.rlerun, n, &mut out).map_err(err)?;
        if self.checked {
            let expected = refimpl::rle_decode(&stream, t.prec, t.rlerun, n);
            match expected {
                Ok(e) => {
                    let got: Vec<u32> = out.iter().map(|&c| c as u32).collect();
                    compare("ld.rle", t.cols, &got, &e)?;
                }
                Err(off) => {
                    return Err(TrapKind::CheckMismatch {
                        op: "ld.rle",
                        element: off as u64,
                        row: 0,
                        col: 0,
                        got: 0,
                        expected: off as i64,
                    })
                }
            }
        }
        Ok((out, used))
    }

    fn op_ld_rle(&mut self, pc: u32, op: &Op, c: &mut Commit) -> Result<(), TrapKind> {
        let i = op.f[0] & 15;
        let mut t = self.get_tile(i)?;
        if t.is_acc() {
            return Err(TrapKind::FormatUnsupported(format!(
                "ld.rle into accumulator tile t{i} (RLE streams hold 1..8-bit codes)"
            )));
        }
        let addr = self.reg(op.f[1]);
        let (codes, used) = self.rle_fetch_decode(&t, addr)?;
        self.store_codes(&t, &codes);
        let nnz = codes.iter().filter(|&&x| x != 0).count() as u64;
        t.storage = Storage::Rle;
        t.nnz = Some(nnz);
        self.set_tile(i, t);
        c.tile = Some(i);
        self.account(
            pc,
            op,
            &Work::Dma(DmaWork {
                load: true,
                space: t.space,
                dram_bytes: used as u64,
                spad_bytes: t.bytes(),
                elements: t.elements(),
                rle: true,
            }),
        );
        Ok(())
    }

    fn op_st_raw(&mut self, pc: u32, op: &Op, c: &mut Commit) -> Result<(), TrapKind> {
        let i = op.f[0] & 15;
        let t = self.get_tile(i)?;
        let addr = self.reg(op.f[1]);
        let len = t.bytes();
        if !self.dram.in_range(addr, len) {
            return Err(self.oob("DMA write", addr, len));
        }
        let bytes = self.tile_raw(&t);
        self.dram.write(addr, &bytes);
        self.dram_written(addr, len);
        c.mem = Some((addr, len as u32));
        self.account(
            pc,
            op,
            &Work::Dma(DmaWork {
                load: false,
                space: t.space,
                dram_bytes: len,
                spad_bytes: len,
                elements: t.elements(),
                rle: false,
            }),
        );
        Ok(())
    }

    fn op_st_rle(&mut self, pc: u32, op: &Op, c: &mut Commit) -> Result<(), TrapKind> {
        let i = op.f[1] & 15;
        let t = self.get_tile(i)?;
        if t.is_acc() {
            return Err(TrapKind::FormatUnsupported(format!(
                "st.rle of accumulator tile t{i}"
            )));
        }
        let addr = self.reg(op.f[2]);
        let codes = self.codes_of(&t);
        let stream = rle::encode(&codes, t.prec, t.rlerun);
        if self.checked {
            let raw = self.tile_raw(&t);
            let rt = self.ref_tile(&t, &raw);
            let rc: Vec<u32> = (0..t.elements() as usize)
                .map(|e| refimpl::code(&rt, e))
                .collect();
            let expected = refimpl::rle_encode(&rc, t.prec, t.rlerun);
            compare("st.rle", 1, &stream, &expected)?;
        }
        let len = stream.len() as u64;
        if !self.dram.in_range(addr, len) {
            return Err(self.oob("DMA write", addr, len));
        }
        self.dram.write(addr, &stream);
        self.dram_written(addr, len);
        self.set_reg(op.f[0], len as u32, c);
        c.mem = Some((addr, len as u32));
        self.account(
            pc,
            op,
            &Work::Dma(DmaWork {
                load: false,
                space: t.space,
                dram_bytes: len,
                spad_bytes: t.bytes(),
                elements: t.elements(),
                rle: true,
            }),
        );
        Ok(())
    }

    fn op_set_lut(&mut self, pc: u32, op: &Op, c: &mut Commit) -> Result<(), TrapKind> {
        let l = (op.imm & 3) as u8;
        let addr = self.reg(op.f[0]);
        let bits = (op.f[1] as u32).clamp(1, 8);
        let n = 1u64 << bits;
        if !self.dram.in_range(addr, n) {
            return Err(self.oob("LUT read", addr, n));
        }
        let bytes = self.dram.read_vec(addr, n as usize);
        let lut = &mut self.luts[l as usize];
        lut.entries = [0; 256];
        for (e, b) in lut.entries.iter_mut().zip(&bytes) {
            *e = *b as i8;
        }
        lut.len = n as u32;
        c.lut = Some(l);
        self.account(pc, op, &Work::Lut { bytes: n });
        Ok(())
    }

    fn check_operand_fmt(&self, i: u8, t: &Tile, activation: bool) -> Result<(), TrapKind> {
        match t.fmt {
            NumFmt::Log if activation => Err(TrapKind::FormatUnsupported(format!(
                "log-format activations (t{i}); log is a weight format"
            ))),
            NumFmt::Log if !(2..=5).contains(&t.prec) => Err(TrapKind::PrecisionRange {
                tile: i,
                fmt: t.fmt,
                prec: t.prec,
            }),
            NumFmt::Cluster if t.prec < 2 => Err(TrapKind::PrecisionRange {
                tile: i,
                fmt: t.fmt,
                prec: t.prec,
            }),
            _ => Ok(()),
        }
    }

    fn bad_code(&self, i: u8, t: &Tile, e: usize, code: u8, why: BadCode) -> TrapKind {
        match why {
            BadCode::Lut => TrapKind::LutIndex {
                tile: i,
                element: e as u64,
                code: code as u32,
                lut: t.lut,
                len: self.luts[(t.lut & 3) as usize].len,
            },
            BadCode::Cluster => {
                let m = code as u32 & ((1u32 << (t.prec - 1)) - 1);
                TrapKind::ClusterBits {
                    tile: i,
                    element: e as u64,
                    code: code as u32,
                    bits: m.count_ones(),
                    ck: self.csrs[csr::CK as usize],
                }
            }
        }
    }

    fn op_mac(&mut self, pc: u32, op: &Op, vector: bool, c: &mut Commit) -> Result<(), TrapKind> {
        let name = if vector { "vscale" } else { "bsmac" };
        let f = op.f;
        let (ic, iw, ia) = (f[0] & 15, f[1] & 15, f[2] & 15);
        let (tc, tw, ta) = (self.get_tile(ic)?, self.get_tile(iw)?, self.get_tile(ia)?);
        if tc.space != Space::Acc || tw.space != Space::Wsp || ta.space != Space::Asp {
            return Err(mismatch(format!(
                "{name} needs tacc in acc, tw in wsp, ta in asp; got {}, {}, {}",
                describe(ic, &tc),
                describe(iw, &tw),
                describe(ia, &ta)
            )));
        }
        let (m, k, n) = (tw.rows as usize, tw.cols as usize, ta.cols as usize);
        if ta.rows as usize != k || tc.rows as usize != m || tc.cols as usize != n {
            return Err(mismatch(format!(
                "{name}: acc {}x{} += W {}x{} * A {}x{} (need acc MxN, W MxK, A KxN)",
                tc.rows, tc.cols, tw.rows, tw.cols, ta.rows, ta.cols
            )));
        }
        let vlen = (self.csrs[csr::VLEN as usize] as usize).max(1);
        let nv = k.div_ceil(vlen);
        let scales = if vector {
            let (isw, isa) = (f[3] & 15, f[4] & 15);
            let (tsw, tsa) = (self.get_tile(isw)?, self.get_tile(isa)?);
            if tsw.space != Space::Wsp
                || tsa.space != Space::Asp
                || tsw.rows as usize != m
                || tsw.cols as usize != nv
                || tsa.rows as usize != nv
                || tsa.cols as usize != n
            {
                return Err(mismatch(format!(
                    "vscale scales: need tsw wsp {m}x{nv} and tsa asp {nv}x{n} (V = ceil({k}/vlen {vlen})); got {}, {}",
                    describe(isw, &tsw),
                    describe(isa, &tsa)
                )));
            }
            Some((tsw, tsa))
        } else {
            None
        };
        self.check_operand_fmt(iw, &tw, false)?;
        self.check_operand_fmt(ia, &ta, true)?;
        let slice = self.csrs[csr::SLICE as usize];
        if slice > 0 && ta.fmt != NumFmt::Uint {
            return Err(TrapKind::FormatUnsupported(format!(
                "bit-slice execution (slice = {slice}) needs uint activations; t{ia} is {}",
                ta.fmt
            )));
        }
        let ck = self.csrs[csr::CK as usize];
        let logbase = self.csrs[csr::LOGBASE as usize];
        let wcodes = self.codes_of(&tw);
        let acodes = self.codes_of(&ta);

        // Decode operands.
        let at = ValueTable::new(&ta, &self.luts[(ta.lut & 3) as usize], ck);
        let (weights, wzero) = if tw.fmt == NumFmt::Log {
            let lt = LogTable::new(tw.prec, logbase);
            let z = lt.zero;
            (Weights::Log(Box::new(lt)), z)
        } else {
            let vt = ValueTable::new(&tw, &self.luts[(tw.lut & 3) as usize], ck);
            if let Some((e, code, why)) = vt.first_bad(&wcodes, tw.fmt) {
                return Err(self.bad_code(iw, &tw, e, code, why));
            }
            let mut wv = Vec::new();
            vt.decode(&wcodes, &mut wv);
            (Weights::Lin(wv), vt.zero)
        };
        if let Some((e, code, why)) = at.first_bad(&acodes, ta.fmt) {
            return Err(self.bad_code(ia, &ta, e, code, why));
        }
        let mut avals16 = Vec::new();
        at.decode(&acodes, &mut avals16);
        let avals = if at.val.iter().all(|&v| i8::try_from(v).is_ok()) {
            AVals::I8(avals16.iter().map(|&v| v as i8).collect())
        } else {
            AVals::I16(avals16)
        };

        // Bit-slice plan: linear weights only (base-√2 log codes with q = 1 floor their half
        // step, so their products are not linear; those tiles use the direct path).
        let sfreq_csr = self.csrs[csr::SFREQ as usize];
        let mut r_used = sfreq_csr;
        let mut sliced = None;
        if slice > 0 {
            let r = if sfreq_csr == 255 {
                most_frequent_ho(&acodes, slice)
            } else {
                sfreq_csr
            };
            r_used = r;
            let wl: Option<Vec<i16>> = match &weights {
                Weights::Lin(wv) => Some(wv.clone()),
                Weights::Log(lt) => wcodes
                    .iter()
                    .map(|&c| lt.mult[c as usize].and_then(|v| i16::try_from(v).ok()))
                    .collect(),
            };
            if let Some(wl) = wl {
                let lo_mask = (1u32 << slice) - 1;
                let lo: Vec<i8> = acodes.iter().map(|&c| (c as u32 & lo_mask) as i8).collect();
                let ho_of = |c: u8| (c as u32 >> slice) as i32 - r as i32;
                let kept = acodes.iter().filter(|&&c| ho_of(c) != 0).count();
                let ho = if kept * 4 <= acodes.len() {
                    let mut idx = Vec::with_capacity(k + 1);
                    let mut ho = Vec::with_capacity(kept);
                    idx.push(0u32);
                    for kr in 0..k {
                        for (j, &code) in acodes[kr * n..(kr + 1) * n].iter().enumerate() {
                            if ho_of(code) != 0 {
                                ho.push((j as u32, ho_of(code)));
                            }
                        }
                        idx.push(ho.len() as u32);
                    }
                    HoSlices::Sparse { idx, ho }
                } else {
                    HoSlices::Dense(acodes.iter().map(|&c| ho_of(c) as i16).collect())
                };
                sliced = Some(Sliced {
                    s: slice,
                    r: r as i32,
                    zp: ta.zp as i32,
                    wl,
                    lo,
                    ho,
                });
            }
        }
        let plan = Plan {
            m,
            k,
            n,
            wcodes: &wcodes,
            weights,
            avals,
            sliced,
        };

        let acc_in = self.acc_of(&tc);
        let mut acc = acc_in.clone();
        let mut scale_codes = None;
        match &scales {
            None => plan.accumulate(0, k, &mut acc),
            Some((tsw, tsa)) => {
                let sw = self.codes_of(tsw);
                let sa = self.codes_of(tsa);
                let mut part = vec![0i32; m * n];
                for v in 0..nv {
                    part.fill(0);
                    plan.accumulate(v * vlen, ((v + 1) * vlen).min(k), &mut part);
                    for mi in 0..m {
                        let s_w = sw[mi * nv + v] as i32;
                        let orow = &mut acc[mi * n..(mi + 1) * n];
                        let prow = &part[mi * n..(mi + 1) * n];
                        let sarow = &sa[v * n..(v + 1) * n];
                        for ((o, &p), &s_a) in orow.iter_mut().zip(prow).zip(sarow) {
                            *o = o.wrapping_add((s_w * s_a as i32).wrapping_mul(p));
                        }
                    }
                }
                scale_codes = Some((sw, sa));
            }
        }
        drop(plan);

        if self.checked {
            let (bw, ba) = (self.tile_raw(&tw), self.tile_raw(&ta));
            let (rw, ra) = (self.ref_tile(&tw, &bw), self.ref_tile(&ta, &ba));
            let cfg = RefCfg { ck, logbase, vlen };
            let expected = match &scales {
                None => refimpl::bsmac(&rw, &ra, &acc_in, &cfg),
                Some((tsw, tsa)) => {
                    let (bsw, bsa) = (self.tile_raw(tsw), self.tile_raw(tsa));
                    let (rsw, rsa) = (self.ref_tile(tsw, &bsw), self.ref_tile(tsa, &bsa));
                    refimpl::vscale(&rw, &ra, &rsw, &rsa, &acc_in, &cfg)
                }
            };
            match expected {
                Ok(e) => compare(name, tc.cols, &acc, &e)?,
                Err(why) => {
                    return Err(TrapKind::FormatUnsupported(format!(
                        "checked mode: the reference rejects the operands ({why})"
                    )))
                }
            }
        }
        drop(scale_codes);

        self.store_acc(&tc, &acc);
        let mut tc2 = tc;
        tc2.nnz = None;
        self.set_tile(ic, tc2);
        c.tile = Some(ic);
        if self.timing.is_some() {
            let work = MacWork {
                m,
                k,
                n,
                w: &wcodes,
                a: &acodes,
                wprec: tw.prec,
                aprec: ta.prec,
                wfmt: tw.fmt,
                afmt: ta.fmt,
                wzero: &wzero,
                azero: &at.zero,
                serial: self.csrs[csr::SERIAL as usize],
                slice,
                sfreq: r_used,
                ck,
                vector_scaled: vector,
                vlen,
            };
            if let Some(t) = self.timing.as_mut() {
                t.account_ops(pc, op.op, &op.f, &Work::Mac(work));
            }
        }
        Ok(())
    }

    fn post_tiles(&self, op: &Op, name: &str) -> Result<(u8, Tile, Tile), TrapKind> {
        let (ia, ib) = (op.f[0] & 15, op.f[1] & 15);
        let (ta, tb) = (self.get_tile(ia)?, self.get_tile(ib)?);
        if !ta.is_acc() || !tb.is_acc() || tb.rows != ta.rows || tb.cols != 1 {
            return Err(mismatch(format!(
                "{name} needs an acc tile MxN and an acc tile Mx1; got {}, {}",
                describe(ia, &ta),
                describe(ib, &tb)
            )));
        }
        Ok((ia, ta, tb))
    }

    fn finish_post(&mut self, pc: u32, op: &Op, i: u8, t: Tile, c: &mut Commit) {
        let mut t = t;
        t.nnz = None;
        self.set_tile(i, t);
        c.tile = Some(i);
        self.account(
            pc,
            op,
            &Work::Post(PostWork {
                elements: t.elements(),
            }),
        );
    }

    fn op_bias(&mut self, pc: u32, op: &Op, c: &mut Commit) -> Result<(), TrapKind> {
        let sub = op.op == Opcode::Bcorr;
        let name = if sub { "bcorr" } else { "bias" };
        let (ia, ta, tb) = self.post_tiles(op, name)?;
        let acc = self.acc_of(&ta);
        let b = self.acc_of(&tb);
        let cols = ta.cols as usize;
        let out: Vec<i32> = acc
            .iter()
            .enumerate()
            .map(|(e, &x)| {
                let y = b[e / cols];
                if sub {
                    x.wrapping_sub(y)
                } else {
                    x.wrapping_add(y)
                }
            })
            .collect();
        if self.checked {
            let e = refimpl::bias(&acc, &b, ta.rows as usize, cols, sub);
            compare(name, ta.cols, &out, &e)?;
        }
        self.store_acc(&ta, &out);
        self.finish_post(pc, op, ia, ta, c);
        Ok(())
    }

    fn op_relu(&mut self, pc: u32, op: &Op, c: &mut Commit) -> Result<(), TrapKind> {
        let ia = op.f[0] & 15;
        let ta = self.get_tile(ia)?;
        if !ta.is_acc() {
            return Err(mismatch(format!(
                "relu needs an acc tile; got {}",
                describe(ia, &ta)
            )));
        }
        let acc = self.acc_of(&ta);
        let out: Vec<i32> = acc.iter().map(|&x| x.max(0)).collect();
        if self.checked {
            compare("relu", ta.cols, &out, &refimpl::relu(&acc))?;
        }
        self.store_acc(&ta, &out);
        self.finish_post(pc, op, ia, ta, c);
        Ok(())
    }

    fn op_rqnt(&mut self, pc: u32, op: &Op, c: &mut Commit) -> Result<(), TrapKind> {
        let (io, ia, im) = (op.f[0] & 15, op.f[1] & 15, op.f[2] & 15);
        let (to, ta, tm) = (self.get_tile(io)?, self.get_tile(ia)?, self.get_tile(im)?);
        if !ta.is_acc() || !tm.is_acc() || tm.rows != ta.rows || tm.cols != 1 {
            return Err(mismatch(format!(
                "rqnt needs tacc acc MxN and tm acc Mx1; got {}, {}",
                describe(ia, &ta),
                describe(im, &tm)
            )));
        }
        if to.is_acc() || to.rows != ta.rows || to.cols != ta.cols {
            return Err(mismatch(format!(
                "rqnt output must be a wsp/asp tile of the accumulator's shape {}x{}; got {}",
                ta.rows,
                ta.cols,
                describe(io, &to)
            )));
        }
        let uint = match to.fmt {
            NumFmt::Int => false,
            NumFmt::Uint => true,
            f => {
                return Err(TrapKind::FormatUnsupported(format!(
                    "rqnt into {f}-format tile t{io} (int or uint only)"
                )))
            }
        };
        let sh = self.csrs[csr::RSHIFT as usize].min(62);
        let rmode = self.csrs[csr::RMODE as usize];
        let relu = self.csrs[csr::RELU as usize] != 0;
        let p = to.prec;
        let (lo, hi) = if uint {
            (0i64, (1i64 << p) - 1)
        } else {
            (-(1i64 << (p - 1)), (1i64 << (p - 1)) - 1)
        };
        let zp = if uint { to.zp as i64 } else { 0 };
        let acc = self.acc_of(&ta);
        let mult = self.acc_of(&tm);
        let cols = ta.cols as usize;
        let mask = ((1u32 << p) - 1) as i64;
        let codes: Vec<u8> = acc
            .iter()
            .enumerate()
            .map(|(e, &x)| {
                let prod = x as i64 * mult[e / cols] as i64;
                let mut v = round_shift(prod, sh, rmode) + zp;
                if relu {
                    v = v.max(zp);
                }
                (v.clamp(lo, hi) & mask) as u8
            })
            .collect();
        if self.checked {
            let e = refimpl::rqnt(
                &acc,
                &mult,
                ta.rows as usize,
                cols,
                &refimpl::RqntCfg {
                    fmt: to.fmt as u32,
                    prec: p,
                    zp: to.zp as i64,
                    rshift: sh,
                    rmode,
                    relu,
                },
            );
            let got: Vec<u32> = codes.iter().map(|&x| x as u32).collect();
            compare("rqnt", ta.cols, &got, &e)?;
        }
        self.store_codes(&to, &codes);
        self.finish_post(pc, op, io, to, c);
        Ok(())
    }
}

/// `round_shift(p, sh)` of docs/ISA.md §7 (|p| < 2^62, so nothing overflows).
fn round_shift(p: i64, sh: u32, rmode: u32) -> i64 {
    if sh == 0 {
        return p;
    }
    match rmode {
        0 => (p + (1i64 << (sh - 1))) >> sh,
        1 => p >> sh,
        _ => {
            let q = p >> sh;
            let rem = p - (q << sh);
            let half = 1i64 << (sh - 1);
            if rem > half || (rem == half && q & 1 == 1) {
                q + 1
            } else {
                q
            }
        }
    }
}
