//! `.npy` files for expectations, through the `npyz` crate: reading any C-order integer or
//! float array into `f64`s (with its shape, and whether it holds integers), and writing
//! integer arrays back for `bitloom test --update`. The header is not trusted: the element
//! count it claims must fit in the file before anything is allocated.

use std::path::Path;

use npyz::{DType, NpyFile, Order, TypeChar, WriterBuilder};

/// An array read from a `.npy` file.
#[derive(Clone, Debug, PartialEq)]
pub struct NpyArray {
    /// Shape (C order).
    pub shape: Vec<usize>,
    /// Elements, row-major, as `f64`.
    pub data: Vec<f64>,
    /// Whether the dtype is an integer type (or bool).
    pub integer: bool,
}

/// Largest `.npy` expectation file read (as `bitloom quant`'s inputs).
pub const MAX_NPY_BYTES: u64 = 1 << 30;

/// Read `path`. Errors are one line naming the file.
pub fn read(path: &Path) -> Result<NpyArray, String> {
    let bytes = bitloom_isa::srcfile::read_capped(path, MAX_NPY_BYTES).map_err(|e| match e {
        bitloom_isa::srcfile::ReadError::TooLarge(_) => format!(
            "{}: larger than {} MiB (the most an expectation reads)",
            path.display(),
            MAX_NPY_BYTES >> 20
        ),
        e => format!("{}: {e}", path.display()),
    })?;
    parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Parse the bytes of a `.npy` file.
pub fn parse(bytes: &[u8]) -> Result<NpyArray, String> {
    let f = NpyFile::new(bytes).map_err(|e| format!("not a valid .npy file: {e}"))?;
    if f.order() != Order::C && f.shape().iter().filter(|&&d| d > 1).count() > 1 {
        return Err(
            "Fortran-order arrays are not supported (save with np.ascontiguousarray)".into(),
        );
    }
    let ts = match f.dtype() {
        DType::Plain(ts) => ts,
        d => return Err(format!("dtype {} is not a plain number type", d.descr())),
    };
    let shape: Vec<usize> = f.shape().iter().map(|&d| d as usize).collect();
    let n = f.len();
    let size = ts.num_bytes().unwrap_or(0) as u64;
    if size == 0 || n.saturating_mul(size) > bytes.len() as u64 {
        return Err(format!(
            "header claims {n} elements of {size} bytes, more than the file holds"
        ));
    }
    let integer = matches!(
        ts.type_char(),
        TypeChar::Int | TypeChar::Uint | TypeChar::Bool
    );
    let err = |e: std::io::Error| format!("reading the data: {e}");
    let data: Vec<f64> = match (ts.type_char(), size) {
        (TypeChar::Float, 8) => f.into_vec::<f64>().map_err(err)?,
        (TypeChar::Float, 4) => conv(f.into_vec::<f32>().map_err(err)?),
        (TypeChar::Int, 1) => conv(f.into_vec::<i8>().map_err(err)?),
        (TypeChar::Int, 2) => conv(f.into_vec::<i16>().map_err(err)?),
        (TypeChar::Int, 4) => conv(f.into_vec::<i32>().map_err(err)?),
        (TypeChar::Int, 8) => f
            .into_vec::<i64>()
            .map_err(err)?
            .into_iter()
            .map(|v| v as f64)
            .collect(),
        (TypeChar::Uint, 1) => conv(f.into_vec::<u8>().map_err(err)?),
        (TypeChar::Uint, 2) => conv(f.into_vec::<u16>().map_err(err)?),
        (TypeChar::Uint, 4) => conv(f.into_vec::<u32>().map_err(err)?),
        (TypeChar::Uint, 8) => f
            .into_vec::<u64>()
            .map_err(err)?
            .into_iter()
            .map(|v| v as f64)
            .collect(),
        (TypeChar::Bool, 1) => f
            .into_vec::<bool>()
            .map_err(err)?
            .into_iter()
            .map(|b| b as u8 as f64)
            .collect(),
        _ => return Err(format!("unsupported dtype `{ts}`")),
    };
    Ok(NpyArray {
        shape,
        data,
        integer,
    })
}

fn conv<T: Into<f64>>(v: Vec<T>) -> Vec<f64> {
    v.into_iter().map(Into::into).collect()
}

/// Write an integer array as `<i8` (int64) with the given shape.
pub fn write_i64(path: &Path, shape: &[usize], data: &[i64]) -> Result<(), String> {
    let shape: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
    let mut out = Vec::new();
    {
        let mut w = npyz::WriteOptions::new()
            .default_dtype()
            .shape(&shape)
            .writer(&mut out)
            .begin_nd()
            .map_err(|e| e.to_string())?;
        w.extend(data.iter().copied()).map_err(|e| e.to_string())?;
        w.finish().map_err(|e| e.to_string())?;
    }
    std::fs::write(path, out).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_i64() {
        let dir = std::env::temp_dir().join(format!("bitloom-npy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.npy");
        write_i64(&p, &[2, 3], &[1, -2, 3, -4, 5, 1 << 40]).unwrap();
        let a = read(&p).unwrap();
        assert_eq!(a.shape, vec![2, 3]);
        assert!(a.integer);
        assert_eq!(a.data, vec![1.0, -2.0, 3.0, -4.0, 5.0, (1u64 << 40) as f64]);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn rejects_garbage_and_lying_headers() {
        assert!(parse(b"hello").is_err());
        // A valid header claiming 10^9 float64 elements with 8 bytes of data.
        let mut h = b"\x93NUMPY\x01\x00".to_vec();
        let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000,), }";
        let mut d = dict.to_string();
        while !(10 + d.len() + 1).is_multiple_of(64) {
            d.push(' ');
        }
        d.push('\n');
        h.extend((d.len() as u16).to_le_bytes());
        h.extend(d.as_bytes());
        h.extend([0u8; 8]);
        let e = parse(&h).unwrap_err();
        assert!(e.contains("more than the file holds"), "{e}");
    }
}
