//! Shipped hardware descriptions for the papers' design points (`emu/hw/presets/*.toml`,
//! embedded in the binary), selected as `--hw preset:NAME`. Each file says in a comment
//! which published numbers it is calibrated against; `emu/tests/presets.rs` checks them.

/// One shipped preset.
#[derive(Clone, Copy, Debug)]
pub struct Preset {
    /// Name after `preset:`.
    pub name: &'static str,
    /// One line: the design it configures.
    pub summary: &'static str,
    /// The TOML text.
    pub toml: &'static str,
}

/// Every preset, in the order `bitloom hw --presets` lists them.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "seed000",
        summary: "seed 000 (JSSC 2024): LUT + bit-serial + RLE, 0.87-5.55 TOPS, flat 58 mW",
        toml: include_str!("../../hw/presets/seed000.toml"),
    },
    Preset {
        name: "bitcluster",
        summary: "seed 004: BitCluster-compatible bit-serial accelerator (1.6x util, 3.4x)",
        toml: include_str!("../../hw/presets/bitcluster.toml"),
    },
    Preset {
        name: "panacea",
        summary: "seed 002: Panacea-like asymmetric bit-slice engine (no published figure)",
        toml: include_str!("../../hw/presets/panacea.toml"),
    },
    Preset {
        name: "vsq",
        summary: "seed 003: per-vector scaled 4-bit engine, 95.6 TOPS/W",
        toml: include_str!("../../hw/presets/vsq.toml"),
    },
    Preset {
        name: "bit-parallel",
        summary: "baseline: bit-parallel lanes, one cycle per pass",
        toml: include_str!("../../hw/presets/bit-parallel.toml"),
    },
    Preset {
        name: "stripes",
        summary: "baseline: Stripes, activation-serial, P_a cycles per pass",
        toml: include_str!("../../hw/presets/stripes.toml"),
    },
    Preset {
        name: "bitfusion",
        summary: "baseline: Bit Fusion, fused 2-bit bricks",
        toml: include_str!("../../hw/presets/bitfusion.toml"),
    },
    Preset {
        name: "pragmatic",
        summary: "baseline: Bit-Pragmatic, activation oneffsets, one-cycle empty bricks",
        toml: include_str!("../../hw/presets/pragmatic.toml"),
    },
    Preset {
        name: "laconic",
        summary: "baseline: Laconic, Booth terms of both operands",
        toml: include_str!("../../hw/presets/laconic.toml"),
    },
];

/// The preset called `name`.
pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}
