//! The MAC array: `bsmac` and `vscale` (docs/ISA.md §6): operand checks and decoding, the
//! decoded operand plan (linear, log and bit-slice), the in-place fast path and the
//! checked-mode comparison. The GEMM kernels themselves are in `gemm`.

use bitloom_isa::csr;
use bitloom_isa::numfmt::NumFmt;
use bitloom_isa::Space;

use crate::formats::{BadCode, LogTable};
use crate::machine::{Machine, Op, Tile};
use crate::reference::{self as refimpl, RefCfg};
use crate::trap::TrapKind;
use crate::work::{Commit, MacWork, Work};

use super::*;

mod gemm;
#[cfg(target_arch = "x86_64")]
mod pairs;
#[cfg(target_arch = "x86_64")]
mod quads;

use gemm::{gemm_lin, gemm_log, lin_fixed, AccOut};
use std::ops::Range;

/// Weight operand of a MAC, decoded.
enum Weights<'a> {
    /// Linear values.
    Lin(&'a [i16]),
    /// Log codes with their shift recipe.
    Log(&'a LogTable),
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
enum AVals<'a> {
    I8(&'a [i8]),
    I16(&'a [i16]),
}

impl AVals<'_> {
    /// The values as the `vpmaddwd` kernel reads them.
    #[cfg(target_arch = "x86_64")]
    fn rows(&self) -> pairs::Rows<'_> {
        match self {
            AVals::I8(a) => pairs::Rows::I8(a),
            AVals::I16(a) => pairs::Rows::I16(a),
        }
    }
}

/// Everything a MAC needs, decoded once per instruction.
struct Plan<'a> {
    m: usize,
    k: usize,
    n: usize,
    wcodes: &'a [u8],
    weights: Weights<'a>,
    /// The linear weights as `i8` values, when they all fit (for the quad kernel).
    wq: Option<&'a [i8]>,
    avals: AVals<'a>,
    sliced: Option<Sliced>,
}

impl Plan<'_> {
    /// out[m][n] += Σ_{k in k0..k1} prod(w[m][k], a[k][n]) (wrapping).
    fn accumulate(&self, k0: usize, k1: usize, out: &mut [i32]) {
        let (m, kk, n) = (self.m, self.k, self.n);
        if let Some(sl) = &self.sliced {
            // Σ w·LO, straight into the accumulators.
            lin_product(&sl.wl, None, &AVals::I8(&sl.lo), out, (m, kk, n), k0..k1);
            // Σ_{HO≠r} w·(HO - r): only non-skipped slices contribute.
            let mut ho_acc = vec![0i32; m * n];
            match &sl.ho {
                HoSlices::Dense(d) => {
                    let d = &AVals::I16(d);
                    lin_product(&sl.wl, None, d, &mut ho_acc[..], (m, kk, n), k0..k1)
                }
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
            Weights::Lin(w) => lin_product(w, self.wq, &self.avals, out, (m, kk, n), k0..k1),
            Weights::Log(t) => match &self.avals {
                AVals::I8(a) => gemm_log(self.wcodes, t, a, out, m, kk, n, k0, k1),
                AVals::I16(a) => gemm_log(self.wcodes, t, a, out, m, kk, n, k0, k1),
            },
        }
    }
}

/// `out += w · a` over the reduction indices `ks` for linear weights `w` (M×K) and
/// activations `a` (K×N): the `vpmaddwd` kernel where it applies, the portable
/// register-blocked one otherwise. `wq`: the weights as `i8` values, when they all fit.
fn lin_product<O: AccOut + ?Sized>(
    w: &[i16],
    wq: Option<&[i8]>,
    a: &AVals<'_>,
    out: &mut O,
    (m, k, n): (usize, usize, usize),
    ks: Range<usize>,
) {
    #[cfg(target_arch = "x86_64")]
    if pairs::lin_pairs(w, wq, a.rows(), out, (m, k, n), ks.clone()) {
        return;
    }
    match a {
        AVals::I8(a) => gemm_lin(w, a, out, m, k, n, ks.start, ks.end),
        AVals::I16(a) => gemm_lin(w, a, out, m, k, n, ks.start, ks.end),
    }
}

/// The whole-k product of linear weights `w` (M×K) and activations `a` (K×N) added into
/// accumulator bytes in place: the `vpmaddwd` kernel for outputs a multiple of 8 wide on
/// x86-64 with AVX2; without it, the fixed-width portable kernel for 8- and 16-wide
/// outputs (the small tiles of tiled loops); the register-blocked kernel otherwise. The
/// caller has already tried the quad kernel (8-bit weights and activations).
fn accumulate_in_place(
    w: &[i16],
    w8: bool,
    a: &AVals<'_>,
    out: &mut [u8],
    (m, k, n): (usize, usize, usize),
) {
    #[cfg(target_arch = "x86_64")]
    {
        if pairs::lin_pairs(w, None, a.rows(), out, (m, k, n), 0..k) {
            return;
        }
    }
    // Weights and activations both within i8: products fit 16 bits.
    let fixed = match (a, n, w8) {
        (AVals::I8(a), 8, true) => lin_fixed::<i8, 8, true>(w, a, out, k),
        (AVals::I8(a), 16, true) => lin_fixed::<i8, 16, true>(w, a, out, k),
        (AVals::I8(a), 8, false) => lin_fixed::<i8, 8, false>(w, a, out, k),
        (AVals::I8(a), 16, false) => lin_fixed::<i8, 16, false>(w, a, out, k),
        (AVals::I16(a), 8, _) => lin_fixed::<i16, 8, false>(w, a, out, k),
        (AVals::I16(a), 16, _) => lin_fixed::<i16, 16, false>(w, a, out, k),
        _ => false,
    };
    if !fixed {
        match a {
            AVals::I8(a) => gemm_lin(w, a, out, m, k, n, 0, k),
            AVals::I16(a) => gemm_lin(w, a, out, m, k, n, 0, k),
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
                    bits: bitloom_isa::numfmt::naf_weight(m),
                    ck: self.csrs[csr::CK as usize],
                }
            }
        }
    }

    pub(crate) fn op_bsmac(&mut self, pc: u32, op: &Op, c: &mut Commit) -> Result<(), TrapKind> {
        self.op_mac(pc, op, false, c)
    }

    pub(crate) fn op_vscale(&mut self, pc: u32, op: &Op, c: &mut Commit) -> Result<(), TrapKind> {
        self.op_mac(pc, op, true, c)
    }

    /// `bsmac` / `vscale` with the machine's reused buffers (taken out for the duration, so
    /// the machine stays borrowable; put back on every path).
    fn op_mac(&mut self, pc: u32, op: &Op, vector: bool, c: &mut Commit) -> Result<(), TrapKind> {
        let mut b = self.bufs.take();
        let r = self.op_mac_with(pc, op, vector, c, &mut b);
        self.bufs.put(b);
        r
    }

    fn op_mac_with(
        &mut self,
        pc: u32,
        op: &Op,
        vector: bool,
        c: &mut Commit,
        b: &mut AccelBufs,
    ) -> Result<(), TrapKind> {
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
        // Vectors per row (vscale only; a division, so not computed for bsmac).
        let nv = if vector { k.div_ceil(vlen) } else { 0 };
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
        // 8-bit codes inside one page are read where they lie; others are unpacked.
        let wcodes = codes_ref(&self.wsp, &tw, &mut b.raw, &mut b.wcodes);
        let acodes = codes_ref(&self.asp, &ta, &mut b.raw, &mut b.acodes);

        // Decode operands (tables borrowed from the cache: no reference count touched).
        let ai = self
            .tables
            .value_index(&ta, &self.luts[(ta.lut & 3) as usize], ck, None);
        let wi = if tw.fmt == NumFmt::Log {
            Err(self.tables.log_index(tw.prec, logbase))
        } else {
            Ok(self
                .tables
                .value_index(&tw, &self.luts[(tw.lut & 3) as usize], ck, Some(ai)))
        };
        // Hand the instruction to the timing model (a macro, not a method: the operand
        // codes may borrow the scratchpads while the timing model is borrowed mutably).
        macro_rules! account {
            ($sfreq:expr) => {{
                let ctx = MacCtx {
                    pc,
                    op,
                    timing: self.timing.as_mut(),
                    tables: &self.tables,
                    serial: self.csrs[csr::SERIAL as usize],
                };
                let sfreq = $sfreq;
                mac_account(
                    ctx,
                    &tw,
                    &ta,
                    wcodes,
                    acodes,
                    (wi, ai),
                    (slice, sfreq, ck, vector, vlen),
                );
            }};
        }
        let tables = &self.tables;
        let at = tables.value_at(ai);
        // The weights' value table (`None` for log weights), checked before the
        // activations (the order the traps are reported in).
        let wtable = wi
            .map(|vi| tables.value_at(vi))
            .map_err(|li| tables.log_at(li));
        let wvt = wtable.ok();
        if let Some((e, code, why)) = wvt.and_then(|vt| vt.first_bad(wcodes, tw.fmt)) {
            return Err(self.bad_code(iw, &tw, e, code, why));
        }
        // Every weight value within i8 (with i8 activations, products fit 16 bits).
        let w8 = wvt.is_some_and(|vt| vt.fits_i8());
        if let Some((e, code, why)) = at.first_bad(acodes, ta.fmt) {
            return Err(self.bad_code(ia, &ta, e, code, why));
        }
        let avals = if at.is_identity_i8() {
            // Signed 8-bit codes are their values: read in place, not copied.
            AVals::I8(bytemuck::cast_slice(acodes))
        } else if at.fits_i8() {
            at.decode_i8(acodes, &mut b.a8);
            AVals::I8(&b.a8[..])
        } else {
            at.decode(acodes, &mut b.a16);
            AVals::I16(&b.a16[..])
        };
        // The weights as `i8` values too, for the quad kernel (8-bit weights and
        // activations, outputs a multiple of 8 wide): in place when the codes are their
        // values.
        let wq: Option<&[i8]> = match (wvt, &avals) {
            (Some(vt), AVals::I8(_)) if w8 && n.is_multiple_of(8) => Some(if vt.is_identity_i8() {
                bytemuck::cast_slice(wcodes)
            } else {
                vt.decode_i8(wcodes, &mut b.w8);
                &b.w8[..]
            }),
            _ => None,
        };
        // The plain case adds straight into the accumulator tile's scratchpad bytes when
        // they lie in one written page and nothing needs the old values (no checked-mode
        // comparison, no change record); otherwise values are copied in and out.
        let in_place = slice == 0 && !vector && !self.checked && !c.recording;
        if let (true, Ok(vt)) = (in_place, wtable) {
            if let Some(out) = self.acc.slice_mut(tc.base, tc.bytes()) {
                // The quad kernel needs no 16-bit weights: tried before they are decoded.
                #[cfg(target_arch = "x86_64")]
                let done = match (wq, &avals) {
                    (Some(wq), AVals::I8(a8)) => quads::lin_quads(wq, a8, out, (m, k, n), 0..k),
                    _ => false,
                };
                #[cfg(not(target_arch = "x86_64"))]
                let done = false;
                if !done {
                    vt.decode(wcodes, &mut b.wvals);
                    accumulate_in_place(&b.wvals, w8, &avals, out, (m, k, n));
                }
                account!(self.csrs[csr::SFREQ as usize]);
                self.set_tile_state(ic, tc.storage, None, c);
                return Ok(());
            }
        }
        let weights = match wtable {
            Ok(vt) => {
                vt.decode(wcodes, &mut b.wvals);
                Weights::Lin(&b.wvals[..])
            }
            Err(lt) => Weights::Log(lt),
        };

        // Bit-slice plan: linear weights only (base-√2 log codes with q = 1 floor their half
        // step, so their products are not linear; those tiles use the direct path).
        let sfreq_csr = self.csrs[csr::SFREQ as usize];
        let mut r_used = sfreq_csr;
        let mut sliced = None;
        if slice > 0 {
            let r = if sfreq_csr == 255 {
                most_frequent_ho(acodes, slice)
            } else {
                sfreq_csr
            };
            r_used = r;
            let wl: Option<Vec<i16>> = match &weights {
                Weights::Lin(wv) => Some(wv.to_vec()),
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
            wcodes,
            weights,
            wq,
            avals,
            sliced,
        };

        // Otherwise values are copied in and out.
        self.acc_into(&tc, &mut b.raw, &mut b.acc);
        let acc = &mut b.acc;
        if self.checked {
            b.acc_in.clone_from(acc);
        }
        let mut scale_codes = None;
        match &scales {
            None => plan.accumulate(0, k, acc),
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
                None => refimpl::bsmac(&rw, &ra, &b.acc_in, &cfg),
                Some((tsw, tsa)) => {
                    let (bsw, bsa) = (self.tile_raw(tsw), self.tile_raw(tsa));
                    let (rsw, rsa) = (self.ref_tile(tsw, &bsw), self.ref_tile(tsa, &bsa));
                    refimpl::vscale(&rw, &ra, &rsw, &rsa, &b.acc_in, &cfg)
                }
            };
            match expected {
                Ok(e) => compare(name, tc.cols, acc, &e)?,
                Err(why) => {
                    return Err(TrapKind::FormatUnsupported(format!(
                        "checked mode: the reference rejects the operands ({why})"
                    )))
                }
            }
        }
        drop(scale_codes);

        account!(r_used);
        self.store_acc_with(&tc, &b.acc, &mut b.raw, c);
        self.set_tile_state(ic, tc.storage, None, c);
        Ok(())
    }
}

/// What [`mac_account`] needs of the machine (borrowed field by field, so the operand
/// codes may stay borrowed from the scratchpads).
struct MacCtx<'a> {
    pc: u32,
    op: &'a Op,
    timing: Option<&'a mut crate::timing::Timing>,
    tables: &'a crate::formats::TableCache,
    serial: u32,
}

/// Hand a MAC's work to the timing model (when it runs). `tables` are the weight (value or
/// log) and activation table indices; `cfg` is (slice, sfreq used, ck, vector-scaled,
/// vlen).
fn mac_account(
    ctx: MacCtx<'_>,
    tw: &Tile,
    ta: &Tile,
    wcodes: &[u8],
    acodes: &[u8],
    tables: (Result<usize, usize>, usize),
    cfg: (u32, u32, u32, bool, usize),
) {
    let Some(t) = ctx.timing else {
        return;
    };
    let (wi, ai) = tables;
    let (slice, sfreq, ck, vector_scaled, vlen) = cfg;
    let tables = ctx.tables;
    let wzero = match wi {
        Err(li) => &tables.log_at(li).zero,
        Ok(vi) => &tables.value_at(vi).zero,
    };
    let work = MacWork {
        m: tw.rows as usize,
        k: tw.cols as usize,
        n: ta.cols as usize,
        w: wcodes,
        a: acodes,
        wprec: tw.prec,
        aprec: ta.prec,
        wfmt: tw.fmt,
        afmt: ta.fmt,
        wzero,
        azero: &tables.value_at(ai).zero,
        serial: ctx.serial,
        slice,
        sfreq,
        ck,
        vector_scaled,
        vlen,
    };
    t.account_ops(ctx.pc, ctx.op.op, &ctx.op.f, &Work::Mac(work));
}

/// The codes of a code tile in `mem`: borrowed from its page when 8-bit and inside one
/// written page, else read (and unpacked) into `out` (`raw` is scratch).
fn codes_ref<'a>(mem: &'a PagedMem, t: &Tile, raw: &mut Vec<u8>, out: &'a mut Vec<u8>) -> &'a [u8] {
    if t.prec == 8 {
        if let Some(s) = mem.slice(t.base, t.bytes()) {
            return s;
        }
        mem.read_to(t.base, t.bytes() as usize, out);
        return out;
    }
    mem.read_to(t.base, t.bytes() as usize, raw);
    // The raw bytes are exactly packed_len long, so unpacking cannot fail.
    numfmt::unpack_into(raw, t.prec, t.elements() as usize, out);
    out
}
