//! Read-only views of tiles for tools (debugger, dumps): codes and decoded values.

use bitloom_isa::csr;
use bitloom_isa::numfmt::NumFmt;

use crate::formats::{BadCode, LogTable, ValueTable};
use crate::machine::Machine;
use crate::trap::{Trap, TrapKind};

impl Machine {
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
}
