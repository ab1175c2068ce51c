//! Deferred non-zero counts of raw-loaded tiles (host speed only).
//!
//! `ld.raw` sets the tile's `nnz` to the number of non-zero elements it loaded. Nothing the
//! machine executes reads that field (`dchk` counts afresh; the MAC array and the timing
//! model look at the codes) — only tools do, between runs. So while `run_fast`/`run_until`
//! run without change records or checked mode, a plain `ld.raw` from inside one DRAM page
//! only marks the tile *pending* (a bit in `Machine::nnz_pending`) and the count is made
//! later from the scratchpad, when the bytes could stop being the loaded ones or someone
//! could look:
//!
//! - before an instruction writes a scratchpad, for every pending tile in that space —
//!   `ld.raw` for the other tiles of its space, `tzero` and `ld.rle` for those of their
//!   tile's space, the MAC and post-processing instructions for accumulator tiles, `rqnt`
//!   for all (`tdef`, `dchk`, `st.raw`, `st.rle` and `set.lut` write no scratchpad);
//! - when the run returns, for every pending tile (so a caller, a snapshot or a change
//!   record never sees a pending one).
//!
//! A descriptor written through `set_tile`/`set_tile_state` takes its new `nnz` and is no
//! longer pending. The bytes of a pending tile are therefore exactly the ones it loaded
//! when it is counted, and its descriptor unchanged: the count is the one `ld.raw` would
//! have made. Tile loads in a small-tile GEMM loop overwrite their own tile step after step,
//! so most counts are never made. `emu/tests/fast_accel.rs` compares every tile's `nnz`
//! against stepping with change records and against checked mode, which count eagerly.

use bitloom_isa::{Opcode, Space};

use super::accel_step::accel_spec;
use super::Machine;

/// The pending tiles, one bit per tile register, by the space of the tile's descriptor
/// (which cannot change while it is pending: a new descriptor ends it).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Pending([u16; 3]);

impl Pending {
    /// Whether any tile is pending.
    #[inline]
    pub(crate) fn any(&self) -> bool {
        (self.0[0] | self.0[1] | self.0[2]) != 0
    }

    /// The pending tiles in `space`.
    #[inline]
    pub(crate) fn in_space(&self, space: Space) -> u16 {
        self.0[space as usize]
    }

    /// Tile `i` (in `space`) is now pending.
    #[inline]
    pub(crate) fn mark(&mut self, i: u8, space: Space) {
        self.0[space as usize] |= 1 << (i & 15);
    }

    /// Tile `i` is not pending (any more).
    #[inline]
    pub(crate) fn clear(&mut self, i: u8) {
        let bit = !(1u16 << (i & 15));
        for m in &mut self.0 {
            *m &= bit;
        }
    }
}

impl Machine {
    /// Count the tiles of `mask` that are pending and store their `nnz`.
    #[cold]
    pub(crate) fn resolve_nnz(&mut self, mask: u16) {
        for i in 0..16u8 {
            if mask & (1 << i) == 0 || !self.nnz_pending.0.iter().any(|m| m & (1 << i) != 0) {
                continue;
            }
            if let Some(t) = self.tiles[i as usize] {
                let raw = self.tile_raw(&t);
                let n = self.nnz_plain(&t, &raw);
                if let Some(slot) = self.tiles[i as usize].as_mut() {
                    slot.nnz = Some(n);
                }
            }
            self.nnz_pending.clear(i);
        }
    }

    /// Before accelerator instruction `op` (operand fields `f`) runs: count the pending
    /// tiles whose bytes it could write (`ld.raw` sees to its own space itself).
    #[inline(always)]
    pub(super) fn settle_nnz_before(&mut self, op: Opcode, f: &[u8; 5]) {
        if !self.nnz_pending.any() {
            return;
        }
        let mask = match writes(op) {
            Writes::Nothing => return,
            Writes::Acc => self.nnz_pending.in_space(Space::Acc),
            // The space of its first operand's tile (if undefined, the instruction traps
            // before writing anything).
            Writes::Tile => match self.tiles[(f[0] & 15) as usize] {
                Some(t) => self.nnz_pending.in_space(t.space),
                None => return,
            },
            Writes::Any => u16::MAX,
        };
        if mask != 0 {
            self.resolve_nnz(mask);
        }
    }
}

/// Which scratchpad bytes an instruction may write.
#[derive(Clone, Copy)]
pub(super) enum Writes {
    /// None (scalar, CSR and system instructions; tile bookkeeping, stores to DRAM and
    /// LUT programming) — or, for `ld.raw`, none that it does not see to itself.
    Nothing,
    /// The accumulator scratchpad only.
    Acc,
    /// Only the scratchpad of the tile in its first operand.
    Tile,
    /// Any scratchpad.
    Any,
}

/// What `op` may write ([`accel_spec`]; scalar instructions write no scratchpad).
#[inline(always)]
fn writes(op: Opcode) -> Writes {
    accel_spec(op).map_or(Writes::Nothing, |(_, w)| w)
}
