//! The post-processing unit: `bias`, `bcorr`, `relu`, `rqnt` (docs/ISA.md §7).

use bitloom_isa::csr;
use bitloom_isa::numfmt::NumFmt;
use bitloom_isa::Opcode;

use crate::machine::{Machine, Op, Tile};
use crate::reference::{self as refimpl};
use crate::trap::TrapKind;
use crate::work::{Commit, PostWork, Work};

use super::*;

impl Machine {
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
        self.set_tile(i, t, c);
        self.account(
            pc,
            op,
            &Work::Post(PostWork {
                elements: t.elements(),
                out_space: t.space,
                out_bytes: t.bytes(),
            }),
        );
    }

    #[inline(never)]
    pub(crate) fn op_bias(&mut self, pc: u32, op: &Op, c: &mut Commit) -> Result<(), TrapKind> {
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
        self.store_acc(&ta, &out, c);
        self.finish_post(pc, op, ia, ta, c);
        Ok(())
    }

    #[inline(never)]
    pub(crate) fn op_relu(&mut self, pc: u32, op: &Op, c: &mut Commit) -> Result<(), TrapKind> {
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
        self.store_acc(&ta, &out, c);
        self.finish_post(pc, op, ia, ta, c);
        Ok(())
    }

    #[inline(never)]
    pub(crate) fn op_rqnt(&mut self, pc: u32, op: &Op, c: &mut Commit) -> Result<(), TrapKind> {
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
        self.store_codes(&to, &codes, c);
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
