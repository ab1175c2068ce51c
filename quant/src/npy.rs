//! `.npy` in and out through the npyz crate, with the checks a user's file needs before any
//! number is trusted: the magic and header (npyz), a plain numeric dtype of the expected
//! kind, a shape whose element count fits, a data section of exactly the promised length
//! (truncated and over-long files are errors, and the header never sizes an allocation
//! beyond the file), Fortran order turned into row-major, and a non-empty tensor.
//!
//! Writes are atomic: a temporary file beside the destination is renamed into place only
//! when complete.

use std::io::{Cursor, Write};
use std::path::Path;

use npyz::{DType, TypeChar, WriterBuilder};

use crate::tensor::Tensor;
use crate::Error;

/// Largest `.npy` file read (1 GiB): far beyond any tensor a Loom scratchpad holds.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// A parsed `.npy` file whose data section has the promised length.
struct Parsed<'a> {
    /// Element type character and size in bytes.
    kind: TypeChar,
    size: u64,
    /// Type string as written in the header, for messages.
    descr: String,
    shape: Vec<usize>,
    fortran: bool,
    bytes: &'a [u8],
}

fn parse<'a>(name: &str, bytes: &'a [u8]) -> Result<Parsed<'a>, Error> {
    if !bytes.starts_with(b"\x93NUMPY") {
        return Err(Error::new(format!(
            "{name}: not an .npy file (no \\x93NUMPY magic)"
        )));
    }
    precheck_shape(name, bytes)?;
    let mut cur = Cursor::new(bytes);
    let file = npyz::NpyFile::new(&mut cur)
        .map_err(|e| Error::new(format!("{name}: bad .npy header: {e}")))?;
    let ts = match file.dtype() {
        DType::Plain(ts) => ts,
        other => {
            return Err(Error::new(format!(
                "{name}: structured dtype {} is not supported (need a plain numeric array)",
                other.descr()
            )))
        }
    };
    let shape: Vec<usize> = file
        .shape()
        .iter()
        .map(|&d| usize::try_from(d))
        .collect::<Result<_, _>>()
        .map_err(|_| Error::new(format!("{name}: shape {:?} too large", file.shape())))?;
    let n = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| Error::new(format!("{name}: shape {shape:?} overflows")))?;
    let size = ts.size_field();
    let fortran = file.order() == npyz::Order::Fortran;
    let descr = ts.to_string();
    let kind = ts.type_char();
    drop(file);
    let start = cur.position() as usize;
    let avail = (bytes.len() - start.min(bytes.len())) as u64;
    let need = (n as u64).saturating_mul(size);
    if avail < need {
        return Err(Error::new(format!(
            "{name}: truncated: shape {} of {descr} needs {need} data bytes, the file has {avail}",
            shape_str(&shape)
        )));
    }
    if avail > need {
        return Err(Error::new(format!(
            "{name}: {} bytes after the data (shape {} of {descr} needs {need}): not a single array",
            avail - need,
            shape_str(&shape)
        )));
    }
    Ok(Parsed {
        kind,
        size,
        descr,
        shape,
        fortran,
        bytes,
    })
}

/// Reject a header whose shape's element count overflows `u64` before npyz sees it (npyz
/// 0.8.4 multiplies the dimensions unchecked: a panic in debug builds, a wrapped count in
/// release). Looks for `'shape': (…)` in the header dict; anything it cannot read is left
/// to npyz's own parser.
fn precheck_shape(name: &str, bytes: &[u8]) -> Result<(), Error> {
    let head = &bytes[..bytes.len().min(1 << 16)];
    let text = String::from_utf8_lossy(head);
    let Some(at) = text.find("'shape'").or_else(|| text.find("\"shape\"")) else {
        return Ok(());
    };
    let rest = &text[at..];
    let (Some(open), Some(close)) = (rest.find('('), rest.find(')')) else {
        return Ok(());
    };
    if close < open {
        return Ok(());
    }
    let mut n: u64 = 1;
    for d in rest[open + 1..close].split(',') {
        let d = d.trim().trim_end_matches('L');
        if d.is_empty() {
            continue;
        }
        let v: u64 = d
            .parse()
            .map_err(|_| Error::new(format!("{name}: bad .npy header: shape dimension `{d}`")))?;
        n = n.checked_mul(v).ok_or_else(|| {
            Error::new(format!(
                "{name}: bad .npy header: shape {} overflows",
                &rest[open..=close]
            ))
        })?;
    }
    Ok(())
}

/// `(2, 3)` / `(5,)` / `()` as NumPy prints shapes.
pub fn shape_str(shape: &[usize]) -> String {
    match shape {
        [d] => format!("({d},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, Error> {
    let name = path.display();
    let meta = std::fs::metadata(path).map_err(|e| Error::new(format!("{name}: {e}")))?;
    if !meta.is_file() {
        return Err(Error::new(format!("{name}: not a regular file")));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(Error::new(format!(
            "{name}: {} bytes is more than the {} MiB limit",
            meta.len(),
            MAX_FILE_BYTES >> 20
        )));
    }
    std::fs::read(path).map_err(|e| Error::new(format!("{name}: {e}")))
}

/// Row-major order of data stored in Fortran (column-major) order.
fn fortran_to_c<T: Copy>(data: Vec<T>, shape: &[usize]) -> Vec<T> {
    if shape.len() < 2 {
        return data;
    }
    let n = data.len();
    let mut out = Vec::with_capacity(n);
    let mut idx = vec![0usize; shape.len()];
    for _ in 0..n {
        // Fortran offset: the first index varies fastest.
        let mut off = 0;
        let mut stride = 1;
        for (i, &d) in idx.iter().zip(shape) {
            off += i * stride;
            stride *= d;
        }
        out.push(data[off]);
        for k in (0..shape.len()).rev() {
            idx[k] += 1;
            if idx[k] < shape[k] {
                break;
            }
            idx[k] = 0;
        }
    }
    out
}

fn io_err(name: &str) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::new(format!("{name}: reading the data: {e}"))
}

/// A float tensor (float16/32/64, either byte order, C or Fortran order) from `.npy` bytes;
/// `name` labels messages. Errors: not an .npy, other dtypes, truncated or over-long data,
/// an empty tensor, NaN or ±Inf (naming the first such element).
pub fn parse_float(name: &str, bytes: &[u8]) -> Result<Tensor, Error> {
    let p = parse(name, bytes)?;
    let data: Vec<f64> = match (p.kind, p.size) {
        (TypeChar::Float, 8) => npyz::NpyFile::new(p.bytes)
            .and_then(|f| f.into_vec::<f64>())
            .map_err(io_err(name))?,
        (TypeChar::Float, 4) => npyz::NpyFile::new(p.bytes)
            .and_then(|f| f.into_vec::<f32>())
            .map_err(io_err(name))?
            .into_iter()
            .map(f64::from)
            .collect(),
        (TypeChar::Float, 2) => npyz::NpyFile::new(p.bytes)
            .and_then(|f| f.into_vec::<npyz::half::f16>())
            .map_err(io_err(name))?
            .into_iter()
            .map(f64::from)
            .collect(),
        _ => {
            return Err(Error::new(format!(
                "{name}: dtype {} is not a float type; bitloom quant reads float16, float32 or \
                 float64 tensors (integer codes go to the assembler's .npy directive)",
                p.descr
            )))
        }
    };
    let data = if p.fortran {
        fortran_to_c(data, &p.shape)
    } else {
        data
    };
    let t = Tensor::new(p.shape, data).map_err(|e| Error::new(format!("{name}: {e}")))?;
    Ok(t)
}

/// [`parse_float`] of a file.
pub fn read_float(path: &Path) -> Result<Tensor, Error> {
    parse_float(&path.display().to_string(), &read_file(path)?)
}

/// An integer tensor (any signed or unsigned integer dtype up to 64 bits, or bool) from
/// `.npy` bytes, as `i64` values in row-major order with its shape. Errors as
/// [`parse_float`], and float dtypes.
pub fn parse_int(name: &str, bytes: &[u8]) -> Result<(Vec<usize>, Vec<i64>), Error> {
    let p = parse(name, bytes)?;
    macro_rules! read_as {
        ($t:ty) => {
            npyz::NpyFile::new(p.bytes)
                .and_then(|f| f.into_vec::<$t>())
                .map_err(io_err(name))?
                .into_iter()
                .map(|v| i64::try_from(v).unwrap_or(i64::MAX))
                .collect::<Vec<i64>>()
        };
    }
    let data: Vec<i64> = match (p.kind, p.size) {
        (TypeChar::Int, 1) => read_as!(i8),
        (TypeChar::Int, 2) => read_as!(i16),
        (TypeChar::Int, 4) => read_as!(i32),
        (TypeChar::Int, 8) => read_as!(i64),
        (TypeChar::Uint, 1) => read_as!(u8),
        (TypeChar::Uint, 2) => read_as!(u16),
        (TypeChar::Uint, 4) => read_as!(u32),
        (TypeChar::Uint, 8) => read_as!(u64),
        (TypeChar::Bool, 1) => npyz::NpyFile::new(p.bytes)
            .and_then(|f| f.into_vec::<bool>())
            .map_err(io_err(name))?
            .into_iter()
            .map(i64::from)
            .collect(),
        _ => {
            return Err(Error::new(format!(
                "{name}: dtype {} is not an integer type (need integer codes or values)",
                p.descr
            )))
        }
    };
    if data.is_empty() {
        return Err(Error::new(format!(
            "{name}: the tensor is empty (shape {})",
            shape_str(&p.shape)
        )));
    }
    let data = if p.fortran {
        fortran_to_c(data, &p.shape)
    } else {
        data
    };
    Ok((p.shape, data))
}

/// Write `path` atomically: `fill` writes a temporary file beside it, which is renamed into
/// place only when `fill` succeeded (and removed otherwise).
fn atomic(path: &Path, fill: impl FnOnce(&Path) -> std::io::Result<()>) -> Result<(), Error> {
    let name = path.display();
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file = path
        .file_name()
        .ok_or_else(|| Error::new(format!("{name}: not a file name")))?
        .to_string_lossy();
    let tmp = dir.join(format!(".{file}.{}.tmp", std::process::id()));
    let res = fill(&tmp).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = res {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::new(format!("{name}: {e}")));
    }
    Ok(())
}

/// Write `data` as an array of `shape`, atomically (temporary file beside it, then rename).
pub fn write_with<T: npyz::AutoSerialize + Copy>(
    path: &Path,
    data: &[T],
    shape: &[usize],
) -> Result<(), Error> {
    let shape: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
    atomic(path, |tmp| {
        let f = std::fs::File::create(tmp)?;
        let mut buf = std::io::BufWriter::new(f);
        {
            let mut w = npyz::WriteOptions::<T>::new()
                .default_dtype()
                .shape(&shape)
                .writer(&mut buf)
                .begin_nd()?;
            w.extend(data.iter().copied())?;
            w.finish()?;
        }
        buf.flush()?;
        buf.into_inner().map_err(|e| e.into_error())?.sync_all()
    })
}

/// Write a file atomically (temporary file beside it, then rename).
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    atomic(path, |tmp| std::fs::write(tmp, bytes))
}

/// Write a `uint8` array.
pub fn write_u8(path: &Path, data: &[u8], shape: &[usize]) -> Result<(), Error> {
    write_with(path, data, shape)
}

/// Write an `int8` array.
pub fn write_i8(path: &Path, data: &[i8], shape: &[usize]) -> Result<(), Error> {
    write_with(path, data, shape)
}

/// Write an `int32` array.
pub fn write_i32(path: &Path, data: &[i32], shape: &[usize]) -> Result<(), Error> {
    write_with(path, data, shape)
}

/// Write a `float64` array.
pub fn write_f64(path: &Path, data: &[f64], shape: &[usize]) -> Result<(), Error> {
    write_with(path, data, shape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fortran_order_becomes_row_major() {
        // Shape (2, 3): column-major storage of [[0,1,2],[3,4,5]] is 0,3,1,4,2,5.
        let f = vec![0, 3, 1, 4, 2, 5];
        assert_eq!(fortran_to_c(f, &[2, 3]), vec![0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn shapes_print_like_numpy() {
        assert_eq!(shape_str(&[5]), "(5,)");
        assert_eq!(shape_str(&[2, 3]), "(2, 3)");
        assert_eq!(shape_str(&[]), "()");
    }
}
