//! Running many instructions: `run_fast` and `run_until` hand scalar runs and accelerator
//! instructions to the fast loop (`fast.rs`, `accel_step.rs`) and each instruction it bails
//! on to the general path, one at a time (`general_one`); with the general path only
//! ([`Machine::set_general_path_only`]) or a timeline the fast loop cannot record exactly,
//! everything runs there.

use super::*;

impl Machine {
    /// Run up to `max_steps` instructions without building commit records. Returns
    /// `Some(exit_code)` when `halt` retires, `None` when the budget runs out.
    pub fn run_fast(&mut self, max_steps: u64) -> Result<Option<u32>, Trap> {
        match self.run_inner::<false>(max_steps, None, true)? {
            FastStop::Halted(code) => Ok(Some(code)),
            _ => Ok(None),
        }
    }

    /// Like [`Machine::run_fast`], but stop before executing an address in `map` (built by
    /// [`Machine::break_map`] for this machine). With `resume`, the first instruction is
    /// executed even if it has a breakpoint (continuing from a breakpoint stop).
    pub fn run_until(
        &mut self,
        max_steps: u64,
        map: &BreakMap,
        resume: bool,
    ) -> Result<FastStop, Trap> {
        self.run_inner::<true>(max_steps, Some(map), resume)
    }

    #[inline(always)]
    fn run_inner<const BP: bool>(
        &mut self,
        max_steps: u64,
        map: Option<&BreakMap>,
        resume: bool,
    ) -> Result<FastStop, Trap> {
        let r = self.run_loops::<BP>(max_steps, map, resume);
        // Nobody outside a run sees a deferred non-zero count.
        if self.nnz_pending.any() {
            self.resolve_nnz(u16::MAX);
        }
        r
    }

    #[inline(always)]
    fn run_loops<const BP: bool>(
        &mut self,
        max_steps: u64,
        map: Option<&BreakMap>,
        resume: bool,
    ) -> Result<FastStop, Trap> {
        if let Some(code) = self.exit {
            return Err(self.trap_at(self.pc, TrapKind::Halted { code }));
        }
        let mut sink = Commit::default();
        // The fast loop accounts scalar work run by run; with a timeline, that is exact
        // when no scalar instruction takes zero cycles (`Timing::scalar_runs_exact`).
        if !self.general_only && self.timing.as_ref().is_none_or(|t| t.scalar_runs_exact()) {
            // Scalar runs and accelerator instructions go through the fast loop; whatever
            // it bails on runs here, one instruction at a time.
            let mut left = max_steps;
            let mut resume = resume;
            loop {
                let (done, exit) = self.fast_scalar::<BP>(left, map, resume, &mut sink);
                left -= done;
                match exit {
                    fast::FastExit::Budget => return Ok(FastStop::Budget),
                    fast::FastExit::Breakpoint(pc) => return Ok(FastStop::Breakpoint(pc)),
                    fast::FastExit::Trap(t) => return Err(t),
                    fast::FastExit::Bail => {}
                }
                // The fast loop checked the breakpoint at this pc (or was told to skip it).
                if let Some(stop) = self.general_one(&mut sink)? {
                    return Ok(stop);
                }
                left -= 1;
                resume = false;
                if left == 0 {
                    return Ok(FastStop::Budget);
                }
            }
        }
        for n in 0..max_steps {
            let pc = self.pc;
            let idx = pc.wrapping_sub(self.text_base).rotate_right(2) as usize;
            if BP && (n > 0 || !resume) {
                if let Some(map) = map {
                    if map.hit(idx, pc) {
                        return Ok(FastStop::Breakpoint(pc));
                    }
                }
            }
            let op = match self.ops.get(idx) {
                Some(Some(op)) => *op,
                _ => match self.fetch_slow(pc) {
                    Ok(op) => op,
                    Err(k) => return Err(self.trap_at(pc, k)),
                },
            };
            // Count the class before executing (no instruction reads the per-class counts,
            // and a trap takes the count back), so nothing of `op` is live after `exec`.
            let class = (op.class as usize).min(CLASSES.len() - 1);
            self.class_counts[class] += 1;
            match self.exec::<false>(pc, op, &mut sink) {
                Ok(Next::Pc(n)) => {
                    self.pc = n;
                    self.instret += 1;
                }
                Ok(Next::Halt(code)) => {
                    self.exit = Some(code);
                    self.instret += 1;
                    return Ok(FastStop::Halted(code));
                }
                Err(k) => {
                    self.class_counts[class] -= 1;
                    return Err(self.trap_at(pc, *k));
                }
            }
        }
        Ok(FastStop::Budget)
    }

    /// Execute the instruction at `pc` on the general path (no breakpoint check). Returns
    /// `Some(Halted)` when it was `halt`.
    fn general_one(&mut self, sink: &mut Commit) -> Result<Option<FastStop>, Trap> {
        let pc = self.pc;
        let op = match self.fetch(pc) {
            Ok(op) => op,
            Err(k) => return Err(self.trap_at(pc, k)),
        };
        match self.exec::<false>(pc, op, sink) {
            Ok(Next::Pc(n)) => {
                self.pc = n;
                self.retire(op.class);
                Ok(None)
            }
            Ok(Next::Halt(code)) => {
                self.exit = Some(code);
                self.retire(op.class);
                Ok(Some(FastStop::Halted(code)))
            }
            Err(k) => Err(self.trap_at(pc, *k)),
        }
    }
}
