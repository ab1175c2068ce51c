//! Cycle-level timing model (docs/TIMING.md): a busy-until scoreboard of the scalar core, the
//! DMA engine, the MAC array and the post-processing unit, fed one retired instruction at a
//! time with the [`Work`] record the functional core produced.
//!
//! The scalar core issues in order. Scalar instructions occupy it for their class latency
//! (plus a taken-branch penalty). An accelerator instruction costs the core `accel_issue`
//! cycles and then runs on its unit from max(issue, unit free, ready time of the tiles it
//! reads, end of pending reads/writes of the tile it writes); a unit's command queue holds
//! `queue_depth` commands, beyond which the core stalls. `sync` and `halt` drain every unit.
//! Instructions whose result the core needs (`dchk`, `tzero`, `st.rle`) block it.
//!
//! Costs follow the mechanisms and are computed from the actual codes (see [`mac`]).

pub mod mac;
mod timeline;

use bitloom_isa::table::def;
use bitloom_isa::{Class, Opcode, OperandKind, Space};

use std::sync::Arc;

use crate::hw::HwConfig;
use crate::work::{DmaWork, MacWork, Work};
use timeline::Timeline;

pub use mac::{eff_bits, MacCost};

/// A unit of the machine, in timeline/statistics order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Unit {
    /// The in-order scalar control core.
    Scalar = 0,
    /// DMA engine (with the RLE codec) between DRAM and the scratchpads.
    Dma = 1,
    /// MAC array.
    Mac = 2,
    /// Post-processing unit.
    Post = 3,
}

impl Unit {
    /// All units.
    pub const ALL: [Unit; 4] = [Unit::Scalar, Unit::Dma, Unit::Mac, Unit::Post];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Scalar => "scalar",
            Unit::Dma => "dma",
            Unit::Mac => "mac",
            Unit::Post => "post",
        }
    }
}

/// One interval of a unit's activity, for the timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineEvent {
    /// Unit.
    pub unit: Unit,
    /// Mnemonic, or `scalar` for a run of scalar instructions, `stall` for a core stall.
    pub name: &'static str,
    /// Address of the (first) instruction.
    pub pc: u32,
    /// Start cycle.
    pub start: u64,
    /// Duration in cycles.
    pub dur: u64,
}

/// Raw event counters accumulated by the model; [`crate::stats::Stats`] derives rates,
/// utilisation, TOPS and energy from them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Busy cycles per unit, indexed by `Unit as usize`.
    pub unit_busy: [u64; 4],
    /// Instructions per class, indexed by `Class as usize`.
    pub class_count: [u64; 12],
    /// Cycles per class: scalar-core cycles for scalar classes, unit busy cycles for
    /// accelerator classes (issue cycles are scalar busy time, not class time).
    pub class_cycles: [u64; 12],
    /// Core stall cycles waiting for a full command queue.
    pub stall_queue: u64,
    /// Core stall cycles waiting for a result (`dchk`, `tzero`, `st.rle`) or its operands.
    pub stall_wait: u64,
    /// Core stall cycles draining the units at `sync`/`halt`.
    pub stall_sync: u64,
    /// GEMM products of all MAC instructions (M·N·K).
    pub macs: u64,
    /// Products computed.
    pub macs_done: u64,
    /// Products skipped because an operand value is zero.
    pub skip_zero_value: u64,
    /// HO slice products skipped as zero slices.
    pub skip_zero_slice: u64,
    /// HO slice products skipped as compressed (frequent, r ≠ 0) slices.
    pub skip_compressed_slice: u64,
    /// Lane bit-cycles skipped as ineffectual bits (zero bits, cluster encoding).
    pub skip_ineffectual_bits: u64,
    /// Effectual lane bit-cycles.
    pub lane_bits: u64,
    /// Lane cycles allocated to passes (group × pass maximum).
    pub lane_alloc: u64,
    /// Bit-serial passes.
    pub passes: u64,
    /// MAC cycles lost to lock-step synchronisation (docs/TIMING.md §4).
    pub lockstep_idle: u64,
    /// Bytes read from DRAM by the DMA and `set.lut`.
    pub dram_read: u64,
    /// Bytes written to DRAM by the DMA.
    pub dram_written: u64,
    /// Bytes read per scratchpad (`Space as usize`).
    pub spad_read: [u64; 3],
    /// Bytes written per scratchpad (`Space as usize`).
    pub spad_written: [u64; 3],
    /// Elements through the RLE decoder/encoder.
    pub rle_elements: u64,
    /// Elements handled by the post-processing unit.
    pub post_elements: u64,
    /// Elements zeroed or density-checked.
    pub tile_elements: u64,
    /// Instructions accounted.
    pub instructions: u64,
}

/// Tiles an instruction reads and writes, as 16-bit masks over t0..t15.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Deps {
    reads: u16,
    writes: u16,
}

impl Deps {
    const ALL: Deps = Deps {
        reads: u16::MAX,
        writes: u16::MAX,
    };

    /// Tile operands of `op` from its operand fields in assembly order (immediates and
    /// PC-relative offsets excluded, as in the functional core's predecoded form), read or
    /// written as the instruction table's operand roles say.
    fn of(op: Opcode, fields: &[u8; 5]) -> Deps {
        let mut d = Deps {
            reads: 0,
            writes: 0,
        };
        let mut fi = 0;
        for spec in def(op).operands {
            match spec.kind {
                OperandKind::Imm { .. } | OperandKind::PcRel { .. } => continue,
                OperandKind::Tile => {
                    let bit = 1u16 << (fields.get(fi).copied().unwrap_or(0) & 15);
                    if spec.role.reads() {
                        d.reads |= bit;
                    }
                    if spec.role.writes() {
                        d.writes |= bit;
                    }
                }
                _ => {}
            }
            fi += 1;
        }
        d
    }
}

/// Per-unit busy-until timing model.
#[derive(Clone, Debug)]
pub struct Timing {
    hw: Arc<HwConfig>,
    now: u64,
    unit_free: [u64; 4],
    tile_ready: [u64; 16],
    tile_read_done: [u64; 16],
    lut_ready: u64,
    queue: [[u64; 64]; 4],
    queued: [u64; 4],
    counters: Counters,
    last_mac: MacCost,
    timeline: Option<Timeline>,
    timeline_limit: usize,
    timeline_dropped: u64,
    scratch: mac::MacScratch,
    mac_detail: bool,
    /// [`Timing::scalar_latency`] of every class, by class index (the hardware description
    /// is fixed for the model's life), for [`Timing::account_scalar_run`].
    class_latency: [u64; 12],
}

/// Cycles the core spends on a scalar instruction of `class` under `hw` (no taken
/// penalty).
fn scalar_latency(hw: &HwConfig, class: Class) -> u64 {
    let s = &hw.scalar;
    (match class {
        Class::Alu => s.alu,
        Class::MulDiv => s.muldiv,
        Class::Load => s.load,
        Class::Store => s.store,
        Class::Branch => s.branch,
        Class::Jump => s.jump,
        Class::Config => s.config,
        Class::System => s.system,
        Class::Tile => s.tile,
        Class::Dma | Class::Mac | Class::Post => s.accel_issue,
    }) as u64
}

fn class_index(c: Class) -> usize {
    c as usize
}

impl Timing {
    /// A model for the given hardware.
    pub fn new(hw: &HwConfig) -> Timing {
        Timing::shared(Arc::new(hw.clone()))
    }

    /// A model sharing an existing hardware description (no copy).
    pub fn shared(hw: Arc<HwConfig>) -> Timing {
        let class_latency = Class::ALL.map(|c| scalar_latency(&hw, c));
        Timing {
            class_latency,
            hw,
            now: 0,
            unit_free: [0; 4],
            tile_ready: [0; 16],
            tile_read_done: [0; 16],
            lut_ready: 0,
            queue: [[0; 64]; 4],
            queued: [0; 4],
            counters: Counters::default(),
            last_mac: MacCost::default(),
            timeline: None,
            timeline_limit: 0,
            timeline_dropped: 0,
            scratch: mac::MacScratch::default(),
            mac_detail: false,
        }
    }

    /// The hardware description this model uses.
    pub fn hw(&self) -> &HwConfig {
        &self.hw
    }

    /// Current cycle of the scalar core (what the `cycle` CSR reads).
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Cycle at which every unit is idle (≥ [`Timing::now`]).
    pub fn drained(&self) -> u64 {
        self.unit_free.iter().copied().fold(self.now, u64::max)
    }

    /// Raw counters so far.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Cost breakdown of the most recent MAC instruction.
    pub fn last_mac(&self) -> &MacCost {
        &self.last_mac
    }

    /// Start recording a timeline of at most `limit` events (later ones are counted as
    /// dropped).
    pub fn enable_timeline(&mut self, limit: usize) {
        self.timeline = Some(Timeline::default());
        self.timeline_limit = limit;
    }

    /// The recorded timeline (empty when not enabled).
    pub fn timeline(&self) -> Vec<TimelineEvent> {
        self.timeline
            .as_ref()
            .map(Timeline::to_vec)
            .unwrap_or_default()
    }

    /// The last `n` recorded timeline events, oldest first.
    pub fn timeline_tail(&self, n: usize) -> Vec<TimelineEvent> {
        let Some(t) = self.timeline.as_ref() else {
            return Vec::new();
        };
        let mut v: Vec<TimelineEvent> = t.iter().rev().take(n).cloned().collect();
        v.reverse();
        v
    }

    /// Host bytes a clone of this model allocates (the struct and the timeline's chunk
    /// list; chunks are shared).
    pub fn clone_bytes(&self) -> usize {
        std::mem::size_of::<Timing>() + self.timeline.as_ref().map_or(0, |t| t.clone_bytes())
    }

    /// Also record each MAC's passes by cost ([`mac::MacCost::pass_hist`], for the
    /// debugger's `info mac`); costs a little speed, changes no result.
    pub fn set_mac_detail(&mut self, on: bool) {
        self.mac_detail = on;
    }

    /// Whether a timeline is being recorded.
    pub fn timeline_enabled(&self) -> bool {
        self.timeline.is_some()
    }

    /// Events not recorded because the timeline was full.
    pub fn timeline_dropped(&self) -> u64 {
        self.timeline_dropped
    }

    /// Take the recorded timeline, leaving recording enabled with an empty buffer.
    pub fn take_timeline(&mut self) -> Vec<TimelineEvent> {
        match self.timeline.as_mut() {
            Some(t) => std::mem::take(t).to_vec(),
            None => Vec::new(),
        }
    }

    /// Account one retired instruction when its tile operands are not known: accelerator
    /// instructions then conservatively depend on every tile (they serialise with each
    /// other but still overlap the scalar core). Prefer [`Timing::account_ops`].
    pub fn account(&mut self, pc: u32, op: Opcode, work: &Work<'_>) {
        self.account_deps(pc, op, Deps::ALL, work);
    }

    /// Account one retired instruction with its operand fields in assembly order, immediates
    /// and PC-relative offsets left out (the functional core's predecoded `Op::f`): tile
    /// dependencies are then tracked exactly per tile register.
    pub fn account_ops(&mut self, pc: u32, op: Opcode, fields: &[u8; 5], work: &Work<'_>) {
        self.account_deps(pc, op, Deps::of(op, fields), work);
    }

    fn account_deps(&mut self, pc: u32, op: Opcode, deps: Deps, work: &Work<'_>) {
        let class = def(op).class;
        self.counters.instructions += 1;
        self.counters.class_count[class_index(class)] += 1;
        match *work {
            Work::Scalar { class: wc, taken } => self.scalar(pc, op, wc, taken),
            Work::Sync => {
                self.drain(pc);
                self.scalar_busy(pc, class, self.hw.scalar.system as u64);
            }
            Work::Tile { elements } => self.tile(pc, op, class, deps, elements),
            Work::Dma(d) => self.dma(pc, op, class, deps, &d),
            Work::Lut { bytes } => {
                let dur = self.hw.mem.dram_latency as u64
                    + bytes.div_ceil(self.hw.mem.dram_bytes_per_cycle as u64);
                self.counters.dram_read += bytes;
                // The LUT may be in use by queued MACs: wait for the array to finish.
                let mac_free = self.unit_free[Unit::Mac as usize];
                let (_, end) = self.issue(pc, op, class, Unit::Dma, deps_none(), dur, mac_free);
                self.lut_ready = self.lut_ready.max(end);
            }
            Work::Mac(ref m) => self.mac(pc, op, class, deps, m),
            Work::Post(p) => {
                let dur = self.hw.post.latency as u64
                    + p.elements.div_ceil(self.hw.post.elems_per_cycle as u64);
                self.counters.post_elements += p.elements;
                self.counters.spad_read[Space::Acc as usize] += 4 * p.elements;
                self.counters.spad_written[p.out_space as usize] += p.out_bytes;
                self.issue(pc, op, class, Unit::Post, deps, dur, 0);
            }
        }
    }

    /// Account a run of scalar instructions retired back to back, none of them `halt`:
    /// `counts[c]` instructions of class `c` (`Class as usize`), `taken[c]` of which took a
    /// branch or jump; `first_pc` is the address of the first. Exactly what
    /// [`Timing::account`] does for each of them — scalar accounting only adds to the clock
    /// and counters, with no interaction with the units — and, with a timeline, the one
    /// scalar event their per-instruction intervals coalesce into. That needs every one of
    /// them to take at least a cycle ([`Timing::scalar_runs_exact`]); a zero-cycle
    /// instruction records nothing, so the event would start at a later address.
    pub fn account_scalar_run(&mut self, counts: &[u64; 12], taken: &[u64; 12], first_pc: u32) {
        let penalty = self.hw.scalar.taken_penalty as u64;
        let start = self.now;
        let mut n_all = 0;
        for (i, &n) in counts.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let cycles = n * self.class_latency[i] + taken[i] * penalty;
            n_all += n;
            self.counters.instructions += n;
            self.counters.class_count[i] += n;
            self.now += cycles;
            self.counters.unit_busy[Unit::Scalar as usize] += cycles;
            self.counters.class_cycles[i] += cycles;
        }
        if self.timeline.is_some() {
            debug_assert!(self.scalar_runs_exact());
            self.record_n(
                Unit::Scalar,
                "scalar",
                first_pc,
                start,
                self.now - start,
                n_all,
            );
        }
    }

    /// Whether [`Timing::account_scalar_run`] records what per-instruction accounting would:
    /// always without a timeline; with one, when every class the fast loop runs (ALU,
    /// multiply/divide, loads, stores, branches, jumps) takes at least a cycle.
    pub fn scalar_runs_exact(&self) -> bool {
        self.timeline.is_none()
            || [
                Class::Alu,
                Class::MulDiv,
                Class::Load,
                Class::Store,
                Class::Branch,
                Class::Jump,
            ]
            .iter()
            .all(|&c| self.scalar_latency(c) > 0)
    }

    /// Cycles the core spends on a scalar instruction of `class` (no taken penalty).
    fn scalar_latency(&self, class: Class) -> u64 {
        self.class_latency[class_index(class)]
    }

    fn scalar(&mut self, pc: u32, op: Opcode, class: Class, taken: bool) {
        let s = &self.hw.scalar;
        let mut lat = self.scalar_latency(class);
        if taken {
            lat += s.taken_penalty as u64;
        }
        if op == Opcode::Halt {
            self.drain(pc);
        }
        self.scalar_busy(pc, class, lat);
    }

    /// The core is busy for `lat` cycles on a scalar instruction.
    fn scalar_busy(&mut self, pc: u32, class: Class, lat: u64) {
        let start = self.now;
        self.now += lat;
        self.counters.unit_busy[Unit::Scalar as usize] += lat;
        self.counters.class_cycles[class_index(class)] += lat;
        self.record(Unit::Scalar, "scalar", pc, start, lat);
    }

    /// Stall the core until every unit is idle.
    fn drain(&mut self, pc: u32) {
        let t = self.drained();
        if t > self.now {
            self.record(Unit::Scalar, "stall", pc, self.now, t - self.now);
            self.counters.stall_sync += t - self.now;
            self.now = t;
        }
    }

    /// Earliest start for an operation with `deps` (reads ready, writes free of readers).
    fn deps_ready(&self, deps: Deps) -> u64 {
        let mut t = 0;
        let mut r = deps.reads;
        while r != 0 {
            let i = r.trailing_zeros() as usize;
            r &= r - 1;
            t = t.max(self.tile_ready[i]);
        }
        let mut w = deps.writes;
        while w != 0 {
            let i = w.trailing_zeros() as usize;
            w &= w - 1;
            t = t.max(self.tile_ready[i]).max(self.tile_read_done[i]);
        }
        t
    }

    fn deps_done(&mut self, deps: Deps, end: u64) {
        let mut r = deps.reads;
        while r != 0 {
            let i = r.trailing_zeros() as usize;
            r &= r - 1;
            self.tile_read_done[i] = self.tile_read_done[i].max(end);
        }
        let mut w = deps.writes;
        while w != 0 {
            let i = w.trailing_zeros() as usize;
            w &= w - 1;
            self.tile_ready[i] = end;
        }
    }

    /// Issue a command to an asynchronous unit; returns its (start, end).
    #[allow(clippy::too_many_arguments)]
    fn issue(
        &mut self,
        pc: u32,
        op: Opcode,
        class: Class,
        unit: Unit,
        deps: Deps,
        dur: u64,
        extra_ready: u64,
    ) -> (u64, u64) {
        let u = unit as usize;
        let depth = self.hw.scalar.queue_depth.clamp(1, 64) as u64;
        let slot = (self.queued[u] % depth) as usize;
        // The slot frees when the command issued `depth` commands ago has started.
        let slot_free = if self.queued[u] >= depth {
            self.queue[u][slot]
        } else {
            0
        };
        if slot_free > self.now {
            self.record(Unit::Scalar, "stall", pc, self.now, slot_free - self.now);
            self.counters.stall_queue += slot_free - self.now;
            self.now = slot_free;
        }
        let issue_lat = self.hw.scalar.accel_issue as u64;
        let issued = self.now + issue_lat;
        let start = issued
            .max(self.unit_free[u])
            .max(self.deps_ready(deps))
            .max(extra_ready);
        let end = start + dur;
        self.deps_done(deps, end);
        self.unit_free[u] = end;
        self.counters.unit_busy[u] += dur;
        self.counters.class_cycles[class_index(class)] += dur;
        self.queue[u][slot] = start;
        self.queued[u] += 1;
        self.record(Unit::Scalar, "scalar", pc, self.now, issue_lat);
        self.counters.unit_busy[Unit::Scalar as usize] += issue_lat;
        self.now = issued;
        self.record(unit, def(op).mnemonic, pc, start, dur);
        (start, end)
    }

    /// `tdef` (no elements) costs the core `tile` cycles; `tzero`/`dchk` block the core until
    /// the tile is ready and the density detector has swept it.
    fn tile(&mut self, pc: u32, op: Opcode, class: Class, deps: Deps, elements: u64) {
        if elements == 0 {
            self.scalar_busy(pc, class, self.hw.scalar.tile as u64);
            return;
        }
        let ready = self.deps_ready(deps);
        if ready > self.now {
            self.record(Unit::Scalar, "stall", pc, self.now, ready - self.now);
            self.counters.stall_wait += ready - self.now;
            self.now = ready;
        }
        let dur =
            self.hw.scalar.tile as u64 + elements.div_ceil(self.hw.tile.elems_per_cycle as u64);
        let start = self.now;
        self.now += dur;
        self.counters.tile_elements += elements;
        self.counters.unit_busy[Unit::Scalar as usize] += dur;
        self.counters.class_cycles[class_index(class)] += dur;
        self.deps_done(deps, self.now);
        self.record(Unit::Scalar, def(op).mnemonic, pc, start, dur);
    }

    fn dma(&mut self, pc: u32, op: Opcode, class: Class, deps: Deps, d: &DmaWork) {
        let mem = &self.hw.mem;
        // A strided transfer moves each row as its own burst: partial bus beats at the end
        // of every row are paid for.
        let dram_cycles = if d.bursts > 1 {
            d.bursts * d.burst_bytes.div_ceil(mem.dram_bytes_per_cycle as u64)
        } else {
            d.dram_bytes.div_ceil(mem.dram_bytes_per_cycle as u64)
        };
        let mut xfer = dram_cycles.max(d.spad_bytes.div_ceil(mem.spad_bytes_per_cycle as u64));
        if d.rle {
            let rate = if d.load {
                self.hw.rle.decode_elems_per_cycle
            } else {
                self.hw.rle.encode_elems_per_cycle
            };
            xfer = xfer.max(d.elements.div_ceil(rate as u64));
            self.counters.rle_elements += d.elements;
        }
        let dur = mem.dram_latency as u64 + xfer;
        let sp = d.space as usize;
        if d.load {
            self.counters.dram_read += d.dram_bytes;
            self.counters.spad_written[sp] += d.spad_bytes;
        } else {
            self.counters.dram_written += d.dram_bytes;
            self.counters.spad_read[sp] += d.spad_bytes;
        }
        let (_, end) = self.issue(pc, op, class, Unit::Dma, deps, dur, 0);
        if op == Opcode::StRle && end > self.now {
            // `st.rle` returns the stream length in a register: the core waits for it.
            self.record(Unit::Scalar, "stall", pc, self.now, end - self.now);
            self.counters.stall_wait += end - self.now;
            self.now = end;
        }
    }

    fn mac(&mut self, pc: u32, op: Opcode, class: Class, deps: Deps, m: &MacWork<'_>) {
        let cost = mac::mac_cost(&self.hw.mac, m, &mut self.scratch, self.mac_detail);
        let c = &mut self.counters;
        c.macs += cost.macs;
        c.macs_done += cost.done;
        c.skip_zero_value += cost.skip_zero_value;
        c.skip_zero_slice += cost.skip_zero_slice;
        c.skip_compressed_slice += cost.skip_compressed_slice;
        c.skip_ineffectual_bits += cost.skip_ineffectual_bits;
        c.lane_bits += cost.lane_bits;
        c.lane_alloc += cost.lane_alloc;
        c.passes += cost.passes;
        c.lockstep_idle += cost.lockstep_idle;
        c.spad_read[Space::Wsp as usize] +=
            bitloom_isa::numfmt::packed_len(m.m * m.k, m.wprec) as u64;
        c.spad_read[Space::Asp as usize] +=
            bitloom_isa::numfmt::packed_len(m.k * m.n, m.aprec) as u64;
        c.spad_read[Space::Acc as usize] += 4 * (m.m * m.n) as u64;
        c.spad_written[Space::Acc as usize] += 4 * (m.m * m.n) as u64;
        let uses_lut = m.wfmt == bitloom_isa::numfmt::NumFmt::Lut
            || m.afmt == bitloom_isa::numfmt::NumFmt::Lut;
        let extra = if uses_lut { self.lut_ready } else { 0 };
        self.last_mac = cost;
        self.issue(pc, op, class, Unit::Mac, deps, cost.cycles, extra);
    }

    #[inline]
    fn record(&mut self, unit: Unit, name: &'static str, pc: u32, start: u64, dur: u64) {
        if self.timeline.is_some() {
            self.record_n(unit, name, pc, start, dur, 1);
        }
    }

    /// [`Timing::record`] for the coalesced intervals of `n` back-to-back scalar
    /// instructions, each at least a cycle long: they extend the last scalar event or start
    /// one; when the timeline is full and they can do neither, each of them would have been
    /// dropped (none can coalesce with an event that ended before the first began).
    #[inline(never)]
    fn record_n(&mut self, unit: Unit, name: &'static str, pc: u32, start: u64, dur: u64, n: u64) {
        let Some(tl) = self.timeline.as_mut() else {
            return;
        };
        if dur == 0 {
            return;
        }
        // Coalesce back-to-back scalar work into one event.
        if unit == Unit::Scalar && name == "scalar" {
            if let Some(last) = tl
                .last_scalar_mut()
                .filter(|e| e.name == "scalar" && e.start + e.dur == start)
            {
                last.dur += dur;
                return;
            }
        }
        if tl.len() >= self.timeline_limit {
            self.timeline_dropped += n;
            return;
        }
        tl.push(TimelineEvent {
            unit,
            name,
            pc,
            start,
            dur,
        });
    }
}

fn deps_none() -> Deps {
    Deps {
        reads: 0,
        writes: 0,
    }
}
