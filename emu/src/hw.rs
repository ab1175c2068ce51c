//! Hardware configuration: clock, memory sizes and bandwidths, RLE codec, MAC array geometry
//! and cost model, post-processing, scalar-core latencies and the energy table, read from a
//! TOML file (`emu/hw/default.toml` documents every field; docs/TIMING.md explains them).
//!
//! Every section and field has a default, but a file that names an unknown section or key,
//! or a file that does not exist, is an error naming the file and the key — configs never
//! fall back silently.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub mod presets;

/// Prefix of a preset name in a hardware spec (`--hw preset:seed000`).
pub const PRESET_PREFIX: &str = "preset:";

/// Why a hardware description could not be used.
#[derive(Debug, thiserror::Error)]
pub enum HwError {
    /// The file could not be read (missing, unreadable).
    #[error("{path}: cannot read hardware config: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// TOML syntax error, unknown key or wrong type (the message carries line and column).
    #[error("{path}: {message}")]
    Parse {
        /// The file (or `<string>`).
        path: PathBuf,
        /// toml's diagnostic, with line, column and the offending key.
        message: String,
    },
    /// `preset:NAME` names no shipped preset.
    #[error("unknown hardware preset `{name}` (known: {known})")]
    UnknownPreset {
        /// The name after `preset:`.
        name: String,
        /// The shipped names, comma-separated.
        known: String,
    },
    /// A value is out of its legal range.
    #[error("{path}: invalid value for `{key}`: {message}")]
    Invalid {
        /// The file (or `<string>`).
        path: PathBuf,
        /// Dotted key, e.g. `mac.group`.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// `[clock]`: the accelerator clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClockConfig {
    /// Clock frequency in MHz (converts cycles to seconds for TOPS and energy).
    pub freq_mhz: f64,
}

impl Default for ClockConfig {
    fn default() -> Self {
        ClockConfig { freq_mhz: 310.0 }
    }
}

/// `[mem]`: memory sizes and parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MemConfig {
    /// DRAM size in bytes.
    pub dram_bytes: u32,
    /// Weight scratchpad bytes.
    pub wsp_bytes: u32,
    /// Activation scratchpad bytes.
    pub asp_bytes: u32,
    /// Accumulator scratchpad bytes.
    pub acc_bytes: u32,
    /// DRAM interface bandwidth in bytes per cycle.
    pub dram_bytes_per_cycle: u32,
    /// Cycles from a DMA request to its first DRAM byte.
    pub dram_latency: u32,
    /// Scratchpad port bandwidth (per scratchpad) in bytes per cycle, seen by the DMA.
    pub spad_bytes_per_cycle: u32,
}

impl Default for MemConfig {
    fn default() -> Self {
        MemConfig {
            dram_bytes: 64 << 20,
            wsp_bytes: 1 << 20,
            asp_bytes: 1 << 20,
            acc_bytes: 4 << 20,
            dram_bytes_per_cycle: 16,
            dram_latency: 100,
            spad_bytes_per_cycle: 64,
        }
    }
}

/// `[rle]`: throughput of the run-length decoder (`ld.rle`) and encoder (`st.rle`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RleConfig {
    /// Expanded elements produced per cycle by the decoder / zero eliminator.
    pub decode_elems_per_cycle: u32,
    /// Elements consumed per cycle by the encoder.
    pub encode_elems_per_cycle: u32,
}

impl Default for RleConfig {
    fn default() -> Self {
        RleConfig {
            decode_elems_per_cycle: 32,
            encode_elems_per_cycle: 16,
        }
    }
}

/// Which accelerator's cycle formula the MAC array follows (docs/TIMING.md "Baselines").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MacModel {
    /// Loom: zero elimination + bit-serial on the `serial` operand, BitCluster, bit-slices.
    #[serde(rename = "loom")]
    Loom,
    /// Bit-parallel: one cycle per pass whatever the precision.
    #[serde(rename = "bit-parallel")]
    BitParallel,
    /// Stripes: activation-serial, cost = activation precision.
    #[serde(rename = "stripes")]
    Stripes,
    /// Bit-Pragmatic: zero-bit skipping, cost = max effectual bits over the lane group.
    #[serde(rename = "pragmatic")]
    Pragmatic,
    /// Laconic: cost = max over the lane group of eff(a)·eff(w).
    #[serde(rename = "laconic")]
    Laconic,
    /// Bit Fusion: ⌊8/max(Pa,2)⌋·⌊8/max(Pw,2)⌋ products per lane per cycle.
    #[serde(rename = "bitfusion")]
    BitFusion,
}

impl MacModel {
    /// The name used in the config file.
    pub fn name(self) -> &'static str {
        match self {
            MacModel::Loom => "loom",
            MacModel::BitParallel => "bit-parallel",
            MacModel::Stripes => "stripes",
            MacModel::Pragmatic => "pragmatic",
            MacModel::Laconic => "laconic",
            MacModel::BitFusion => "bitfusion",
        }
    }
}

/// How the PEs and lane groups of the array synchronise (docs/TIMING.md §4 "Lock-step").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SyncMode {
    /// As broadcast hardware does: every PE of the array and every lane group of a PE
    /// advance together, one wave (one pass per lane group) at a time; a wave lasts as long
    /// as its slowest lane.
    #[serde(rename = "lockstep")]
    Lockstep,
    /// An idealisation: every PE runs its own outputs at its own pace and the lane groups of
    /// a PE share its passes perfectly (instruction = slowest PE's Σ passes / groups).
    #[serde(rename = "decoupled")]
    Decoupled,
}

/// How a serial operand is recoded into terms (docs/TIMING.md §4 "Terms").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TermEncoding {
    /// What the model's published design uses: `booth` for Laconic, `binary` otherwise.
    #[serde(rename = "auto")]
    Auto,
    /// One term per 1-bit of the magnitude (popcount).
    #[serde(rename = "binary")]
    Binary,
    /// Booth / canonical signed-digit recoding: the non-zero digits of the non-adjacent
    /// form, the fewest signed power-of-two terms (7 = 8 − 1: 2 terms, not 3).
    #[serde(rename = "booth")]
    Booth,
}

/// What a pass whose lanes all cost 0 costs (docs/TIMING.md §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EmptyPass {
    /// `one` for Pragmatic and Laconic (their static bricks are always issued), `skip`
    /// otherwise.
    #[serde(rename = "auto")]
    Auto,
    /// The pass is skipped: no cycles, no overhead.
    #[serde(rename = "skip")]
    Skip,
    /// The pass costs one cycle (plus the pass overhead), as in Bit-Pragmatic.
    #[serde(rename = "one")]
    One,
}

/// `[mac]`: the MAC array.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MacConfig {
    /// Cycle formula.
    pub model: MacModel,
    /// PE rows: output rows (m) computed in parallel.
    pub rows: u32,
    /// PE columns: output columns (n) computed in parallel.
    pub cols: u32,
    /// Bit-serial lanes per PE (reduction elements in flight per PE).
    pub lanes: u32,
    /// Lanes that advance in lock-step (a lane group); `lanes` must be a multiple.
    pub group: u32,
    /// Fixed cycles per bit-serial pass (accumulate/shift): T(p) ∝ 1/(p + overhead).
    pub pass_overhead: f64,
    /// Loom only: zero eliminator packs effectual (non-zero × non-zero) pairs into lanes.
    pub zero_elim: bool,
    /// Loom only: int/uint serial operands skip zero bits (cost = effectual bits).
    pub zero_bit_skip: bool,
    /// Pipeline fill and drain cycles added to every MAC instruction.
    pub fixed_latency: u32,
    /// Extra cycles per (output, vector) for the per-vector scale multiply of `vscale`.
    pub vector_scale_cycles: u32,
    /// PE and lane-group synchronisation: `lockstep` (hardware) or `decoupled` (ideal).
    pub sync: SyncMode,
    /// Term recoding of serial int/uint operands for zero-bit skipping (Loom with
    /// `zero_bit_skip`, Pragmatic, Laconic): `auto`, `binary` or `booth`.
    pub terms: TermEncoding,
    /// Cost of a pass whose lanes all cost 0: `auto`, `skip` or `one`.
    pub empty_pass: EmptyPass,
    /// Pragmatic: bits of each lane's first-stage shifter (0..=8). In a cycle a lane takes
    /// its next term only if it lies within 2^bits positions of the group's lowest pending
    /// term; 8 (default; anything ≥ 5 for ≤ 8-bit operands) is a single-stage shifter.
    pub first_stage_bits: u32,
}

impl MacConfig {
    /// The term encoding in effect (`auto` resolved for the model).
    pub fn effective_terms(&self) -> TermEncoding {
        match (self.terms, self.model) {
            (TermEncoding::Auto, MacModel::Laconic) => TermEncoding::Booth,
            (TermEncoding::Auto, _) => TermEncoding::Binary,
            (t, _) => t,
        }
    }

    /// Cycles of a pass whose lanes all cost 0 (`auto` resolved for the model): 0 or 1.
    pub fn effective_empty_pass(&self) -> u8 {
        match (self.empty_pass, self.model) {
            (EmptyPass::Auto, MacModel::Pragmatic | MacModel::Laconic) | (EmptyPass::One, _) => 1,
            _ => 0,
        }
    }
}

impl Default for MacConfig {
    fn default() -> Self {
        MacConfig {
            model: MacModel::Loom,
            rows: 16,
            cols: 16,
            lanes: 32,
            group: 16,
            pass_overhead: 0.3,
            zero_elim: true,
            zero_bit_skip: true,
            fixed_latency: 4,
            vector_scale_cycles: 0,
            sync: SyncMode::Lockstep,
            terms: TermEncoding::Auto,
            empty_pass: EmptyPass::Auto,
            first_stage_bits: 8,
        }
    }
}

/// `[post]`: the post-processing unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PostConfig {
    /// Accumulator elements processed per cycle.
    pub elems_per_cycle: u32,
    /// Pipeline latency per instruction.
    pub latency: u32,
}

impl Default for PostConfig {
    fn default() -> Self {
        PostConfig {
            elems_per_cycle: 16,
            latency: 2,
        }
    }
}

/// `[tile]`: tile bookkeeping (`tzero`, `dchk`: the runtime density detector).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TileConfig {
    /// Elements zeroed or density-checked per cycle.
    pub elems_per_cycle: u32,
}

impl Default for TileConfig {
    fn default() -> Self {
        TileConfig {
            elems_per_cycle: 64,
        }
    }
}

/// `[scalar]`: the in-order scalar control core.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScalarConfig {
    /// Cycles of an ALU instruction.
    pub alu: u32,
    /// Cycles of a multiply/divide.
    pub muldiv: u32,
    /// Cycles of a scalar load.
    pub load: u32,
    /// Cycles of a scalar store.
    pub store: u32,
    /// Cycles of a branch (not taken).
    pub branch: u32,
    /// Cycles of a jump (before the taken penalty).
    pub jump: u32,
    /// Cycles of `csrr`/`cfg`/`cfgi`.
    pub config: u32,
    /// Cycles of `halt`/`ebreak`/`sync` (after draining, for `halt`/`sync`).
    pub system: u32,
    /// Cycles of `tdef` (and the issue part of `tzero`/`dchk`).
    pub tile: u32,
    /// Extra cycles for a taken branch or a jump.
    pub taken_penalty: u32,
    /// Cycles the core spends handing a command to an accelerator unit.
    pub accel_issue: u32,
    /// Commands a unit's queue holds before the core stalls (1..=64).
    pub queue_depth: u32,
}

impl Default for ScalarConfig {
    fn default() -> Self {
        ScalarConfig {
            alu: 1,
            muldiv: 4,
            load: 2,
            store: 1,
            branch: 1,
            jump: 1,
            config: 1,
            system: 1,
            tile: 1,
            taken_penalty: 2,
            accel_issue: 1,
            queue_depth: 4,
        }
    }
}

/// `[energy]`: energy per event and static power.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnergyConfig {
    /// pJ per effectual lane bit-cycle of the MAC array.
    pub mac_bit_pj: f64,
    /// pJ per MAC actually performed (operand fetch, accumulate), whatever its bits.
    pub mac_op_pj: f64,
    /// pJ per byte crossing the DRAM interface.
    pub dram_byte_pj: f64,
    /// pJ per byte read or written in a scratchpad.
    pub spad_byte_pj: f64,
    /// pJ per retired scalar-core instruction (every instruction is issued by it).
    pub scalar_instr_pj: f64,
    /// pJ per element handled by the post-processing unit.
    pub post_elem_pj: f64,
    /// Static (leakage + clock) power in mW, charged for every cycle.
    pub static_mw: f64,
    /// MAC-array energy model: `events` (mac_bit_pj per lane bit-cycle + mac_op_pj per
    /// product) or `flat` (`array_mw` for every cycle the MAC array is busy, whatever the
    /// precision: seed 000 reports ≈ 58 mW at 1 and at 8 bit).
    pub power_model: PowerModel,
    /// `flat` power model: MAC-array power in mW while it is busy.
    pub array_mw: f64,
}

/// How the MAC array's energy is counted (docs/TIMING.md §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PowerModel {
    /// Per event: lane bit-cycles and products.
    #[serde(rename = "events")]
    Events,
    /// Constant power while the array is busy.
    #[serde(rename = "flat")]
    Flat,
}

impl Default for EnergyConfig {
    fn default() -> Self {
        EnergyConfig {
            mac_bit_pj: 0.019,
            mac_op_pj: 0.006,
            dram_byte_pj: 40.0,
            spad_byte_pj: 0.05,
            scalar_instr_pj: 2.0,
            post_elem_pj: 0.05,
            static_mw: 5.0,
            power_model: PowerModel::Events,
            array_mw: 53.0,
        }
    }
}

/// The whole hardware description.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HwConfig {
    /// Clock.
    pub clock: ClockConfig,
    /// Memory hierarchy.
    pub mem: MemConfig,
    /// RLE codec.
    pub rle: RleConfig,
    /// MAC array.
    pub mac: MacConfig,
    /// Post-processing unit.
    pub post: PostConfig,
    /// Tile bookkeeping.
    pub tile: TileConfig,
    /// Scalar core.
    pub scalar: ScalarConfig,
    /// Energy table.
    pub energy: EnergyConfig,
}

/// Largest hardware description file read (1 MiB; the default one is about 2 KB).
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

impl HwConfig {
    /// Read and validate a TOML hardware description. A missing file, a syntax error, an
    /// unknown section or key, or an out-of-range value is an error naming the file (and the
    /// line, column and key where toml reports them). Files larger than
    /// [`MAX_CONFIG_BYTES`] (or `/dev/zero`) are refused after reading at most that much.
    pub fn load(path: impl AsRef<Path>) -> Result<HwConfig, HwError> {
        let path = path.as_ref();
        let io = |source: std::io::Error| HwError::Io {
            path: path.to_path_buf(),
            source,
        };
        let bytes =
            bitloom_isa::srcfile::read_capped(path, MAX_CONFIG_BYTES).map_err(|e| match e {
                bitloom_isa::srcfile::ReadError::Io(e) => io(e),
                e => io(std::io::Error::other(e.to_string())),
            })?;
        let text = String::from_utf8(bytes).map_err(|_| {
            io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "not UTF-8 text",
            ))
        })?;
        Self::parse_named(&text, path)
    }

    /// A hardware description from a spec: `preset:NAME` (a shipped preset,
    /// [`presets::PRESETS`]) or a path to a TOML file ([`HwConfig::load`]). The one
    /// function every `--hw` goes through.
    pub fn resolve(spec: &str) -> Result<HwConfig, HwError> {
        match spec.strip_prefix(PRESET_PREFIX) {
            Some(name) => {
                let p = presets::find(name).ok_or_else(|| HwError::UnknownPreset {
                    name: name.to_string(),
                    known: presets::PRESETS
                        .iter()
                        .map(|p| p.name)
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
                Self::parse_named(p.toml, Path::new(spec))
            }
            None => Self::load(spec),
        }
    }

    /// [`HwConfig::resolve`] for a command-line path: `preset:NAME` or a file (a path that is
    /// not UTF-8 is always a file).
    pub fn resolve_path(spec: &Path) -> Result<HwConfig, HwError> {
        match spec.to_str() {
            Some(s) => Self::resolve(s),
            None => Self::load(spec),
        }
    }

    /// Parse and validate TOML text (errors name `<string>` as the file).
    pub fn parse(text: &str) -> Result<HwConfig, HwError> {
        Self::parse_named(text, Path::new("<string>"))
    }

    fn parse_named(text: &str, path: &Path) -> Result<HwConfig, HwError> {
        let hw: HwConfig = toml::from_str(text).map_err(|e| HwError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        hw.validate_named(path)?;
        Ok(hw)
    }

    /// The effective configuration as TOML (every field, defaults included).
    pub fn to_toml(&self) -> String {
        // Serialising plain structs of numbers, strings and booleans cannot fail.
        toml::to_string(self).unwrap_or_default()
    }

    /// Check value ranges (sizes, bandwidths, the lane-group geometry).
    pub fn validate(&self) -> Result<(), HwError> {
        self.validate_named(Path::new("<config>"))
    }

    fn validate_named(&self, path: &Path) -> Result<(), HwError> {
        let bad = |key: &'static str, message: String| HwError::Invalid {
            path: path.to_path_buf(),
            key,
            message,
        };
        let positive_f = |key: &'static str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(bad(key, format!("{v} (must be a finite number > 0)")))
            }
        };
        let nonneg_f = |key: &'static str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(bad(key, format!("{v} (must be a finite number >= 0)")))
            }
        };
        let at_least_1 = |key: &'static str, v: u32| {
            if v >= 1 {
                Ok(())
            } else {
                Err(bad(key, "0 (must be at least 1)".into()))
            }
        };
        let at_most = |key: &'static str, v: f64, max: f64| {
            if v <= max {
                Ok(())
            } else {
                Err(bad(key, format!("{v} (at most {max})")))
            }
        };
        positive_f("clock.freq_mhz", self.clock.freq_mhz)?;
        // 1 kHz ..= 1 THz: outside, rates print as 0 or overflow.
        if !(1e-3..=1e6).contains(&self.clock.freq_mhz) {
            return Err(bad(
                "clock.freq_mhz",
                format!("{} (must be 0.001..=1000000)", self.clock.freq_mhz),
            ));
        }
        at_least_1("mem.dram_bytes", self.mem.dram_bytes)?;
        // The stack starts at the top of DRAM and grows down in words; a page multiple
        // keeps it aligned (65539 bytes made the first push trap).
        if !self.mem.dram_bytes.is_multiple_of(4096) {
            return Err(bad(
                "mem.dram_bytes",
                format!("{} (must be a multiple of 4096)", self.mem.dram_bytes),
            ));
        }
        for (key, v) in [
            ("mem.wsp_bytes", self.mem.wsp_bytes),
            ("mem.asp_bytes", self.mem.asp_bytes),
            ("mem.acc_bytes", self.mem.acc_bytes),
        ] {
            if v % 4 != 0 || v > 1 << 30 {
                return Err(bad(
                    key,
                    format!("{v} (must be a multiple of 4, at most 1 GiB)"),
                ));
            }
        }
        for (key, v) in [
            ("mem.dram_bytes_per_cycle", self.mem.dram_bytes_per_cycle),
            ("mem.spad_bytes_per_cycle", self.mem.spad_bytes_per_cycle),
            (
                "rle.decode_elems_per_cycle",
                self.rle.decode_elems_per_cycle,
            ),
            (
                "rle.encode_elems_per_cycle",
                self.rle.encode_elems_per_cycle,
            ),
            ("post.elems_per_cycle", self.post.elems_per_cycle),
            ("tile.elems_per_cycle", self.tile.elems_per_cycle),
        ] {
            at_most(key, v as f64, (1u32 << 20) as f64)?;
        }
        for (key, v) in [
            ("mem.dram_latency", self.mem.dram_latency),
            ("mac.fixed_latency", self.mac.fixed_latency),
            ("mac.vector_scale_cycles", self.mac.vector_scale_cycles),
            ("post.latency", self.post.latency),
            ("scalar.alu", self.scalar.alu),
            ("scalar.muldiv", self.scalar.muldiv),
            ("scalar.load", self.scalar.load),
            ("scalar.store", self.scalar.store),
            ("scalar.branch", self.scalar.branch),
            ("scalar.jump", self.scalar.jump),
            ("scalar.config", self.scalar.config),
            ("scalar.system", self.scalar.system),
            ("scalar.tile", self.scalar.tile),
            ("scalar.taken_penalty", self.scalar.taken_penalty),
            ("scalar.accel_issue", self.scalar.accel_issue),
        ] {
            at_most(key, v as f64, 1e6)?;
        }
        for (key, v) in [("mac.rows", self.mac.rows), ("mac.cols", self.mac.cols)] {
            at_most(key, v as f64, 4096.0)?;
        }
        at_most(
            "mac.first_stage_bits",
            self.mac.first_stage_bits as f64,
            8.0,
        )?;
        at_least_1("mem.dram_bytes_per_cycle", self.mem.dram_bytes_per_cycle)?;
        at_least_1("mem.spad_bytes_per_cycle", self.mem.spad_bytes_per_cycle)?;
        at_least_1(
            "rle.decode_elems_per_cycle",
            self.rle.decode_elems_per_cycle,
        )?;
        at_least_1(
            "rle.encode_elems_per_cycle",
            self.rle.encode_elems_per_cycle,
        )?;
        at_least_1("mac.rows", self.mac.rows)?;
        at_least_1("mac.cols", self.mac.cols)?;
        at_least_1("mac.lanes", self.mac.lanes)?;
        at_least_1("mac.group", self.mac.group)?;
        if self.mac.rows as u64 * self.mac.cols as u64 > 1 << 20 {
            return Err(bad(
                if self.mac.cols > self.mac.rows {
                    "mac.cols"
                } else {
                    "mac.rows"
                },
                format!("{}x{} PEs (at most 2^20 PEs)", self.mac.rows, self.mac.cols),
            ));
        }
        if self.mac.group > 4096 {
            return Err(bad(
                "mac.group",
                format!("{} (at most 4096)", self.mac.group),
            ));
        }
        if !self.mac.lanes.is_multiple_of(self.mac.group) {
            return Err(bad(
                "mac.lanes",
                format!(
                    "{} is not a multiple of mac.group = {}",
                    self.mac.lanes, self.mac.group
                ),
            ));
        }
        nonneg_f("mac.pass_overhead", self.mac.pass_overhead)?;
        if self.mac.pass_overhead > 1000.0 {
            return Err(bad(
                "mac.pass_overhead",
                format!("{} (at most 1000)", self.mac.pass_overhead),
            ));
        }
        at_least_1("post.elems_per_cycle", self.post.elems_per_cycle)?;
        at_least_1("tile.elems_per_cycle", self.tile.elems_per_cycle)?;
        if !(1..=64).contains(&self.scalar.queue_depth) {
            return Err(bad(
                "scalar.queue_depth",
                format!("{} (must be 1..=64)", self.scalar.queue_depth),
            ));
        }
        let e = &self.energy;
        nonneg_f("energy.mac_bit_pj", e.mac_bit_pj)?;
        nonneg_f("energy.mac_op_pj", e.mac_op_pj)?;
        nonneg_f("energy.dram_byte_pj", e.dram_byte_pj)?;
        nonneg_f("energy.spad_byte_pj", e.spad_byte_pj)?;
        nonneg_f("energy.scalar_instr_pj", e.scalar_instr_pj)?;
        nonneg_f("energy.post_elem_pj", e.post_elem_pj)?;
        nonneg_f("energy.static_mw", e.static_mw)?;
        nonneg_f("energy.array_mw", e.array_mw)?;
        // Large enough for any real design, small enough that totals stay finite (1e308
        // printed `inf` and wrote `null` into the stats JSON).
        for (key, v) in [
            ("energy.mac_bit_pj", e.mac_bit_pj),
            ("energy.mac_op_pj", e.mac_op_pj),
            ("energy.dram_byte_pj", e.dram_byte_pj),
            ("energy.spad_byte_pj", e.spad_byte_pj),
            ("energy.scalar_instr_pj", e.scalar_instr_pj),
            ("energy.post_elem_pj", e.post_elem_pj),
            ("energy.static_mw", e.static_mw),
            ("energy.array_mw", e.array_mw),
        ] {
            at_most(key, v, 1e9)?;
        }
        Ok(())
    }

    /// Total bit-serial lanes of the MAC array (rows × cols × lanes).
    pub fn total_lanes(&self) -> u64 {
        self.mac.rows as u64 * self.mac.cols as u64 * self.mac.lanes as u64
    }
}

#[cfg(test)]
mod range_tests {
    use super::*;

    fn err(toml: &str) -> String {
        HwConfig::parse(toml).unwrap_err().to_string()
    }

    #[test]
    fn every_field_is_range_checked() {
        assert!(HwConfig::default().validate().is_ok());
        assert!(err("[mac]\ncols = 100000\n").contains("mac.cols"));
        assert!(err("[mac]\nrows = 2048\ncols = 4096\n").contains("mac.cols"));
        assert!(err("[mem]\ndram_bytes = 65539\n").contains("multiple of 4096"));
        assert!(err("[mem]\nacc_bytes = 6\n").contains("mem.acc_bytes"));
        assert!(err("[clock]\nfreq_mhz = 1e-30\n").contains("clock.freq_mhz"));
        assert!(err("[energy]\nmac_bit_pj = 1e308\n").contains("energy.mac_bit_pj"));
        assert!(err("[mem]\ndram_latency = 4000000000\n").contains("mem.dram_latency"));
        assert!(err("[scalar]\nalu = 4000000000\n").contains("scalar.alu"));
        assert!(err("[rle]\ndecode_elems_per_cycle = 4000000000\n").contains("rle.decode"));
    }
}
