//! `bitloom quant`: read a float `.npy`, quantise it into one Loom format
//! (`bitloom_quant`), write the code and side tensors and a report into OUTDIR, print the
//! report (text, or JSON with `--json`). docs/QUANT.md describes every option.

use std::path::PathBuf;

use bitloom_isa::numfmt::LogBase;
use bitloom_quant::{Format, KChoice, LutMethod, Options, ScaleRule, VsqRound};
use clap::{Args, ValueEnum};

#[derive(Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Int,
    Uint,
    Log,
    Lut,
    Vsq,
    Cluster,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ScaleArg {
    Absmax,
    Mse,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum LutArg {
    Kmeans,
    Quantile,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum BaseArg {
    #[value(name = "2")]
    Two,
    #[value(name = "sqrt2")]
    Sqrt2,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum RoundArg {
    Nearest,
    Up,
}

/// Arguments of `bitloom quant`.
#[derive(Args)]
pub struct QuantArgs {
    /// Float tensor (.npy: float16/32/64).
    input: PathBuf,
    /// Number format.
    #[arg(long, value_enum)]
    format: FormatArg,
    /// Code bits N (int/uint/lut/vsq 1..8, log 2..5, cluster 2..8).
    #[arg(long)]
    bits: u32,
    /// Output directory (created if missing).
    #[arg(short, long)]
    output: PathBuf,
    /// Per-channel scales along this axis (negative: from the end); default per tensor.
    #[arg(long, allow_hyphen_values = true)]
    axis: Option<i64>,
    /// Scale rule for int/log/cluster: absmax (no clipping) or mse (least squared error).
    #[arg(long, value_enum, default_value = "absmax")]
    scale: ScaleArg,
    /// uint: shift the zero-point to raise high-order-slice sparsity (Panacea ZPM).
    #[arg(long)]
    zpm: bool,
    /// uint --zpm: largest zero-point shift in steps (default 2^(slice-1)).
    #[arg(long)]
    zpm_window: Option<u32>,
    /// uint --zpm: largest SQNR loss (dB) the shift may cost by clipping.
    #[arg(long, default_value_t = 1.0)]
    zpm_max_loss: f64,
    /// Bit-slice width s for slice statistics and --zpm.
    #[arg(long, default_value_t = 4)]
    slice: u32,
    /// log: base 2 or sqrt2 (the machine's 1.5·2^h step).
    #[arg(long, value_enum, default_value = "2")]
    log_base: BaseArg,
    /// Calibration activations (.npy of shape `(samples, K)` or `(K,)`) for bias correction
    /// of a 2-D weight of shape `(out, K)`.
    #[arg(long)]
    calib: Option<PathBuf>,
    /// Activation scale, to write bias correction in accumulator units (bcorr_acc.npy).
    #[arg(long)]
    act_scale: Option<f64>,
    /// lut: codebook method.
    #[arg(long, value_enum, default_value = "kmeans")]
    lut_method: LutArg,
    /// vsq: vector length V.
    #[arg(long, default_value_t = 64)]
    vlen: usize,
    /// vsq: bits M of the integer per-vector scale.
    #[arg(long, default_value_t = 4)]
    scale_bits: u32,
    /// vsq: axis the vectors run along (1: K of an M×K weight; 0: K of a K×N activation).
    #[arg(long, default_value_t = 1)]
    vector_axis: usize,
    /// vsq: rounding of the integer per-vector scale.
    #[arg(long, value_enum, default_value = "nearest")]
    vsq_round: RoundArg,
    /// cluster: effectual bits k per weight, or `auto` (smallest k reaching --target-sqnr).
    #[arg(long)]
    k: Option<String>,
    /// cluster --k auto: SQNR target in dB.
    #[arg(long, default_value_t = 30.0)]
    target_sqnr: f64,
    /// Also pack the codes as an RLE stream with this run-field width r (1..8; default 4).
    #[arg(long, num_args = 0..=1, default_missing_value = "4")]
    rle: Option<u32>,
    /// Lanes per group for the effectual-bit imbalance statistic.
    #[arg(long, default_value_t = 16)]
    lane_group: usize,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Run `bitloom quant`; the error is the message to print.
pub fn run(a: QuantArgs) -> Result<(), String> {
    let format = match a.format {
        FormatArg::Int => Format::Int,
        FormatArg::Uint => Format::Uint,
        FormatArg::Log => Format::Log,
        FormatArg::Lut => Format::Lut,
        FormatArg::Vsq => Format::Vsq,
        FormatArg::Cluster => Format::Cluster,
    };
    let mut o = Options::new(format, a.bits);
    o.axis = a.axis;
    o.scale = match a.scale {
        ScaleArg::Absmax => ScaleRule::Absmax,
        ScaleArg::Mse => ScaleRule::Mse,
    };
    o.zpm = a.zpm;
    o.zpm_window = a.zpm_window;
    o.zpm_max_loss = a.zpm_max_loss;
    o.slice = a.slice;
    o.log_base = match a.log_base {
        BaseArg::Two => LogBase::Two,
        BaseArg::Sqrt2 => LogBase::Sqrt2,
    };
    if format != Format::Log && !matches!(a.log_base, BaseArg::Two) {
        return Err("--log-base applies to --format log".into());
    }
    o.lut_method = match a.lut_method {
        LutArg::Kmeans => LutMethod::Kmeans,
        LutArg::Quantile => LutMethod::Quantile,
    };
    o.vlen = a.vlen;
    o.scale_bits = a.scale_bits;
    o.vector_axis = a.vector_axis;
    o.vsq_round = match a.vsq_round {
        RoundArg::Nearest => VsqRound::Nearest,
        RoundArg::Up => VsqRound::Up,
    };
    o.k = match a.k.as_deref() {
        None => None,
        Some("auto") => Some(KChoice::Auto(a.target_sqnr)),
        Some(s) => Some(KChoice::Fixed(s.parse().map_err(|_| {
            format!("--k expects a number of effectual bits or `auto`, got `{s}`")
        })?)),
    };
    o.rle = a.rle;
    o.lane_group = a.lane_group;
    o.act_scale = a.act_scale;
    // Option errors before any file is read.
    let e = |e: bitloom_quant::Error| format!("error: {e}");
    if let Some(c) = &a.calib {
        o.calib = Some(bitloom_quant::npy::read_float(c).map_err(e)?);
    } else {
        o.validate().map_err(e)?;
    }
    let t = bitloom_quant::npy::read_float(&a.input).map_err(e)?;
    let q = bitloom_quant::quantize(&t, &o).map_err(e)?;
    let mut report = bitloom_quant::report::build(&a.input.display().to_string(), &t, &q);
    let mut inputs = vec![a.input.as_path()];
    inputs.extend(a.calib.as_deref());
    bitloom_quant::report::write_outputs(&a.output, &q, &mut report, &inputs).map_err(e)?;
    if a.json {
        crate::output::emit(&format!("{}\n", report.json()))?;
    } else {
        crate::output::emit(&report.text())?;
    }
    Ok(())
}
