//! Lock-step synchronisation of the MAC array (docs/TIMING.md §4 "Lock-step"): the passes
//! of a PE block run in waves, one pass per lane group of every PE, each as long as its
//! slowest lane.

/// Lock-step state of one instruction (docs/TIMING.md §4 "Lock-step"): the running wave
/// maxima of the current PE block, and the total so far.
#[derive(Debug, Default)]
pub(super) struct Lockstep {
    /// Outputs per outer index (`v`) and lane groups per PE (`slots`).
    v: usize,
    slots: usize,
    /// Pass index within the current outer index.
    pass: usize,
    /// Per wave t and output j (`wj[t·v + j]`): the most expensive pass of output j in wave
    /// t over the block's outer indices so far.
    wj: Vec<u8>,
    /// Σ over waves of (max + overhead), and vector-scale cycles, in milli-cycles.
    pub(super) milli: u64,
}

impl Lockstep {
    /// Start a new instruction (keeps the buffers' capacity).
    pub(super) fn reset(&mut self) {
        self.wj.clear();
        self.pass = 0;
        self.milli = 0;
    }

    /// Begin the next outer index of the block (`v` outputs, `slots` lane groups per PE).
    pub(super) fn open(&mut self, v: usize, slots: usize) {
        self.v = v;
        self.slots = slots.max(1);
        self.pass = 0;
    }

    /// The next pass of the current outer index costs `vmax[j]` for output j: it runs in
    /// wave `pass / slots`.
    #[inline(always)]
    pub(super) fn record(&mut self, vmax: &[u8]) {
        let t = self.pass / self.slots;
        let end = (t + 1) * self.v;
        if self.wj.len() < end {
            self.wj.resize(end, 0);
        }
        for (w, &x) in self.wj[t * self.v..end].iter_mut().zip(vmax) {
            *w = (*w).max(x);
        }
        self.pass += 1;
    }

    /// Close the block: its outputs run as waves, one per PE (`inner_pe` consecutive outputs
    /// of one outer index each). A wave is `slots` consecutive passes of each PE's output, one
    /// per lane group; it lasts as long as its slowest lane, plus the pass overhead `ovh`, and
    /// is skipped when every lane costs 0. `copies`: identical blocks it stands for. `vs`:
    /// vector-scale milli-cycles per output.
    pub(super) fn close(&mut self, inner_pe: usize, ovh: u64, vs: u64, copies: u64) {
        let v = self.v.max(1);
        let nb = v.div_ceil(inner_pe);
        let waves: u64 = self
            .wj
            .chunks_exact(v)
            .flat_map(|row| row.chunks(inner_pe))
            .map(|blk| blk.iter().copied().max().unwrap_or(0))
            .filter(|&w| w > 0)
            .map(|w| w as u64 * 1000 + ovh)
            .sum();
        self.milli += copies * (waves + nb as u64 * vs / self.slots as u64);
        self.wj.clear();
    }
}
