//! Configuration and status registers (CSRs): the machine's run-time reconfigurable state.
//!
//! Like the instruction table, this table is the single definition: the assembler resolves
//! names from it, the emulator checks writes against its ranges and resets from its reset
//! values, the debugger lists it, and docs/ISA.md's CSR list is generated from it.

/// How a CSR may be accessed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Written by `cfg`/`cfgi`, read by `csrr`.
    ReadWrite,
    /// Read by `csrr` only; updated by the machine.
    ReadOnly,
}

/// One configuration/status register.
#[derive(Debug)]
pub struct CsrDef {
    /// Register number (the 8-bit field value).
    pub num: u8,
    /// Assembly name.
    pub name: &'static str,
    /// Access mode.
    pub access: Access,
    /// Value after reset.
    pub reset: u32,
    /// Inclusive range of legal values (writes outside trap).
    pub range: (u32, u32),
    /// One-line description.
    pub doc: &'static str,
}

macro_rules! csr_table {
    ($( $konst:ident = $num:literal, $name:literal, $acc:ident, reset $reset:literal, range $lo:literal ..= $hi:literal, $doc:literal; )*) => {
        $( #[doc = $doc] pub const $konst: u8 = $num; )*
        /// Every CSR, in number order.
        pub static CSRS: &[CsrDef] = &[ $( CsrDef { num: $num, name: $name, access: Access::$acc, reset: $reset, range: ($lo, $hi), doc: $doc }, )* ];
    };
}

csr_table! {
    WPREC = 0x00, "wprec", ReadWrite, reset 8, range 1..=8, "Weight precision in bits, stamped into wsp tiles by `tdef`.";
    APREC = 0x01, "aprec", ReadWrite, reset 8, range 1..=8, "Activation precision in bits, stamped into asp tiles by `tdef`.";
    WFMT = 0x02, "wfmt", ReadWrite, reset 0, range 0..=4, "Weight number format, stamped into wsp tiles by `tdef`: 0 int, 1 uint (zero-point), 2 log, 3 lut, 4 cluster.";
    AFMT = 0x03, "afmt", ReadWrite, reset 0, range 0..=4, "Activation number format, stamped into asp tiles by `tdef` (same codes; log is weight-only and traps in a MAC).";
    WZP = 0x04, "wzp", ReadWrite, reset 0, range 0..=255, "Weight zero-point of the uint format, stamped into wsp tiles by `tdef`; a MAC, or `rqnt` writing a uint wsp tile, uses the tile's stamped value, not this CSR.";
    AZP = 0x05, "azp", ReadWrite, reset 0, range 0..=255, "Activation zero-point of the uint format, stamped into asp tiles by `tdef`; a MAC, or `rqnt` writing a uint asp tile (its output zero-point), uses the tile's stamped value, not this CSR.";
    WLUT = 0x06, "wlut", ReadWrite, reset 0, range 0..=3, "LUT number of the lut format, stamped into wsp tiles by `tdef`; the LUT's entries are read when the tile is used.";
    ALUT = 0x07, "alut", ReadWrite, reset 0, range 0..=3, "LUT number of the lut format, stamped into asp tiles by `tdef`; the LUT's entries are read when the tile is used.";
    SLICE = 0x08, "slice", ReadWrite, reset 0, range 0..=7, "Bit-slice width s for uint activations (x = HO * 2^s + LO), read by `bsmac`/`vscale`; 0 disables bit-slice execution.";
    SFREQ = 0x09, "sfreq", ReadWrite, reset 0, range 0..=255, "Frequent high-order slice value r that is skipped and compensated, read by `bsmac`/`vscale`; 255 = pick the most frequent HO value of the tile at run time.";
    CK = 0x0a, "ck", ReadWrite, reset 2, range 1..=8, "BitCluster: at most k signed power-of-two terms per cluster-format code; read by `bsmac`/`vscale` when they execute.";
    SERIAL = 0x0b, "serial", ReadWrite, reset 0, range 0..=2, "Serialised operand of bit-serial MACs, read by `bsmac`/`vscale`: 0 weights, 1 activations, 2 both.";
    LOGBASE = 0x0c, "logbase", ReadWrite, reset 0, range 0..=1, "Base of the log weight format, read by `bsmac`/`vscale` (not stamped): 0 base 2, 1 base sqrt(2) (half steps as x + (x >> 1)).";
    DTHRESH = 0x0d, "dthresh", ReadWrite, reset 500, range 0..=1000, "Density threshold in per-mille: `dchk` sets `dense` when density >= dthresh.";
    RSHIFT = 0x0e, "rshift", ReadWrite, reset 0, range 0..=62, "Right shift applied by `rqnt` after the per-channel multiply.";
    RELU = 0x0f, "relu", ReadWrite, reset 0, range 0..=1, "1: `rqnt` clamps below at its output tile's zero-point (stamped at `tdef`; 0 for an int tile): fused ReLU.";
    VLEN = 0x10, "vlen", ReadWrite, reset 64, range 1..=4096, "Vector length of per-vector scaling (`vscale`).";
    RLERUN = 0x11, "rlerun", ReadWrite, reset 4, range 1..=8, "Run-field width r of RLE streams, stamped into tiles by `tdef`.";
    RMODE = 0x12, "rmode", ReadWrite, reset 0, range 0..=2, "Rounding of `rqnt`: 0 half up (toward +inf), 1 floor (truncate), 2 half to even.";
    DSTRIDE = 0x13, "dstride", ReadWrite, reset 0, range 0..=0x0100_0000, "DRAM row stride in bytes of `ld.raw`/`st.raw` (2-D DMA): row r of the tile is at rs1 + r * dstride; 0 = rows packed back to back.";
    CYCLE = 0x80, "cycle", ReadOnly, reset 0, range 0..=0xffff_ffff, "Cycle counter, low 32 bits (modelled cycles; equals instret without the timing model).";
    CYCLEH = 0x81, "cycleh", ReadOnly, reset 0, range 0..=0xffff_ffff, "Cycle counter, high 32 bits.";
    INSTRET = 0x82, "instret", ReadOnly, reset 0, range 0..=0xffff_ffff, "Retired instructions, low 32 bits.";
    INSTRETH = 0x83, "instreth", ReadOnly, reset 0, range 0..=0xffff_ffff, "Retired instructions, high 32 bits.";
    DENSITY = 0x84, "density", ReadOnly, reset 0, range 0..=1000, "Density of the last `dchk`, per-mille.";
    DENSE = 0x85, "dense", ReadOnly, reset 0, range 0..=1, "1 if the last `dchk` found density >= dthresh.";
    NNZ = 0x86, "nnz", ReadOnly, reset 0, range 0..=0xffff_ffff, "Non-zero count of the last `dchk`.";
}

/// Look a CSR up by number.
pub fn by_num(n: u8) -> Option<&'static CsrDef> {
    CSRS.iter().find(|c| c.num == n)
}

/// Look a CSR up by name (case-insensitive).
pub fn by_name(s: &str) -> Option<&'static CsrDef> {
    CSRS.iter().find(|c| c.name.eq_ignore_ascii_case(s))
}
