//! `bitloom quant`: float tensors (`.npy`) quantised into every Loom number format, with the
//! side tensors a kernel needs (scales, zero-points, LUT, per-vector scales, bias
//! correction) and a report (SQNR, density, effectual bits, slice sparsity, RLE). The
//! code ↔ value rules are `bitloom_isa::numfmt::FormatSpec`'s; this crate only chooses
//! scales, zero-points, codebooks and k, then asks `FormatSpec::quantize` for each code.
//! Formulas and references: docs/QUANT.md.
//!
//! * [`npy`]: `.npy` reading (with every bad-file check) and atomic writing.
//! * [`tensor`]: the checked float tensor and its channel layout.
//! * [`uniform`]: symmetric `int`, asymmetric `uint` with zero-point manipulation.
//! * [`log`]: ASLog-style log weights; [`bcorr`]: bias correction from calibration data.
//! * [`lut`]: k-means / quantile codebooks; [`vsq`]: per-vector scales; [`cluster`]:
//!   BitCluster.
//! * [`stats`]: SQNR, effectual bits, slices, RLE; [`report`]: text/JSON and output files.

pub mod bcorr;
pub mod cluster;
pub mod log;
pub mod lut;
pub mod npy;
pub mod report;
pub mod stats;
pub mod tensor;
pub mod uniform;
pub mod vsq;

use bitloom_isa::numfmt::{FormatError, LogBase};

pub use tensor::{Channels, Tensor};

/// A quantisation error: a message for the user (file names included where known).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(String);

impl Error {
    /// An error with this message.
    pub fn new(msg: impl Into<String>) -> Error {
        Error(msg.into())
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl From<FormatError> for Error {
    fn from(e: FormatError) -> Error {
        Error(e.to_string())
    }
}

/// Output format of `bitloom quant`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Symmetric two's complement, scale = absmax / (2^(N−1) − 1).
    Int,
    /// Asymmetric unsigned with a zero-point (optionally manipulated for slice sparsity).
    Uint,
    /// Sign + exponent (ASLog), base 2 or √2.
    Log,
    /// Codes into a LUT of 8-bit values (k-means or quantile codebook).
    Lut,
    /// N-bit int values with an M-bit integer scale per vector and a per-channel γ.
    Vsq,
    /// BitCluster: sign-magnitude with at most k signed power-of-two terms per weight.
    Cluster,
}

impl Format {
    /// Name as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Int => "int",
            Format::Uint => "uint",
            Format::Log => "log",
            Format::Lut => "lut",
            Format::Vsq => "vsq",
            Format::Cluster => "cluster",
        }
    }
}

/// How a symmetric scale is chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ScaleRule {
    /// The largest magnitude maps to the largest code value (no clipping).
    #[default]
    Absmax,
    /// The scale in [0.5, 1] × the absmax scale (33 candidates) with the least squared error.
    Mse,
}

/// LUT codebook construction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LutMethod {
    /// Lloyd's k-means, initialised at the quantiles (deterministic).
    #[default]
    Kmeans,
    /// Centroids at the (i + ½)/2^N quantiles.
    Quantile,
}

/// Rounding of the VSQ integer per-vector scale `s_fp / γ`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VsqRound {
    /// Nearest (seed 003): may clip the vector's extreme element slightly.
    #[default]
    Nearest,
    /// Up: never clips, so every element is within half a step.
    Up,
}

/// BitCluster k: fixed, or the smallest k reaching an SQNR target.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum KChoice {
    /// This k.
    Fixed(u32),
    /// Smallest k in 1..=N−1 whose SQNR reaches this many dB (else the largest k).
    Auto(f64),
}

/// What to quantise into, and how.
#[derive(Clone, Debug)]
pub struct Options {
    /// Format.
    pub format: Format,
    /// Code bits N.
    pub bits: u32,
    /// Per-channel along this axis (negative from the end); `None`: per tensor.
    pub axis: Option<i64>,
    /// Scale rule (int, log, cluster).
    pub scale: ScaleRule,
    /// uint: manipulate the zero-point to raise HO-slice sparsity.
    pub zpm: bool,
    /// Bit-slice width s for slice statistics and zero-point manipulation (1..=7).
    pub slice: u32,
    /// uint + zpm: largest zero-point shift in steps (default 2^(s−1)).
    pub zpm_window: Option<u32>,
    /// uint + zpm: largest SQNR loss (dB) a zero-point shift may cost.
    pub zpm_max_loss: f64,
    /// log: base.
    pub log_base: LogBase,
    /// Calibration activations `[samples, K]` or `[K]` for bias correction.
    pub calib: Option<Tensor>,
    /// Activation scale (real value per activation integer unit) to express bias correction
    /// in accumulator units.
    pub act_scale: Option<f64>,
    /// lut: codebook method.
    pub lut_method: LutMethod,
    /// vsq: vector length V.
    pub vlen: usize,
    /// vsq: bits M of the integer per-vector scale (1..=8).
    pub scale_bits: u32,
    /// vsq: axis the vectors run along (0 or 1 of a 2-D tensor; default 1, the K axis of an
    /// M×K weight; 0 for a K×N activation).
    pub vector_axis: usize,
    /// vsq: rounding of the integer per-vector scale.
    pub vsq_round: VsqRound,
    /// cluster: k.
    pub k: Option<KChoice>,
    /// RLE run-field width r to pack the codes with (1..=8); `None`: no RLE.
    pub rle: Option<u32>,
    /// Lanes per group for the effectual-bit imbalance statistic.
    pub lane_group: usize,
}

impl Options {
    /// Defaults for `format` at `bits`.
    pub fn new(format: Format, bits: u32) -> Options {
        Options {
            format,
            bits,
            axis: None,
            scale: ScaleRule::Absmax,
            zpm: false,
            slice: 4,
            zpm_window: None,
            zpm_max_loss: 1.0,
            log_base: LogBase::Two,
            calib: None,
            act_scale: None,
            lut_method: LutMethod::Kmeans,
            vlen: 64,
            scale_bits: 4,
            vector_axis: 1,
            vsq_round: VsqRound::Nearest,
            k: None,
            rle: None,
            lane_group: 16,
        }
    }

    /// Reject option combinations that do not apply to the format or are out of range.
    pub fn validate(&self) -> Result<(), Error> {
        let f = self.format.name();
        let bad = |m: String| Err(Error::new(m));
        if self.zpm && self.format != Format::Uint {
            return bad(format!("--zpm applies to --format uint, not {f}"));
        }
        if self.zpm_max_loss.is_nan() || self.zpm_max_loss < 0.0 {
            return bad(format!(
                "--zpm-max-loss must be ≥ 0 dB, got {}",
                self.zpm_max_loss
            ));
        }
        if self.zpm_window.is_some() && !self.zpm {
            return bad("--zpm-window needs --zpm".into());
        }
        if !(1..=7).contains(&self.slice) {
            return bad(format!("--slice must be in 1..=7, got {}", self.slice));
        }
        if self.zpm && self.bits <= self.slice {
            return bad(format!(
                "--zpm needs --bits greater than --slice ({} ≤ {}): there is no high-order slice",
                self.bits, self.slice
            ));
        }
        if self.k.is_some() != (self.format == Format::Cluster) {
            return bad(if self.k.is_some() {
                format!("--k applies to --format cluster, not {f}")
            } else {
                "--format cluster needs --k K (1..=7) or --k auto".into()
            });
        }
        if self.format == Format::Lut && self.axis.is_some() {
            return bad("--format lut uses one LUT per tensor: drop --axis".into());
        }
        if self.format == Format::Vsq {
            if self.axis.is_some() {
                return bad("--format vsq has a per-channel γ across the vectors already: drop --axis (use --vector-axis)".into());
            }
            if self.vlen == 0 || self.vlen > 4096 {
                return bad(format!("--vlen must be in 1..=4096, got {}", self.vlen));
            }
            if !(1..=8).contains(&self.scale_bits) {
                return bad(format!(
                    "--scale-bits must be in 1..=8, got {}",
                    self.scale_bits
                ));
            }
            if self.vector_axis > 1 {
                return bad(format!(
                    "--vector-axis must be 0 or 1, got {}",
                    self.vector_axis
                ));
            }
        }
        if self.scale == ScaleRule::Mse
            && !matches!(self.format, Format::Int | Format::Log | Format::Cluster)
        {
            return bad(format!(
                "--scale mse applies to int, log and cluster, not {f}"
            ));
        }
        if self.act_scale.is_some() && self.calib.is_none() {
            return bad("--act-scale needs --calib".into());
        }
        if let Some(s) = self.act_scale {
            if !(s.is_finite() && s > 0.0) {
                return bad(format!("--act-scale must be positive and finite, got {s}"));
            }
        }
        if let Some(r) = self.rle {
            if !(1..=8).contains(&r) {
                return bad(format!("--rle run width must be in 1..=8, got {r}"));
            }
        }
        if self.lane_group == 0 {
            return bad("--lane-group must be at least 1".into());
        }
        Ok(())
    }
}

/// VSQ per-vector integer scales: `rows × nvec` codes of `bits` bits.
#[derive(Clone, Debug, PartialEq)]
pub struct VectorScales {
    /// Shape of the scale tensor (`[M, V]` for vectors along axis 1, `[V, N]` along axis 0).
    pub shape: [usize; 2],
    /// Unsigned integer scales, row-major.
    pub codes: Vec<u8>,
    /// Bits M.
    pub bits: u32,
}

/// Result of zero-point manipulation: what it changed.
#[derive(Clone, Debug, PartialEq)]
pub struct Zpm {
    /// Zero-points before the shift (per channel).
    pub zp_before: Vec<u8>,
    /// Slice statistics before.
    pub before: stats::SliceStats,
    /// SQNR before (dB; `None`: exact).
    pub sqnr_before: Option<f64>,
}

/// A quantised tensor with everything a kernel needs.
#[derive(Clone, Debug)]
pub struct Quantized {
    /// The options used (k resolved).
    pub options: Options,
    /// Shape of the input and of the codes.
    pub shape: Vec<usize>,
    /// Codes, row-major (`bits` bits each).
    pub codes: Vec<u8>,
    /// Real value of each code before scaling (`val(c)`, the LUT entry, the log multiplier).
    pub values: Vec<f64>,
    /// Dequantised tensor: value × scale(s).
    pub recon: Vec<f64>,
    /// Per-channel scale (one per tensor when not per-channel; γ for vsq).
    pub scales: Vec<f64>,
    /// Channel axis of `scales` (`None`: per tensor).
    pub axis: Option<usize>,
    /// uint: zero-point per channel.
    pub zero_points: Vec<u8>,
    /// lut: the 2^N-entry table.
    pub lut: Vec<i8>,
    /// vsq: per-vector scales.
    pub vscale: Option<VectorScales>,
    /// cluster: k used, and for `--k auto` the SQNR of each k tried.
    pub ck: Option<u32>,
    /// cluster `--k auto`: (k, SQNR dB) tried.
    pub k_search: Vec<(u32, Option<f64>)>,
    /// uint `--zpm`: before/after.
    pub zpm: Option<Zpm>,
    /// Bias correction per output channel, real units: `Σ_i (W_q − W)[o, i]·E[x_i]`.
    pub bcorr: Option<Vec<f64>>,
    /// Bias correction in accumulator units (`bcorr` divides by `scale_w[o]·act_scale`),
    /// rounded to int32, for `bcorr tacc, tb`.
    pub bcorr_acc: Option<Vec<i32>>,
}

impl Quantized {
    fn base(options: &Options, t: &Tensor) -> Quantized {
        Quantized {
            options: options.clone(),
            shape: t.shape().to_vec(),
            codes: Vec::new(),
            values: Vec::new(),
            recon: Vec::new(),
            scales: Vec::new(),
            axis: None,
            zero_points: Vec::new(),
            lut: Vec::new(),
            vscale: None,
            ck: None,
            k_search: Vec::new(),
            zpm: None,
            bcorr: None,
            bcorr_acc: None,
        }
    }
}

/// The channel layout of `opts.axis` on `t`, and the resolved axis.
pub(crate) fn channels(t: &Tensor, opts: &Options) -> Result<(Channels, Option<usize>), Error> {
    match opts.axis {
        None => Ok((Channels::per_tensor(), None)),
        Some(a) => {
            let c = Channels::along(t.shape(), a).map_err(Error::new)?;
            let nd = t.shape().len() as i64;
            Ok((c, Some(if a < 0 { a + nd } else { a } as usize)))
        }
    }
}

/// Quantise `t` as `opts` say.
pub fn quantize(t: &Tensor, opts: &Options) -> Result<Quantized, Error> {
    opts.validate()?;
    let mut q = Quantized::base(opts, t);
    match opts.format {
        Format::Int => uniform::int(t, opts, &mut q)?,
        Format::Uint => uniform::uint(t, opts, &mut q)?,
        Format::Log => log::quantize(t, opts, &mut q)?,
        Format::Lut => lut::quantize(t, opts, &mut q)?,
        Format::Vsq => vsq::quantize(t, opts, &mut q)?,
        Format::Cluster => cluster::quantize(t, opts, &mut q)?,
    }
    if let Some(calib) = &opts.calib {
        bcorr::apply(t, calib, opts.act_scale, &mut q)?;
    }
    Ok(q)
}
