//! The documentation of every hardware-description field — one line saying what it is and
//! its unit — and the documented TOML that `bitloom hw` prints and `emu/hw/default.toml`
//! holds ([`HwConfig::to_documented_toml`]).
//!
//! [`FIELDS`] is the one place these comments live: the rendering takes them from here, and a
//! test fails when a field of [`HwConfig`] has no entry (or an entry names no field, or a
//! number has no unit).

use crate::hw::HwConfig;

/// What one field means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldDoc {
    /// TOML section (`mem`).
    pub section: &'static str,
    /// Key within it (`dram_bytes`).
    pub key: &'static str,
    /// Unit (`bytes`, `cycles`, `pJ per byte`); empty for flags and names.
    pub unit: &'static str,
    /// One line: what the field is for.
    pub doc: &'static str,
}

macro_rules! fields {
    ($( $section:literal . $key:literal [$unit:literal] $doc:literal ;)*) => {
        /// Every field of [`HwConfig`], in file order.
        pub const FIELDS: &[FieldDoc] = &[
            $( FieldDoc { section: $section, key: $key, unit: $unit, doc: $doc }, )*
        ];
    };
}

fields! {
    "clock"."freq_mhz" ["MHz"] "Accelerator clock: converts cycles into seconds for TOPS, power and energy.";
    "mem"."dram_bytes" ["bytes"] "DRAM size (the stack starts at the top); a multiple of 4096.";
    "mem"."wsp_bytes" ["bytes"] "Weight scratchpad size.";
    "mem"."asp_bytes" ["bytes"] "Activation scratchpad size.";
    "mem"."acc_bytes" ["bytes"] "Accumulator scratchpad size (4 bytes per accumulator).";
    "mem"."dram_bytes_per_cycle" ["bytes per cycle"] "DRAM interface bandwidth seen by the DMA.";
    "mem"."dram_latency" ["cycles"] "From a DMA request to its first byte (also charged to set.lut).";
    "mem"."spad_bytes_per_cycle" ["bytes per cycle"] "Bandwidth of one scratchpad port on the DMA side.";
    "rle"."decode_elems_per_cycle" ["elements per cycle"] "Expanded elements out of the RLE decoder / zero eliminator (ld.rle).";
    "rle"."encode_elems_per_cycle" ["elements per cycle"] "Elements into the RLE encoder (st.rle).";
    "mac"."model" [""] "Cycle formula: \"loom\", \"bit-parallel\", \"stripes\", \"pragmatic\", \"laconic\" or \"bitfusion\".";
    "mac"."rows" ["PEs"] "PE rows: output rows (m) computed in parallel.";
    "mac"."cols" ["PEs"] "PE columns: output columns (n) computed in parallel.";
    "mac"."lanes" ["lanes per PE"] "Bit-serial lanes per PE (reduction elements in flight per PE).";
    "mac"."group" ["lanes"] "Lanes per lane group; the lanes of a group advance in lock-step. lanes must be a multiple.";
    "mac"."pass_overhead" ["cycles per pass"] "Fixed cost of a bit-serial pass: throughput T(p) ~ 1 / (p + pass_overhead) (seed 000).";
    "mac"."zero_elim" [""] "Loom: the zero eliminator packs only non-zero x non-zero pairs into lanes.";
    "mac"."zero_bit_skip" [""] "Loom: int/uint serial operands skip zero bits (cost = effectual bits, max over the group).";
    "mac"."fixed_latency" ["cycles"] "Pipeline fill/drain added to every MAC instruction.";
    "mac"."vector_scale_cycles" ["cycles per (output, vector)"] "Extra cost of the per-vector scale multiply of vscale.";
    "mac"."sync" [""] "\"lockstep\" (hardware: PEs sharing a broadcast row/column advance one wave at a time, each wave as slow as its slowest lane) or \"decoupled\" (an idealisation: every PE at its own pace).";
    "mac"."terms" [""] "Term recoding of serial int/uint operands when bits are skipped: \"binary\" (popcount), \"booth\" (non-zero digits of the non-adjacent form) or \"auto\" (booth for laconic, binary otherwise).";
    "mac"."empty_pass" [""] "A pass whose lanes all cost 0: \"skip\", \"one\" (1 cycle + overhead, as Bit-Pragmatic) or \"auto\" (one for pragmatic and laconic).";
    "mac"."first_stage_bits" ["bits"] "Pragmatic's two-stage shifter: in a cycle a lane takes its next term only if it lies within 2^bits positions of the lane group's lowest pending term (0..8; 8, or anything from 5 for 8-bit operands, is a single-stage shifter).";
    "post"."elems_per_cycle" ["elements per cycle"] "Accumulator elements through bias/bcorr/relu/rqnt.";
    "post"."latency" ["cycles"] "Pipeline latency of a post-processing instruction.";
    "tile"."elems_per_cycle" ["elements per cycle"] "Elements zeroed by tzero or counted by dchk (runtime density detector).";
    "scalar"."alu" ["cycles"] "An ALU instruction.";
    "scalar"."muldiv" ["cycles"] "A multiply/divide/remainder.";
    "scalar"."load" ["cycles"] "A scalar load.";
    "scalar"."store" ["cycles"] "A scalar store.";
    "scalar"."branch" ["cycles"] "A branch (not taken).";
    "scalar"."jump" ["cycles"] "A jump, before the taken penalty.";
    "scalar"."config" ["cycles"] "csrr/cfg/cfgi.";
    "scalar"."system" ["cycles"] "halt/ebreak/sync (after draining the units for halt/sync).";
    "scalar"."tile" ["cycles"] "tdef, and the issue part of tzero/dchk.";
    "scalar"."taken_penalty" ["cycles"] "Extra for a taken branch or any jump.";
    "scalar"."accel_issue" ["cycles"] "The core's cost of issuing a command to the DMA, MAC or post unit.";
    "scalar"."queue_depth" ["commands"] "Commands each unit queues before the core stalls (1..64).";
    "energy"."mac_bit_pj" ["pJ per lane bit-cycle"] "Energy of an effectual lane bit-cycle of the MAC array.";
    "energy"."mac_op_pj" ["pJ per product"] "Energy of a product computed (operand fetch into the lane, accumulate).";
    "energy"."dram_byte_pj" ["pJ per byte"] "Energy of a byte over the DRAM interface.";
    "energy"."spad_byte_pj" ["pJ per byte"] "Energy of a scratchpad byte read or written.";
    "energy"."scalar_instr_pj" ["pJ per instruction"] "Energy of an instruction through the scalar core.";
    "energy"."post_elem_pj" ["pJ per element"] "Energy of an element through the post-processing unit.";
    "energy"."static_mw" ["mW"] "Static power, charged for every cycle.";
    "energy"."power_model" [""] "MAC-array energy: \"events\" (mac_bit_pj per lane bit-cycle + mac_op_pj per product) or \"flat\" (array_mw while busy, whatever the precision, as seed 000 reports).";
    "energy"."array_mw" ["mW"] "MAC-array power while busy, for power_model = \"flat\".";
}

/// The comment block at the top of the documented TOML.
const HEADER: &str = "\
# Loom hardware description. Every key is optional (a missing one keeps its default);
# unknown sections or keys are errors. Each key's comment says what it is and its unit;
# docs/TIMING.md explains each mechanism and how the defaults compare with the papers'.
";

/// The documentation of `section.key`, if it has one.
pub fn field_doc(section: &str, key: &str) -> Option<&'static FieldDoc> {
    FIELDS.iter().find(|f| f.section == section && f.key == key)
}

impl HwConfig {
    /// The configuration as a commented TOML file: a header, then every section and field
    /// with the field's meaning and unit on the line above it (from [`FIELDS`]). Loading it
    /// gives this configuration back.
    pub fn to_documented_toml(&self) -> String {
        let mut out = String::from(HEADER);
        let mut section = String::new();
        for line in self.to_toml().lines() {
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.to_string();
                out.push('\n');
                out.push_str(line);
                out.push('\n');
            } else if let Some((key, _)) = line.split_once(" = ") {
                if let Some(f) = field_doc(&section, key) {
                    out.push_str("# ");
                    out.push_str(f.doc);
                    if !f.unit.is_empty() {
                        out.push_str(" Unit: ");
                        out.push_str(f.unit);
                        out.push('.');
                    }
                    out.push('\n');
                }
                out.push_str(line);
                out.push('\n');
            } else if !line.trim().is_empty() {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }

    /// The configuration as pretty-printed JSON (sections as objects), which deserialises
    /// back to the same configuration.
    pub fn to_json(&self) -> String {
        // Plain structs of numbers, strings and booleans always serialise.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (section, key) of the serialised default configuration, with whether its value
    /// is a number.
    fn serialised_fields() -> Vec<(String, String, bool)> {
        let v: toml::Value = toml::Value::try_from(HwConfig::default()).unwrap();
        let mut out = Vec::new();
        for (section, t) in v.as_table().unwrap() {
            for (key, val) in t.as_table().unwrap() {
                let number = val.is_integer() || val.is_float();
                out.push((section.clone(), key.clone(), number));
            }
        }
        out
    }

    #[test]
    fn every_field_has_a_comment_and_numbers_a_unit() {
        let fields = serialised_fields();
        for (section, key, number) in &fields {
            let f = field_doc(section, key)
                .unwrap_or_else(|| panic!("{section}.{key} has no entry in hw_doc::FIELDS"));
            assert!(!f.doc.trim().is_empty(), "{section}.{key}: empty comment");
            assert!(
                !*number || !f.unit.is_empty(),
                "{section}.{key} is a number without a unit"
            );
        }
        for f in FIELDS {
            assert!(
                fields.iter().any(|(s, k, _)| s == f.section && k == f.key),
                "FIELDS documents {}.{}, which HwConfig does not have",
                f.section,
                f.key
            );
        }
        assert_eq!(fields.len(), FIELDS.len());
    }

    #[test]
    fn every_key_line_is_preceded_by_its_comment() {
        let text = HwConfig::default().to_documented_toml();
        let lines: Vec<&str> = text.lines().collect();
        let mut keys = 0;
        for (i, l) in lines.iter().enumerate() {
            if l.contains(" = ") && !l.starts_with('#') {
                keys += 1;
                assert!(lines[i - 1].starts_with("# "), "no comment above `{l}`");
            }
        }
        assert_eq!(keys, FIELDS.len());
    }
}
