//! Tensors a sweep hands to its program: `[data.LABEL]` tables turned into assembly
//! (`LABEL:` followed by `.byte` lines) appended to the generated wrapper source.
//!
//! Sources (`source = ...`):
//! - `"laplace"`: a float tensor `rows × cols` drawn from a Laplace distribution (scale
//!   `scale`, default 1) with seed `seed` — the shape of trained weight tensors — then
//!   quantised by `bitloom-quant` (the library behind `bitloom quant`) as `format`
//!   (`int`, `uint`, `cluster`, or the `wfmt` CSR code 0, 1, 4; `bits`, `k` for cluster,
//!   `axis` for per-channel scales, `rule` = `absmax` or `mse` for the scale search).
//! - `"npy"`: a float `.npy` file (`path`, relative to the spec), quantised the same way.
//! - `"codes"`: integer codes directly: `bits`-bit codes, uniform over the non-zero codes,
//!   each zero with probability `1 − density_pct/100` (activations at a fixed sparsity).
//!
//! Emitted as a raw tile (codes packed densely, docs/ISA.md §5) or, with
//! `encoding = "rle"`, as an RLE stream with run width `runbits` (`isa::rle::encode`).
//! A field may name a parameter as `"$NAME"`, taking the point's value. The generators
//! are deterministic: same fields, same bytes.

use std::fmt::Write as _;
use std::path::Path;

use bitloom_quant::{Format, KChoice, Options, Tensor};

use super::spec::{DataDef, Field, Scalar};
use super::SweepError;

/// Largest tensor a data table may generate (elements).
pub const MAX_ELEMENTS: usize = 1 << 22;

/// SplitMix64: small, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    fn unit(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Fields<'a> {
    def: &'a DataDef,
    point: &'a [(String, Scalar)],
}

impl Fields<'_> {
    fn err(&self, name: &str, msg: String) -> SweepError {
        SweepError::Spec {
            loc: self.def.loc_of(name).clone(),
            msg: format!("data `{}`: {msg}", self.def.label),
        }
    }

    fn get(&self, name: &str) -> Option<Scalar> {
        match self.def.get(name)? {
            Field::Const(v) => Some(v.clone()),
            Field::Param(p) => self
                .point
                .iter()
                .find(|(n, _)| n == p)
                .map(|(_, v)| v.clone()),
        }
    }

    fn int(&self, name: &str, default: Option<i64>, range: (i64, i64)) -> Result<i64, SweepError> {
        let v = match (self.get(name), default) {
            (Some(Scalar::Int(v)), _) => v,
            (Some(_), _) => return Err(self.err(name, format!("`{name}` must be an integer"))),
            (None, Some(d)) => d,
            (None, None) => return Err(self.err(name, format!("missing `{name}`"))),
        };
        if v < range.0 || v > range.1 {
            return Err(self.err(
                name,
                format!("`{name}` = {v} is outside {}..={}", range.0, range.1),
            ));
        }
        Ok(v)
    }

    fn float(&self, name: &str, default: f64) -> Result<f64, SweepError> {
        match self.get(name) {
            None => Ok(default),
            Some(s) => s
                .as_f64()
                .filter(|v| v.is_finite() && *v > 0.0)
                .ok_or_else(|| self.err(name, format!("`{name}` must be a positive number"))),
        }
    }

    fn str(&self, name: &str, default: Option<&str>) -> Result<String, SweepError> {
        match (self.get(name), default) {
            (Some(Scalar::Str(s)), _) => Ok(s),
            (Some(_), _) => Err(self.err(name, format!("`{name}` must be a string"))),
            (None, Some(d)) => Ok(d.to_string()),
            (None, None) => Err(self.err(name, format!("missing `{name}`"))),
        }
    }
}

const KNOWN: &[&str] = &[
    "source",
    "path",
    "seed",
    "rows",
    "cols",
    "scale",
    "format",
    "bits",
    "k",
    "axis",
    "rule",
    "density_pct",
    "encoding",
    "runbits",
];

/// Check a data table's field names (before any point runs).
pub fn check(def: &DataDef) -> Result<(), SweepError> {
    for (name, _, loc) in &def.fields {
        if !KNOWN.contains(&name.as_str()) {
            return Err(SweepError::Spec {
                loc: loc.clone(),
                msg: format!(
                    "data `{}`: unknown field `{name}` (expected one of {})",
                    def.label,
                    KNOWN.join(", ")
                ),
            });
        }
    }
    Ok(())
}

/// The codes of a data table at one point, and their precision.
pub fn codes(
    def: &DataDef,
    point: &[(String, Scalar)],
    spec_dir: &Path,
) -> Result<(Vec<u8>, u32), SweepError> {
    let f = Fields { def, point };
    let source = f.str("source", None)?;
    let rows = f.int("rows", None, (1, 1 << 20))? as usize;
    let cols = f.int("cols", None, (1, 1 << 20))? as usize;
    if rows * cols > MAX_ELEMENTS {
        return Err(f.err(
            "rows",
            format!("{rows}×{cols} is more than {MAX_ELEMENTS} elements"),
        ));
    }
    match source.as_str() {
        "codes" => {
            let bits = f.int("bits", None, (1, 8))? as u32;
            let density = f.int("density_pct", Some(100), (0, 100))? as u64;
            let mut rng = Rng(f.int("seed", Some(0), (0, i64::MAX))? as u64);
            let nonzero = (1u64 << bits) - 1;
            let codes = (0..rows * cols)
                .map(|_| {
                    if rng.below(100) < density {
                        1 + rng.below(nonzero) as u8
                    } else {
                        0
                    }
                })
                .collect();
            Ok((codes, bits))
        }
        "laplace" | "npy" => {
            let t = if source == "laplace" {
                let scale = f.float("scale", 1.0)?;
                let mut rng = Rng(f.int("seed", Some(0), (0, i64::MAX))? as u64);
                let data = (0..rows * cols)
                    .map(|_| {
                        let u = rng.unit() - 0.5;
                        -scale * u.signum() * (1.0 - 2.0 * u.abs()).ln()
                    })
                    .collect();
                Tensor::new(vec![rows, cols], data).map_err(|e| f.err("source", e))?
            } else {
                let path = spec_dir.join(f.str("path", None)?);
                let t = bitloom_quant::npy::read_float(&path)
                    .map_err(|e| f.err("path", e.to_string()))?;
                if t.len() != rows * cols {
                    return Err(f.err(
                        "path",
                        format!(
                            "{} has {} elements, not rows × cols = {}",
                            path.display(),
                            t.len(),
                            rows * cols
                        ),
                    ));
                }
                Tensor::new(vec![rows, cols], t.data().to_vec()).map_err(|e| f.err("path", e))?
            };
            // A name, or the wfmt/afmt CSR code (so `format = "$WFMT"` follows the CSR).
            let format = match f.get("format") {
                None => Format::Int,
                Some(Scalar::Str(s)) if s == "int" => Format::Int,
                Some(Scalar::Int(0)) => Format::Int,
                Some(Scalar::Str(s)) if s == "uint" => Format::Uint,
                Some(Scalar::Int(1)) => Format::Uint,
                Some(Scalar::Str(s)) if s == "cluster" => Format::Cluster,
                Some(Scalar::Int(4)) => Format::Cluster,
                Some(other) => {
                    return Err(f.err(
                        "format",
                        format!(
                            "format `{}` (int, uint or cluster, or the CSR code 0, 1 or 4)",
                            other.plain()
                        ),
                    ))
                }
            };
            let bits = f.int("bits", None, (1, 8))? as u32;
            let mut opts = Options::new(format, bits);
            if format == Format::Cluster {
                opts.k = Some(KChoice::Fixed(f.int("k", None, (1, 7))? as u32));
            }
            opts.scale = match f.str("rule", Some("absmax"))?.as_str() {
                "absmax" => bitloom_quant::ScaleRule::Absmax,
                "mse" => bitloom_quant::ScaleRule::Mse,
                other => return Err(f.err("rule", format!("scale rule `{other}` (absmax or mse)"))),
            };
            if f.get("axis").is_some() {
                opts.axis = Some(f.int("axis", None, (0, 1))?);
            }
            let q =
                bitloom_quant::quantize(&t, &opts).map_err(|e| f.err("format", e.to_string()))?;
            Ok((q.codes, bits))
        }
        other => Err(f.err(
            "source",
            format!("unknown source `{other}` (laplace, npy or codes)"),
        )),
    }
}

/// The assembly for a data table at one point: `.data`, alignment, the label and bytes.
pub fn emit(
    def: &DataDef,
    point: &[(String, Scalar)],
    spec_dir: &Path,
) -> Result<String, SweepError> {
    let (codes, bits) = codes(def, point, spec_dir)?;
    let f = Fields { def, point };
    let bytes = match f.str("encoding", Some("raw"))?.as_str() {
        "raw" => bitloom_isa::numfmt::pack(&codes, bits),
        "rle" => {
            let r = f.int("runbits", None, (1, 8))? as u32;
            bitloom_isa::rle::encode(&codes, bits, r)
        }
        other => return Err(f.err("encoding", format!("encoding `{other}` (raw or rle)"))),
    };
    let mut s = String::with_capacity(bytes.len() * 4 + 64);
    let _ = writeln!(s, "        .data\n        .align  4\n{}:", def.label);
    for chunk in bytes.chunks(32) {
        s.push_str("        .byte   ");
        for (i, b) in chunk.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            let _ = write!(s, "{b}");
        }
        s.push('\n');
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::super::spec::Loc;
    use super::*;

    fn def(fields: &[(&str, Scalar)]) -> DataDef {
        let loc = Loc {
            file: "t.toml".into(),
            line: 1,
        };
        DataDef {
            label: "w".into(),
            fields: fields
                .iter()
                .map(|(n, v)| (n.to_string(), Field::Const(v.clone()), loc.clone()))
                .collect(),
            loc,
        }
    }

    #[test]
    fn sparse_codes_have_their_density() {
        let d = def(&[
            ("source", Scalar::Str("codes".into())),
            ("rows", Scalar::Int(100)),
            ("cols", Scalar::Int(100)),
            ("bits", Scalar::Int(8)),
            ("density_pct", Scalar::Int(70)),
            ("seed", Scalar::Int(3)),
        ]);
        let (c, b) = codes(&d, &[], Path::new(".")).unwrap();
        assert_eq!(b, 8);
        let nz = c.iter().filter(|&&x| x != 0).count();
        assert!((6700..7300).contains(&nz), "{nz}");
        assert_eq!(
            c,
            codes(&d, &[], Path::new(".")).unwrap().0,
            "deterministic"
        );
    }

    #[test]
    fn laplace_quantised_codes_fit_and_rle_round_trips() {
        for bits in [2u32, 4, 8] {
            let d = def(&[
                ("source", Scalar::Str("laplace".into())),
                ("rows", Scalar::Int(16)),
                ("cols", Scalar::Int(32)),
                ("bits", Scalar::Int(bits as i64)),
                ("seed", Scalar::Int(1)),
            ]);
            let (c, b) = codes(&d, &[], Path::new(".")).unwrap();
            assert_eq!((c.len(), b), (512, bits));
            assert!(c.iter().all(|&x| u32::from(x) < 1 << bits));
            let stream = bitloom_isa::rle::encode(&c, bits, 4);
            let mut back = Vec::new();
            bitloom_isa::rle::decode_into(&stream, bits, 4, c.len(), &mut back).unwrap();
            assert_eq!(back, c);
        }
    }

    #[test]
    fn parameter_fields_take_the_point_value() {
        let mut d = def(&[
            ("source", Scalar::Str("codes".into())),
            ("rows", Scalar::Int(4)),
            ("cols", Scalar::Int(4)),
        ]);
        d.fields
            .push(("bits".into(), Field::Param("P".into()), d.loc.clone()));
        let (c, b) = codes(&d, &[("P".into(), Scalar::Int(3))], Path::new(".")).unwrap();
        assert_eq!(b, 3);
        assert!(c.iter().all(|&x| (1..8).contains(&x)));
    }
}
