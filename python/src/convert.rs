//! Conversions between Python values and the engine's: NumPy arrays from little-endian
//! bytes and back (always copies), hardware descriptions from a path or a dict (through the
//! same TOML parser and validation as `--hw FILE`), float tensors for the quantisers.

use std::path::PathBuf;

use bitloom_emu::hw::HwConfig;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// `numpy`, imported once per call site.
pub fn numpy(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    py.import("numpy")
}

/// A NumPy dtype for memory access: integer, unsigned, float or bool, 1/2/4/8 bytes.
/// Returns the dtype (native byte order) and its little-endian twin.
pub fn mem_dtype<'py>(
    py: Python<'py>,
    dtype: &Bound<'py, PyAny>,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>, usize)> {
    let np = numpy(py)?;
    let dt = np.getattr("dtype")?.call1((dtype,))?;
    let kind: String = dt.getattr("kind")?.extract()?;
    let size: usize = dt.getattr("itemsize")?.extract()?;
    if !matches!(kind.as_str(), "i" | "u" | "f" | "b") || !matches!(size, 1 | 2 | 4 | 8) {
        return Err(PyTypeError::new_err(format!(
            "dtype {}: memory is read and written as int, uint, float or bool of 1, 2, 4 or 8 bytes",
            dt.str()?
        )));
    }
    let native = dt.call_method1("newbyteorder", ("=",))?;
    let little = dt.call_method1("newbyteorder", ("<",))?;
    Ok((native, little, size))
}

/// A fresh, writable array of `shape` and native `dtype` from little-endian `bytes`.
pub fn array_from_le<'py>(
    py: Python<'py>,
    bytes: &[u8],
    native: &Bound<'py, PyAny>,
    little: &Bound<'py, PyAny>,
    shape: &Bound<'py, PyTuple>,
) -> PyResult<Bound<'py, PyAny>> {
    let np = numpy(py)?;
    let b = PyBytes::new(py, bytes);
    let a = np.getattr("frombuffer")?.call1((b, little))?;
    // astype copies: the result owns its memory and is writable.
    a.call_method1("astype", (native,))?
        .call_method1("reshape", (shape,))
}

/// The little-endian bytes of `array` (any shape, C order), as a copy.
pub fn le_bytes(py: Python<'_>, array: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    let np = numpy(py)?;
    let a = np.getattr("asarray")?.call1((array,))?;
    let (_, little, _) = mem_dtype(py, &a.getattr("dtype")?)?;
    let le = np
        .getattr("ascontiguousarray")?
        .call1((a,))?
        .call_method1("astype", (little,))?;
    let b = le.call_method0("tobytes")?;
    Ok(b.cast::<PyBytes>()?.as_bytes().to_vec())
}

/// A shape argument: an int or a sequence of ints, as a tuple, with its element count.
pub fn shape_of<'py>(
    py: Python<'py>,
    shape: &Bound<'py, PyAny>,
) -> PyResult<(Bound<'py, PyTuple>, u64)> {
    let dims: Vec<i64> = if let Ok(n) = shape.extract::<i64>() {
        vec![n]
    } else {
        shape.extract()?
    };
    let mut n: u64 = 1;
    for &d in &dims {
        if d < 0 {
            return Err(PyValueError::new_err(format!(
                "shape {dims:?}: dimensions must be ≥ 0"
            )));
        }
        n = n
            .checked_mul(d as u64)
            .ok_or_else(|| PyValueError::new_err(format!("shape {dims:?}: too many elements")))?;
    }
    Ok((PyTuple::new(py, dims)?, n))
}

/// A Python dict as a TOML value (tables, strings, bools, ints, floats, lists).
fn toml_value(v: &Bound<'_, PyAny>, key: &str) -> PyResult<toml::Value> {
    if let Ok(d) = v.cast::<PyDict>() {
        let mut t = toml::map::Map::new();
        for (k, val) in d.iter() {
            let k: String = k
                .extract()
                .map_err(|_| PyTypeError::new_err(format!("hw{key}: keys must be strings")))?;
            let sub = format!("{key}.{k}");
            t.insert(k, toml_value(&val, &sub)?);
        }
        return Ok(toml::Value::Table(t));
    }
    if v.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(v.extract()?));
    }
    if v.is_instance_of::<PyInt>() {
        return Ok(toml::Value::Integer(v.extract()?));
    }
    if v.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(v.extract()?));
    }
    if v.is_instance_of::<PyString>() {
        return Ok(toml::Value::String(v.extract()?));
    }
    if let Ok(l) = v.cast::<PyList>() {
        let items: PyResult<Vec<_>> = l.iter().map(|x| toml_value(&x, key)).collect();
        return Ok(toml::Value::Array(items?));
    }
    Err(PyTypeError::new_err(format!(
        "hw{key}: {} is not a TOML value (dict, str, bool, int, float or list)",
        v.get_type().name()?
    )))
}

/// A hardware description: `None` (the defaults), a dict shaped like the TOML file
/// (sections as nested dicts; every key optional), a shipped preset (`"preset:seed000"`,
/// as `bitloom hw --presets` lists), or a path to a TOML file.
pub fn hw_config(py: Python<'_>, hw: Option<&Bound<'_, PyAny>>) -> PyResult<HwConfig> {
    let Some(hw) = hw else {
        return Ok(HwConfig::default());
    };
    if hw.is_instance_of::<PyDict>() {
        let toml::Value::Table(t) = toml_value(hw, "")? else {
            unreachable!("a dict converts to a table")
        };
        let text = toml::to_string(&t).map_err(|e| PyValueError::new_err(e.to_string()))?;
        return HwConfig::parse(&text).map_err(|e| PyValueError::new_err(e.to_string()));
    }
    if let Ok(s) = hw.extract::<String>() {
        if s.starts_with(bitloom_emu::hw::PRESET_PREFIX) {
            return HwConfig::resolve(&s).map_err(|e| PyValueError::new_err(e.to_string()));
        }
    }
    let path: PathBuf = py
        .import("os")?
        .getattr("fspath")?
        .call1((hw,))
        .map_err(|_| PyTypeError::new_err("hw must be None, a dict, or a path to a TOML file"))?
        .extract()?;
    HwConfig::load(&path).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// A float tensor for the quantisers: any array-like of numbers, as float64, with its shape.
pub fn float_tensor(py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<bitloom_quant::Tensor> {
    let np = numpy(py)?;
    let a = np
        .getattr("ascontiguousarray")?
        .call1((x,))?
        .call_method1("astype", ("float64",))?;
    let shape: Vec<usize> = a.getattr("shape")?.extract()?;
    let flat = a.call_method0("ravel")?;
    let ro: numpy::PyReadonlyArray1<'_, f64> = flat.extract()?;
    let data = ro.as_slice()?.to_vec();
    bitloom_quant::Tensor::new(shape, data).map_err(PyValueError::new_err)
}
