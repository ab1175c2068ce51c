//! Run statistics: cycles, per-unit busy time and utilisation, per-class counts and cycles,
//! MACs done and skipped by cause, bytes per memory level, and derived TOPS, power and
//! TOPS/W from the hardware config's clock and energy table. Serialisable to JSON
//! ([`Stats::to_json`], versioned by [`STATS_SCHEMA`], described by the JSON Schema
//! [`json_schema`] derives from these types: docs/schema/stats.schema.json) and printable
//! like `perf stat` ([`Stats::human`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use bitloom_isa::Class;
use schemars::JsonSchema;
use serde::Serialize;

use crate::hw::{HwConfig, PowerModel};
use crate::timing::{Timing, Unit};

/// Classes in `Class as usize` order.
const CLASS_ORDER: [Class; 12] = Class::ALL;

/// Busy time of one unit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
pub struct UnitStats {
    /// Cycles the unit was busy.
    pub busy_cycles: u64,
    /// busy / total cycles.
    pub utilisation: f64,
}

/// The four units.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
pub struct Units {
    /// Scalar core (instructions and accelerator issue; stalls excluded).
    pub scalar: UnitStats,
    /// DMA engine.
    pub dma: UnitStats,
    /// MAC array.
    pub mac: UnitStats,
    /// Post-processing unit.
    pub post: UnitStats,
}

/// One instruction class.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
pub struct ClassStats {
    /// Retired instructions.
    pub count: u64,
    /// Cycles (scalar-core cycles for scalar classes, unit busy cycles for accelerator ones).
    pub cycles: u64,
}

/// Core stall cycles by reason.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
pub struct Stalls {
    /// Waiting for room in a unit's command queue.
    pub queue: u64,
    /// Waiting for a result the core needs (`dchk`, `tzero`, `st.rle`).
    pub wait: u64,
    /// Draining the units at `sync`/`halt`.
    pub sync: u64,
}

/// Work skipped, by cause (units differ per cause; see docs/TIMING.md).
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
pub struct Skipped {
    /// Products with a zero operand value (zero eliminator).
    pub zero_value: u64,
    /// HO slice products equal to 0 (bit-slice mode).
    pub zero_slice: u64,
    /// HO slice products equal to the frequent value r ≠ 0 (compensated).
    pub compressed_slice: u64,
    /// Lane bit-cycles saved by zero-bit skipping or cluster encoding.
    pub ineffectual_bit: u64,
}

/// MAC-array work.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
pub struct MacStats {
    /// GEMM products (M·N·K summed over MAC instructions).
    pub macs: u64,
    /// Products computed.
    pub done: u64,
    /// Skipped work by cause.
    pub skipped: Skipped,
    /// Bit-serial passes.
    pub passes: u64,
    /// MAC cycles lost to lock-step synchronisation (waves waiting for their slowest PE or
    /// lane group): the MAC instructions' cycles minus the decoupled idealisation's.
    pub lockstep_idle: u64,
    /// Effectual lane bit-cycles.
    pub lane_bit_cycles: u64,
    /// Effectual share of the lane cycles allocated to passes (lane-group balance; the
    /// BitCluster "hardware utilisation").
    pub lane_utilisation: f64,
    /// Effectual lane bit-cycles / (all lanes × MAC busy cycles).
    pub array_utilisation: f64,
}

/// Bytes moved per memory level.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
pub struct Bytes {
    /// DRAM bytes read (DMA loads, `set.lut`).
    pub dram_read: u64,
    /// DRAM bytes written (DMA stores).
    pub dram_written: u64,
    /// Weight scratchpad bytes read.
    pub wsp_read: u64,
    /// Weight scratchpad bytes written.
    pub wsp_written: u64,
    /// Activation scratchpad bytes read.
    pub asp_read: u64,
    /// Activation scratchpad bytes written.
    pub asp_written: u64,
    /// Accumulator scratchpad bytes read.
    pub acc_read: u64,
    /// Accumulator scratchpad bytes written.
    pub acc_written: u64,
}

/// Energy by component, in microjoules, and average power.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
pub struct Energy {
    /// MAC array (bit-cycles and operations).
    pub mac_uj: f64,
    /// DRAM interface.
    pub dram_uj: f64,
    /// Scratchpads.
    pub spad_uj: f64,
    /// Scalar core.
    pub scalar_uj: f64,
    /// Post-processing.
    pub post_uj: f64,
    /// Static power × time.
    pub static_uj: f64,
    /// Sum.
    pub total_uj: f64,
    /// Average power in mW.
    pub power_mw: f64,
}

/// Version of the stats JSON (the `schema` field). Bumped when a field is removed or
/// renamed or its meaning or unit changes; adding a field does not bump it (consumers ignore
/// fields they do not know). docs/TIMING.md states the policy.
pub const STATS_SCHEMA: u32 = 1;

/// Statistics of a run (`bitloom run --stats-json`).
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[schemars(title = "bitloom run statistics")]
pub struct Stats {
    /// Version of this format, `STATS_SCHEMA`; docs/TIMING.md says what changes it.
    #[schemars(extend("const" = STATS_SCHEMA))]
    pub schema: u32,
    /// Whether the timing model ran (without it cycles = instructions and the rest is 0).
    pub timing: bool,
    /// MAC cycle model (`mac.model`).
    pub model: String,
    /// Clock in MHz.
    pub clock_mhz: f64,
    /// Total cycles (until every unit is idle).
    pub cycles: u64,
    /// Retired instructions.
    pub instructions: u64,
    /// Instructions per cycle.
    pub ipc: f64,
    /// Modelled time in seconds.
    pub seconds: f64,
    /// Busy cycles per unit.
    pub units: Units,
    /// Count and cycles per instruction class.
    pub classes: BTreeMap<String, ClassStats>,
    /// Core stalls.
    pub stalls: Stalls,
    /// MAC array.
    pub mac: MacStats,
    /// Memory traffic.
    pub bytes: Bytes,
    /// Energy.
    pub energy: Energy,
    /// Dense-equivalent throughput: 2 ops per GEMM product (skipped ones included, as the
    /// papers count at a fixed sparsity) per second, in TOPS.
    pub tops: f64,
    /// Useful throughput: 2 ops per product actually computed, in TOPS.
    pub tops_useful: f64,
    /// `tops` per watt of average power.
    pub tops_per_watt: f64,
}

impl Default for Stats {
    fn default() -> Stats {
        Stats {
            schema: STATS_SCHEMA,
            timing: false,
            model: String::new(),
            clock_mhz: 0.0,
            cycles: 0,
            instructions: 0,
            ipc: 0.0,
            seconds: 0.0,
            units: Units::default(),
            classes: BTreeMap::new(),
            stalls: Stalls::default(),
            mac: MacStats::default(),
            bytes: Bytes::default(),
            energy: Energy::default(),
            tops: 0.0,
            tops_useful: 0.0,
            tops_per_watt: 0.0,
        }
    }
}

/// The JSON Schema (draft 2020-12) of the stats JSON, derived from [`Stats`], pretty-printed
/// with a trailing newline: the content of docs/schema/stats.schema.json.
pub fn json_schema() -> String {
    let schema = schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<Stats>();
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

impl Stats {
    /// Statistics from a machine's counters and, if it ran, its timing model.
    pub fn collect(
        hw: &HwConfig,
        timing: Option<&Timing>,
        instret: u64,
        class_counts: &[u64; 12],
    ) -> Stats {
        let mut s = Stats {
            timing: timing.is_some(),
            model: hw.mac.model.name().to_string(),
            clock_mhz: hw.clock.freq_mhz,
            instructions: instret,
            ..Stats::default()
        };
        for (i, c) in CLASS_ORDER.iter().enumerate() {
            s.classes.insert(
                c.name().to_string(),
                ClassStats {
                    count: class_counts[i],
                    cycles: 0,
                },
            );
        }
        let Some(t) = timing else {
            s.cycles = instret;
            s.ipc = ratio(instret as f64, s.cycles as f64);
            s.seconds = ratio(s.cycles as f64, hw.clock.freq_mhz * 1e6);
            return s;
        };
        let c = t.counters();
        s.cycles = t.drained();
        let cyc = s.cycles as f64;
        s.ipc = ratio(instret as f64, cyc);
        s.seconds = ratio(cyc, hw.clock.freq_mhz * 1e6);
        let unit = |u: Unit| UnitStats {
            busy_cycles: c.unit_busy[u as usize],
            utilisation: ratio(c.unit_busy[u as usize] as f64, cyc),
        };
        s.units = Units {
            scalar: unit(Unit::Scalar),
            dma: unit(Unit::Dma),
            mac: unit(Unit::Mac),
            post: unit(Unit::Post),
        };
        for (i, cl) in CLASS_ORDER.iter().enumerate() {
            if let Some(e) = s.classes.get_mut(cl.name()) {
                e.cycles = c.class_cycles[i];
            }
        }
        s.stalls = Stalls {
            queue: c.stall_queue,
            wait: c.stall_wait,
            sync: c.stall_sync,
        };
        let mac_busy = c.unit_busy[Unit::Mac as usize] as f64;
        s.mac = MacStats {
            macs: c.macs,
            done: c.macs_done,
            skipped: Skipped {
                zero_value: c.skip_zero_value,
                zero_slice: c.skip_zero_slice,
                compressed_slice: c.skip_compressed_slice,
                ineffectual_bit: c.skip_ineffectual_bits,
            },
            passes: c.passes,
            lockstep_idle: c.lockstep_idle,
            lane_bit_cycles: c.lane_bits,
            lane_utilisation: ratio(c.lane_bits as f64, c.lane_alloc as f64),
            array_utilisation: ratio(c.lane_bits as f64, hw.total_lanes() as f64 * mac_busy),
        };
        s.bytes = Bytes {
            dram_read: c.dram_read,
            dram_written: c.dram_written,
            wsp_read: c.spad_read[0],
            wsp_written: c.spad_written[0],
            asp_read: c.spad_read[1],
            asp_written: c.spad_written[1],
            acc_read: c.spad_read[2],
            acc_written: c.spad_written[2],
        };
        let e = &hw.energy;
        let pj_to_uj = 1e-6;
        let spad_bytes: u64 = c.spad_read.iter().chain(&c.spad_written).sum();
        let mac_seconds = ratio(mac_busy, hw.clock.freq_mhz * 1e6);
        let mut en = Energy {
            mac_uj: match e.power_model {
                PowerModel::Events => {
                    (e.mac_bit_pj * c.lane_bits as f64 + e.mac_op_pj * c.macs_done as f64)
                        * pj_to_uj
                }
                PowerModel::Flat => e.array_mw * 1e-3 * mac_seconds * 1e6,
            },
            dram_uj: e.dram_byte_pj * (c.dram_read + c.dram_written) as f64 * pj_to_uj,
            spad_uj: e.spad_byte_pj * spad_bytes as f64 * pj_to_uj,
            scalar_uj: e.scalar_instr_pj * instret as f64 * pj_to_uj,
            post_uj: e.post_elem_pj * c.post_elements as f64 * pj_to_uj,
            static_uj: e.static_mw * 1e-3 * s.seconds * 1e6,
            ..Energy::default()
        };
        en.total_uj =
            en.mac_uj + en.dram_uj + en.spad_uj + en.scalar_uj + en.post_uj + en.static_uj;
        en.power_mw = ratio(en.total_uj * 1e-3, s.seconds);
        s.energy = en;
        s.tops = ratio(2.0 * c.macs as f64, s.seconds) * 1e-12;
        s.tops_useful = ratio(2.0 * c.macs_done as f64, s.seconds) * 1e-12;
        s.tops_per_watt = ratio(s.tops, s.energy.power_mw * 1e-3);
        s
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// A compact, aligned summary in the style of `perf stat`.
    pub fn human(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            " Statistics (mac model {}, {} MHz{}):",
            self.model,
            trim_f(self.clock_mhz),
            if self.timing { "" } else { ", no timing model" }
        );
        let _ = writeln!(o);
        let line = |o: &mut String, v: String, name: &str, note: String| {
            if note.is_empty() {
                let _ = writeln!(o, "{v:>20}  {name}");
            } else {
                let _ = writeln!(o, "{v:>20}  {name:<26}#  {note}");
            }
        };
        line(
            &mut o,
            group(self.cycles),
            "cycles",
            format!(
                "{} at {} MHz",
                fmt_time(self.seconds),
                trim_f(self.clock_mhz)
            ),
        );
        line(
            &mut o,
            group(self.instructions),
            "instructions",
            format!("{:.2} per cycle", self.ipc),
        );
        if !self.timing {
            return o;
        }
        for (name, u) in [
            ("scalar busy", &self.units.scalar),
            ("dma busy", &self.units.dma),
            ("mac busy", &self.units.mac),
            ("post busy", &self.units.post),
        ] {
            line(
                &mut o,
                group(u.busy_cycles),
                name,
                format!("{:5.1} % utilisation", 100.0 * u.utilisation),
            );
        }
        let st = &self.stalls;
        line(
            &mut o,
            group(st.queue + st.wait + st.sync),
            "core stall cycles",
            format!(
                "queue {}, wait {}, sync {}",
                group(st.queue),
                group(st.wait),
                group(st.sync)
            ),
        );
        let _ = writeln!(o);
        let _ = writeln!(o, "{:>20}  {:<10}{:>16}", "count", "class", "cycles");
        for c in CLASS_ORDER {
            if let Some(cs) = self.classes.get(c.name()) {
                if cs.count > 0 {
                    let _ = writeln!(
                        o,
                        "{:>20}  {:<10}{:>16}",
                        group(cs.count),
                        c.name(),
                        group(cs.cycles)
                    );
                }
            }
        }
        let m = &self.mac;
        if m.macs > 0 {
            let _ = writeln!(o);
            let pct = |x: u64| format!("{:5.1} % of MACs", 100.0 * ratio(x as f64, m.macs as f64));
            line(&mut o, group(m.macs), "MACs", String::new());
            line(&mut o, group(m.done), "MACs done", pct(m.done));
            line(
                &mut o,
                group(m.skipped.zero_value),
                "skipped: zero value",
                pct(m.skipped.zero_value),
            );
            if m.skipped.zero_slice + m.skipped.compressed_slice > 0 {
                line(
                    &mut o,
                    group(m.skipped.zero_slice),
                    "skipped: zero slice",
                    "HO slice products".into(),
                );
                line(
                    &mut o,
                    group(m.skipped.compressed_slice),
                    "skipped: compressed slice",
                    "HO slice products".into(),
                );
            }
            line(
                &mut o,
                group(m.skipped.ineffectual_bit),
                "skipped: ineffectual bit",
                "lane bit-cycles".into(),
            );
            line(
                &mut o,
                group(m.passes),
                "passes",
                format!(
                    "lane util {:.1} %, array util {:.1} %",
                    100.0 * m.lane_utilisation,
                    100.0 * m.array_utilisation
                ),
            );
            line(
                &mut o,
                group(m.lockstep_idle),
                "lock-step idle cycles",
                format!(
                    "{:.1} % of MAC busy",
                    100.0 * ratio(m.lockstep_idle as f64, self.units.mac.busy_cycles as f64)
                ),
            );
        }
        let b = &self.bytes;
        let _ = writeln!(o);
        line(
            &mut o,
            group(b.dram_read),
            "DRAM bytes read",
            format!("written {}", group(b.dram_written)),
        );
        for (name, r, w) in [
            ("wsp bytes read", b.wsp_read, b.wsp_written),
            ("asp bytes read", b.asp_read, b.asp_written),
            ("acc bytes read", b.acc_read, b.acc_written),
        ] {
            line(&mut o, group(r), name, format!("written {}", group(w)));
        }
        let e = &self.energy;
        let _ = writeln!(o);
        line(
            &mut o,
            fmt_energy(e.total_uj),
            "energy",
            format!(
                "mac {}, dram {}, spad {}, scalar {}, post {}, static {}",
                fmt_energy(e.mac_uj),
                fmt_energy(e.dram_uj),
                fmt_energy(e.spad_uj),
                fmt_energy(e.scalar_uj),
                fmt_energy(e.post_uj),
                fmt_energy(e.static_uj)
            ),
        );
        line(
            &mut o,
            format!("{:.2}", e.power_mw),
            "mW average power",
            String::new(),
        );
        // Small kernels run far below a TOPS; switch to GOPS so the figure stays readable.
        let (scale, unit) = if self.tops >= 0.1 {
            (1.0, "TOPS")
        } else {
            (1000.0, "GOPS")
        };
        line(
            &mut o,
            format!("{:.3}", self.tops * scale),
            if unit == "TOPS" {
                "TOPS (dense-equivalent)"
            } else {
                "GOPS (dense-equivalent)"
            },
            format!("useful {:.3} {unit}", self.tops_useful * scale),
        );
        line(
            &mut o,
            format!("{:.2}", self.tops_per_watt * scale),
            if unit == "TOPS" { "TOPS/W" } else { "GOPS/W" },
            String::new(),
        );
        o
    }
}

/// `1234567` → `1,234,567`.
fn group(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn trim_f(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn fmt_energy(uj: f64) -> String {
    if uj >= 1e3 {
        format!("{:.3} mJ", uj * 1e-3)
    } else if uj >= 1.0 {
        format!("{uj:.3} uJ")
    } else if uj >= 1e-3 {
        format!("{:.3} nJ", uj * 1e3)
    } else {
        format!("{:.1} pJ", uj * 1e6)
    }
}

fn fmt_time(secs: f64) -> String {
    if secs >= 1.0 {
        format!("{secs:.3} s")
    } else if secs >= 1e-3 {
        format!("{:.3} ms", secs * 1e3)
    } else if secs >= 1e-6 {
        format!("{:.3} us", secs * 1e6)
    } else {
        format!("{:.1} ns", secs * 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouping() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(1234567), "1,234,567");
    }
}
