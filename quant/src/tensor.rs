//! A float tensor (row-major, finite, non-empty) and its channel layout: which channel of an
//! axis each element belongs to, for per-channel scales.

use crate::npy::shape_str;

/// A row-major float tensor whose elements are all finite and which has at least one.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    shape: Vec<usize>,
    data: Vec<f64>,
}

impl Tensor {
    /// A tensor of `shape` holding `data`. Errors: length mismatch, no elements, a NaN or
    /// infinite element (the message names its index).
    pub fn new(shape: Vec<usize>, data: Vec<f64>) -> Result<Tensor, String> {
        let n: usize = shape.iter().product();
        if n != data.len() {
            return Err(format!(
                "shape {} has {n} elements, the data {}",
                shape_str(&shape),
                data.len()
            ));
        }
        if n == 0 {
            return Err(format!(
                "the tensor is empty (shape {}): nothing to quantise",
                shape_str(&shape)
            ));
        }
        if let Some(i) = data.iter().position(|x| !x.is_finite()) {
            return Err(format!(
                "element {} (flat index {i}) is {}: quantisation needs finite values",
                index_str(&shape, i),
                data[i]
            ));
        }
        Ok(Tensor { shape, data })
    }

    /// Shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Elements, row-major.
    pub fn data(&self) -> &[f64] {
        &self.data
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Always false (a tensor has at least one element); for clippy's `len` rule.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The tensor as `rows × cols` for 2-D operations: a 1-D tensor is one row; more
    /// dimensions fold into the rows (the last axis is the columns).
    pub fn as_matrix(&self) -> (usize, usize) {
        let cols = *self.shape.last().unwrap_or(&1);
        (self.data.len() / cols.max(1), cols)
    }
}

/// `[i, j, k]` multi-index of flat index `i` in `shape`.
pub fn index_str(shape: &[usize], mut i: usize) -> String {
    let mut idx = vec![0; shape.len()];
    for k in (0..shape.len()).rev() {
        let d = shape[k].max(1);
        idx[k] = i % d;
        i /= d;
    }
    format!(
        "[{}]",
        idx.iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// How elements map to channels: per tensor (one channel) or along an axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Channels {
    /// Number of channels (1 per tensor).
    pub count: usize,
    /// Elements per step of the channel index (product of the dimensions after the axis).
    inner: usize,
}

impl Channels {
    /// One channel for the whole tensor.
    pub fn per_tensor() -> Channels {
        Channels { count: 1, inner: 1 }
    }

    /// Channels along `axis` of `shape` (negative counts from the end).
    pub fn along(shape: &[usize], axis: i64) -> Result<Channels, String> {
        let nd = shape.len() as i64;
        let a = if axis < 0 { axis + nd } else { axis };
        if !(0..nd).contains(&a) {
            return Err(format!(
                "--axis {axis} is outside the tensor's {nd} dimension(s) (shape {})",
                shape_str(shape)
            ));
        }
        let a = a as usize;
        Ok(Channels {
            count: shape[a],
            inner: shape[a + 1..].iter().product(),
        })
    }

    /// Channel of flat element `i`.
    pub fn of(&self, i: usize) -> usize {
        if self.count == 1 {
            0
        } else {
            (i / self.inner) % self.count
        }
    }

    /// Per-channel reduction: `f(acc, x)` folded over each channel's elements from `init`.
    pub fn fold<T: Clone>(&self, data: &[f64], init: T, f: impl Fn(T, f64) -> T) -> Vec<T> {
        let mut out = vec![init; self.count];
        for (i, &x) in data.iter().enumerate() {
            let c = self.of(i);
            out[c] = f(out[c].clone(), x);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_nan_inf_and_empty() {
        let e = Tensor::new(vec![2, 2], vec![0.0, 1.0, f64::NAN, 2.0]).unwrap_err();
        assert!(e.contains("[1, 0]") && e.contains("NaN"), "{e}");
        let e = Tensor::new(vec![3], vec![0.0, f64::NEG_INFINITY, 2.0]).unwrap_err();
        assert!(e.contains("[1]") && e.contains("-inf"), "{e}");
        let e = Tensor::new(vec![0, 4], vec![]).unwrap_err();
        assert!(e.contains("empty") && e.contains("(0, 4)"), "{e}");
    }

    #[test]
    fn channels_along_axes() {
        // Shape (2, 3, 4): axis 1 has 3 channels, stepping every 4 elements.
        let c = Channels::along(&[2, 3, 4], 1).unwrap();
        assert_eq!(c.count, 3);
        assert_eq!(
            (c.of(0), c.of(4), c.of(8), c.of(12), c.of(13)),
            (0, 1, 2, 0, 0)
        );
        let c = Channels::along(&[2, 3], -1).unwrap();
        assert_eq!((c.count, c.of(4)), (3, 1));
        assert!(Channels::along(&[2, 3], 2)
            .unwrap_err()
            .contains("--axis 2"));
    }
}
