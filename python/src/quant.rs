//! The quantisers from Python: each function builds `bitloom_quant::Options` from keyword
//! arguments (the CLI's options under Python names), calls `bitloom_quant::quantize`, and
//! returns a `Quantized` whose fields are NumPy arrays. `bitloom.quant` (Python) re-exports
//! them as `int`, `uint`, `log`, `lut`, `vsq`, `cluster`.

use bitloom_isa::numfmt::LogBase;
use bitloom_quant::{quantize, Format, KChoice, LutMethod, Options, ScaleRule, Tensor, VsqRound};
use numpy::PyArrayMethods;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::convert::float_tensor;

/// A quantised tensor (docs/QUANT.md). Arrays are NumPy copies; fields that do not apply
/// to the format are None.
#[pyclass(frozen, get_all, module = "bitloom.quant")]
pub struct Quantized {
    /// `"int"`, `"uint"`, `"log"`, `"lut"`, `"vsq"` or `"cluster"`.
    pub format: String,
    /// Code bits N.
    pub bits: u32,
    /// uint8 codes, the input's shape (what `.npy`/`ld.raw` take).
    pub codes: Py<PyAny>,
    /// float64 real value of each code before scaling (`val(c)`, LUT entry, log multiplier).
    pub values: Py<PyAny>,
    /// float64 reconstruction x̂ (values × scales), the input's shape.
    pub dequant: Py<PyAny>,
    /// float64 scales: one per channel along `axis` (one in all when per tensor; γ for vsq).
    pub scales: Py<PyAny>,
    /// The channel axis of `scales` (None: per tensor).
    pub axis: Option<usize>,
    /// uint8 zero-points per channel (uint), else None.
    pub zero_points: Option<Py<PyAny>>,
    /// int8 LUT of 2^N entries (lut), else None.
    pub lut: Option<Py<PyAny>>,
    /// uint8 per-vector integer scales (vsq; [M, V] or [V, N]), else None.
    pub vscale: Option<Py<PyAny>>,
    /// Effectual bits per weight (cluster), else None.
    pub k: Option<u32>,
    /// SQNR of the reconstruction in dB (inf when exact).
    pub sqnr: f64,
    /// Bias correction per output channel in real units (with `calib`), else None.
    pub bcorr: Option<Py<PyAny>>,
    /// Bias correction in accumulator units, int32 [O, 1] (with `calib` and `act_scale`).
    pub bcorr_acc: Option<Py<PyAny>>,
}

#[pymethods]
impl Quantized {
    fn __repr__(&self) -> String {
        format!(
            "Quantized(format={:?}, bits={}, sqnr={:.2} dB)",
            self.format, self.bits, self.sqnr
        )
    }
}

fn arr<T: numpy::Element>(py: Python<'_>, v: Vec<T>, shape: &[usize]) -> PyResult<Py<PyAny>> {
    Ok(numpy::PyArray1::from_vec(py, v)
        .reshape(shape.to_vec())?
        .into_any()
        .unbind())
}

fn scale_rule(s: &str) -> PyResult<ScaleRule> {
    match s {
        "absmax" => Ok(ScaleRule::Absmax),
        "mse" => Ok(ScaleRule::Mse),
        _ => Err(PyValueError::new_err(format!(
            "scale={s:?}: expected \"absmax\" or \"mse\""
        ))),
    }
}

/// Bias-correction inputs shared by every quantiser.
fn calibration(
    py: Python<'_>,
    o: &mut Options,
    calib: Option<Bound<'_, PyAny>>,
    act_scale: Option<f64>,
) -> PyResult<()> {
    o.calib = calib.map(|c| float_tensor(py, &c)).transpose()?;
    o.act_scale = act_scale;
    Ok(())
}

fn run(py: Python<'_>, t: &Tensor, o: &Options) -> PyResult<Quantized> {
    let q = quantize(t, o).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let shape = q.shape.clone();
    let sqnr = bitloom_quant::stats::sqnr_db(t.data(), &q.recon).unwrap_or(f64::INFINITY);
    let n_scales = q.scales.len();
    Ok(Quantized {
        format: q.options.format.name().into(),
        bits: q.options.bits,
        codes: arr(py, q.codes, &shape)?,
        values: arr(py, q.values, &shape)?,
        dequant: arr(py, q.recon, &shape)?,
        scales: arr(py, q.scales, &[n_scales])?,
        axis: q.axis,
        zero_points: (q.options.format == Format::Uint)
            .then(|| {
                let n = q.zero_points.len();
                arr(py, q.zero_points, &[n])
            })
            .transpose()?,
        lut: (q.options.format == Format::Lut)
            .then(|| {
                let n = q.lut.len();
                arr(py, q.lut, &[n])
            })
            .transpose()?,
        vscale: q.vscale.map(|v| arr(py, v.codes, &v.shape)).transpose()?,
        k: q.ck,
        sqnr,
        bcorr: q
            .bcorr
            .map(|b| {
                let n = b.len();
                arr(py, b, &[n])
            })
            .transpose()?,
        bcorr_acc: q
            .bcorr_acc
            .map(|b| {
                let n = b.len();
                arr(py, b, &[n, 1])
            })
            .transpose()?,
    })
}

/// Symmetric int: `s = absmax / (2^(N−1) − 1)` per tensor or per channel along `axis`.
#[pyfunction]
#[pyo3(signature = (w, bits=8, *, axis=None, scale="absmax", calib=None, act_scale=None))]
fn quant_int(
    py: Python<'_>,
    w: &Bound<'_, PyAny>,
    bits: u32,
    axis: Option<i64>,
    scale: &str,
    calib: Option<Bound<'_, PyAny>>,
    act_scale: Option<f64>,
) -> PyResult<Quantized> {
    let t = float_tensor(py, w)?;
    let mut o = Options::new(Format::Int, bits);
    o.axis = axis;
    o.scale = scale_rule(scale)?;
    calibration(py, &mut o, calib, act_scale)?;
    run(py, &t, &o)
}

/// Asymmetric uint with a zero-point; `zpm` shifts the zero-points for HO-slice sparsity.
#[pyfunction]
#[pyo3(signature = (x, bits=8, *, axis=None, zpm=false, slice=4, zpm_window=None, zpm_max_loss=1.0, calib=None, act_scale=None))]
#[allow(clippy::too_many_arguments)]
fn quant_uint(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    bits: u32,
    axis: Option<i64>,
    zpm: bool,
    slice: u32,
    zpm_window: Option<u32>,
    zpm_max_loss: f64,
    calib: Option<Bound<'_, PyAny>>,
    act_scale: Option<f64>,
) -> PyResult<Quantized> {
    let t = float_tensor(py, x)?;
    let mut o = Options::new(Format::Uint, bits);
    o.axis = axis;
    o.zpm = zpm;
    o.slice = slice;
    o.zpm_window = zpm_window;
    o.zpm_max_loss = zpm_max_loss;
    calibration(py, &mut o, calib, act_scale)?;
    run(py, &t, &o)
}

/// Sign + exponent (ASLog), base `"2"` or `"sqrt2"`, 2..5 bits.
#[pyfunction]
#[pyo3(signature = (w, bits=4, *, axis=None, base="2", scale="absmax", calib=None, act_scale=None))]
#[allow(clippy::too_many_arguments)]
fn quant_log(
    py: Python<'_>,
    w: &Bound<'_, PyAny>,
    bits: u32,
    axis: Option<i64>,
    base: &str,
    scale: &str,
    calib: Option<Bound<'_, PyAny>>,
    act_scale: Option<f64>,
) -> PyResult<Quantized> {
    let t = float_tensor(py, w)?;
    let mut o = Options::new(Format::Log, bits);
    o.axis = axis;
    o.scale = scale_rule(scale)?;
    o.log_base = match base {
        "2" => LogBase::Two,
        "sqrt2" => LogBase::Sqrt2,
        _ => {
            return Err(PyValueError::new_err(format!(
                "base={base:?}: expected \"2\" or \"sqrt2\""
            )))
        }
    };
    calibration(py, &mut o, calib, act_scale)?;
    run(py, &t, &o)
}

/// Codes into one 2^N-entry int8 LUT: k-means (`"kmeans"`) or quantile codebook.
#[pyfunction]
#[pyo3(signature = (w, bits=4, *, method="kmeans", calib=None, act_scale=None))]
fn quant_lut(
    py: Python<'_>,
    w: &Bound<'_, PyAny>,
    bits: u32,
    method: &str,
    calib: Option<Bound<'_, PyAny>>,
    act_scale: Option<f64>,
) -> PyResult<Quantized> {
    let t = float_tensor(py, w)?;
    let mut o = Options::new(Format::Lut, bits);
    o.lut_method = match method {
        "kmeans" => LutMethod::Kmeans,
        "quantile" => LutMethod::Quantile,
        _ => {
            return Err(PyValueError::new_err(format!(
                "method={method:?}: expected \"kmeans\" or \"quantile\""
            )))
        }
    };
    calibration(py, &mut o, calib, act_scale)?;
    run(py, &t, &o)
}

/// Per-vector scaled quantisation: N-bit ints, an M-bit integer scale per `vector`
/// elements along `vector_axis`, a per-channel float γ (`scales`).
#[pyfunction]
#[pyo3(signature = (w, bits=4, vector=64, *, scale_bits=4, vector_axis=1, round="nearest", calib=None))]
#[allow(clippy::too_many_arguments)]
fn quant_vsq(
    py: Python<'_>,
    w: &Bound<'_, PyAny>,
    bits: u32,
    vector: usize,
    scale_bits: u32,
    vector_axis: usize,
    round: &str,
    calib: Option<Bound<'_, PyAny>>,
) -> PyResult<Quantized> {
    let t = float_tensor(py, w)?;
    let mut o = Options::new(Format::Vsq, bits);
    o.vlen = vector;
    o.scale_bits = scale_bits;
    o.vector_axis = vector_axis;
    o.vsq_round = match round {
        "nearest" => VsqRound::Nearest,
        "up" => VsqRound::Up,
        _ => {
            return Err(PyValueError::new_err(format!(
                "round={round:?}: expected \"nearest\" or \"up\""
            )))
        }
    };
    calibration(py, &mut o, calib, None)?;
    run(py, &t, &o)
}

/// BitCluster: sign-magnitude with at most `k` set magnitude bits (`k="auto"`: the
/// smallest k reaching `target_sqnr` dB).
#[pyfunction]
#[pyo3(signature = (w, bits=8, k=None, *, axis=None, scale="absmax", target_sqnr=30.0, calib=None, act_scale=None))]
#[allow(clippy::too_many_arguments)]
fn quant_cluster(
    py: Python<'_>,
    w: &Bound<'_, PyAny>,
    bits: u32,
    k: Option<Bound<'_, PyAny>>,
    axis: Option<i64>,
    scale: &str,
    target_sqnr: f64,
    calib: Option<Bound<'_, PyAny>>,
    act_scale: Option<f64>,
) -> PyResult<Quantized> {
    let t = float_tensor(py, w)?;
    let mut o = Options::new(Format::Cluster, bits);
    o.axis = axis;
    o.scale = scale_rule(scale)?;
    o.k = Some(match k {
        None => KChoice::Auto(target_sqnr),
        Some(k) => match k.extract::<u32>() {
            Ok(k) => KChoice::Fixed(k),
            Err(_) if k.extract::<String>().is_ok_and(|s| s == "auto") => {
                KChoice::Auto(target_sqnr)
            }
            Err(_) => {
                return Err(PyValueError::new_err(
                    "k: expected an int (1..bits-1) or \"auto\"",
                ))
            }
        },
    });
    calibration(py, &mut o, calib, act_scale)?;
    run(py, &t, &o)
}

/// Add the quantiser functions and `Quantized` to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Quantized>()?;
    m.add_function(wrap_pyfunction!(quant_int, m)?)?;
    m.add_function(wrap_pyfunction!(quant_uint, m)?)?;
    m.add_function(wrap_pyfunction!(quant_log, m)?)?;
    m.add_function(wrap_pyfunction!(quant_lut, m)?)?;
    m.add_function(wrap_pyfunction!(quant_vsq, m)?)?;
    m.add_function(wrap_pyfunction!(quant_cluster, m)?)?;
    Ok(())
}
