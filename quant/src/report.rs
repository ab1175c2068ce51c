//! The report of a quantisation (text and JSON) and the files `bitloom quant` writes.
//!
//! Files in the output directory (only those that apply):
//!
//! | file | dtype, shape | content |
//! |---|---|---|
//! | `codes.npy` | uint8, input shape | codes (`bits` bits each) |
//! | `codes.bin` | bytes | codes packed densely, LSB-first (docs/ISA.md §4), for `.incbin` |
//! | `codes.rle` | bytes | the RLE stream (`--rle R`), for `.incbin` and `ld.rle` |
//! | `scale.npy` | float64, `[C]` | per-channel (or `[1]` per-tensor) scale; vsq: γ |
//! | `zero_point.npy` | uint8, `[C]` | uint zero-points |
//! | `lut.npy` | int8, `[2^N]` | LUT entries for `set.lut` |
//! | `vscale.npy` | uint8, `[M, V]` / `[V, N]` | VSQ integer per-vector scales |
//! | `bcorr.npy` | float64, `[O]` | bias correction, real units |
//! | `bcorr_acc.npy` | int32, `[O, 1]` | bias correction, accumulator units (`bcorr` tile) |
//! | `dequant.npy` | float64, input shape | the reconstruction the SQNR compares |
//! | `report.txt`, `report.json` | text | this report |

use std::path::Path;

use bitloom_isa::numfmt::pack;
use bitloom_isa::rle;
use serde::Serialize;

use crate::npy;
use crate::stats::{self, EffectualBits, RleStats, SliceStats};
use crate::{Error, Format, Quantized, Tensor};

/// Every file name `write_outputs` may write.
pub const OUTPUT_NAMES: [&str; 12] = [
    "codes.npy",
    "codes.bin",
    "codes.rle",
    "scale.npy",
    "zero_point.npy",
    "lut.npy",
    "vscale.npy",
    "bcorr.npy",
    "bcorr_acc.npy",
    "dequant.npy",
    "report.txt",
    "report.json",
];

/// Everything the report says, as serialised to JSON.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Input file (as given).
    pub input: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Format name.
    pub format: &'static str,
    /// Code bits.
    pub bits: u32,
    /// Channel axis of the scales (`null`: per tensor).
    pub axis: Option<usize>,
    /// Scales (per channel; γ for vsq).
    pub scales: Vec<f64>,
    /// uint zero-points.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub zero_points: Vec<u8>,
    /// log base (`"2"` or `"sqrt2"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_base: Option<String>,
    /// LUT entries.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lut: Vec<i8>,
    /// VSQ: vector length, scale bits, scale tensor shape, mean integer scale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vsq: Option<VsqInfo>,
    /// cluster k.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub k: Option<u32>,
    /// cluster `--k auto`: SQNR (dB, `null` = exact) per k tried.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub k_search: Vec<(u32, Option<f64>)>,
    /// SQNR in dB against the float tensor (`null`: exact).
    pub sqnr_db: Option<f64>,
    /// Largest absolute error.
    pub max_abs_error: f64,
    /// Non-zero values / elements.
    pub density: f64,
    /// Non-zero codes / elements (what `dchk` counts and RLE compresses).
    pub code_density: f64,
    /// Effectual bits of the code values.
    pub effectual_bits: EffectualBits,
    /// High-order slices (codes wider than the slice).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slices: Option<SliceStats>,
    /// uint `--zpm`: zero-points, slices and SQNR before the manipulation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zpm_before: Option<ZpmBefore>,
    /// RLE against raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rle: Option<RleStats>,
    /// Bias correction, real units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bcorr: Option<Vec<f64>>,
    /// Bias correction, accumulator units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bcorr_acc: Option<Vec<i32>>,
    /// Files written (names in the output directory).
    pub files: Vec<String>,
}

/// VSQ details.
#[derive(Clone, Debug, Serialize)]
pub struct VsqInfo {
    /// Vector length V.
    pub vlen: usize,
    /// Scale bits M.
    pub scale_bits: u32,
    /// Shape of `vscale.npy`.
    pub scale_shape: [usize; 2],
    /// Mean integer scale.
    pub mean_scale: f64,
    /// Storage bits per element, N + M·(scales / elements).
    pub bits_per_element: f64,
}

/// What zero-point manipulation started from.
#[derive(Clone, Debug, Serialize)]
pub struct ZpmBefore {
    /// Zero-points before.
    pub zero_points: Vec<u8>,
    /// Slice statistics before.
    pub slices: SliceStats,
    /// SQNR before (dB).
    pub sqnr_db: Option<f64>,
}

/// Build the report of `q` (quantised from `t`, read from `input`).
pub fn build(input: &str, t: &Tensor, q: &Quantized) -> Report {
    let o = &q.options;
    let max_abs_error = t
        .data()
        .iter()
        .zip(&q.recon)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    let vsq = q.vscale.as_ref().map(|v| VsqInfo {
        vlen: o.vlen,
        scale_bits: v.bits,
        scale_shape: v.shape,
        mean_scale: v.codes.iter().map(|&c| f64::from(c)).sum::<f64>() / v.codes.len() as f64,
        bits_per_element: f64::from(o.bits)
            + f64::from(v.bits) * v.codes.len() as f64 / q.codes.len() as f64,
    });
    Report {
        input: input.to_string(),
        shape: q.shape.clone(),
        format: o.format.name(),
        bits: o.bits,
        axis: q.axis,
        scales: q.scales.clone(),
        zero_points: q.zero_points.clone(),
        log_base: (o.format == Format::Log).then(|| o.log_base.to_string()),
        lut: q.lut.clone(),
        vsq,
        k: q.ck,
        k_search: q.k_search.clone(),
        sqnr_db: stats::sqnr_db(t.data(), &q.recon),
        max_abs_error,
        density: stats::value_density(&q.values),
        code_density: stats::code_density(&q.codes),
        effectual_bits: stats::effectual_bits(&q.values, o.lane_group),
        slices: (o.bits > o.slice).then(|| stats::slice_stats(&q.codes, o.slice)),
        zpm_before: q.zpm.as_ref().map(|z| ZpmBefore {
            zero_points: z.zp_before.clone(),
            slices: z.before.clone(),
            sqnr_db: z.sqnr_before,
        }),
        rle: o.rle.map(|r| stats::rle_stats(&q.codes, o.bits, r)),
        bcorr: q.bcorr.clone(),
        bcorr_acc: q.bcorr_acc.clone(),
        files: Vec::new(),
    }
}

fn db(v: Option<f64>) -> String {
    v.map_or("inf (exact)".into(), |d| format!("{d:.2} dB"))
}

/// Up to 8 numbers, then "… (n total; min .., max ..)".
fn list<T: std::fmt::Display + Copy + PartialOrd>(v: &[T]) -> String {
    let head: Vec<String> = v.iter().take(8).map(|x| format!("{x}")).collect();
    if v.len() <= 8 {
        format!("[{}]", head.join(", "))
    } else {
        let min = v
            .iter()
            .copied()
            .fold(v[0], |a, b| if b < a { b } else { a });
        let max = v
            .iter()
            .copied()
            .fold(v[0], |a, b| if b > a { b } else { a });
        format!(
            "[{}, …] ({} total; min {min}, max {max})",
            head.join(", "),
            v.len()
        )
    }
}

/// A number shown in scientific notation with `P` digits, ordered by its value (so the
/// min/max of a list of them are numeric, not lexicographic).
#[derive(Clone, Copy, PartialEq, PartialOrd)]
struct Sci<const P: usize>(f64);

impl<const P: usize> std::fmt::Display for Sci<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.*e}", P, self.0)
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

impl Report {
    /// Human-readable report.
    pub fn text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(s, "input        {}", self.input);
        let _ = writeln!(s, "shape        {}", npy::shape_str(&self.shape));
        let mut fmt = format!("{} {}-bit", self.format, self.bits);
        if let Some(b) = &self.log_base {
            fmt += &format!(", base {b}");
        }
        if let Some(k) = self.k {
            fmt += &format!(", k = {k}");
        }
        let _ = writeln!(s, "format       {fmt}");
        let scope = match self.axis {
            None => "per tensor".to_string(),
            Some(a) => format!("per channel (axis {a})"),
        };
        let sc: Vec<Sci<6>> = self.scales.iter().map(|&x| Sci(x)).collect();
        let _ = writeln!(s, "scales       {scope}: {}", list(&sc));
        if !self.zero_points.is_empty() {
            let _ = writeln!(s, "zero-points  {}", list(&self.zero_points));
        }
        if !self.lut.is_empty() {
            let _ = writeln!(s, "lut          {}", list(&self.lut));
        }
        if let Some(v) = &self.vsq {
            let _ = writeln!(
                s,
                "vsq          V = {}, M = {} bits, scales {}, mean scale {:.2}, {:.3} bits/element",
                v.vlen,
                v.scale_bits,
                npy::shape_str(&v.scale_shape),
                v.mean_scale,
                v.bits_per_element
            );
        }
        for (k, d) in &self.k_search {
            let _ = writeln!(s, "k search     k = {k}: {}", db(*d));
        }
        let _ = writeln!(
            s,
            "SQNR         {} (max |error| {:.4e})",
            db(self.sqnr_db),
            self.max_abs_error
        );
        let _ = writeln!(
            s,
            "density      {} non-zero values, {} non-zero codes",
            pct(self.density),
            pct(self.code_density)
        );
        let e = &self.effectual_bits;
        let last = e.histogram.iter().rposition(|&c| c != 0).unwrap_or(0);
        let _ = writeln!(
            s,
            "eff. bits    mean {:.2}, max {}, mean max per {}-lane group {:.2}; histogram {:?}",
            e.mean,
            e.max,
            e.lane_group,
            e.mean_group_max,
            &e.histogram[..=last]
        );
        if let Some(z) = &self.zpm_before {
            let _ = writeln!(
                s,
                "zpm before   zero-points {}, HO slices = r ({}) {}, SQNR {}",
                list(&z.zero_points),
                z.slices.r,
                pct(z.slices.skippable),
                db(z.sqnr_db)
            );
        }
        if let Some(sl) = &self.slices {
            let label = if self.zpm_before.is_some() {
                "zpm after "
            } else {
                "slices    "
            };
            let _ = writeln!(
                s,
                "{label}   s = {}: HO slices = r ({}) {} (skippable), HO = 0 {}",
                sl.slice,
                sl.r,
                pct(sl.skippable),
                pct(sl.zero)
            );
        }
        if let Some(r) = &self.rle {
            let _ = writeln!(
                s,
                "rle          r = {}: {} bytes vs {} raw at code density {} (RLE wins below ≈{}): {}",
                r.run_bits,
                r.rle_bytes,
                r.raw_bytes,
                pct(r.code_density),
                pct(r.break_even_density),
                if r.worth_it { "worth it" } else { "not worth it" }
            );
        }
        if let Some(b) = &self.bcorr {
            let v: Vec<Sci<4>> = b.iter().map(|&x| Sci(x)).collect();
            let _ = writeln!(s, "bias corr.   {}", list(&v));
        }
        if let Some(b) = &self.bcorr_acc {
            let _ = writeln!(s, "bias corr.   accumulator units {}", list(b));
        }
        if !self.files.is_empty() {
            let _ = writeln!(s, "wrote        {}", self.files.join(", "));
        }
        s
    }

    /// JSON report.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

/// Write every output file of `q` into `dir` (created if missing) and record their names
/// in `report.files`; then `report.txt` and `report.json`.
/// `inputs` (the files read) are never overwritten: an output name that is one of them is
/// an error before anything is written.
pub fn write_outputs(
    dir: &Path,
    q: &Quantized,
    report: &mut Report,
    inputs: &[&Path],
) -> Result<(), Error> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::new(format!("{}: cannot create: {e}", dir.display())))?;
    let ins: Vec<_> = inputs
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    for name in OUTPUT_NAMES {
        if let Ok(c) = std::fs::canonicalize(dir.join(name)) {
            if ins.contains(&c) {
                return Err(Error::new(format!(
                    "{}: is an input of this run; choose another output directory",
                    dir.join(name).display()
                )));
            }
        }
    }
    let o = &q.options;
    let mut files = Vec::new();
    let mut put = |name: &str| {
        files.push(name.to_string());
        dir.join(name)
    };
    npy::write_u8(&put("codes.npy"), &q.codes, &q.shape)?;
    npy::write_bytes(&put("codes.bin"), &pack(&q.codes, o.bits))?;
    if let Some(r) = o.rle {
        npy::write_bytes(&put("codes.rle"), &rle::encode(&q.codes, o.bits, r))?;
    }
    npy::write_f64(&put("scale.npy"), &q.scales, &[q.scales.len()])?;
    if !q.zero_points.is_empty() {
        npy::write_u8(
            &put("zero_point.npy"),
            &q.zero_points,
            &[q.zero_points.len()],
        )?;
    }
    if !q.lut.is_empty() {
        npy::write_i8(&put("lut.npy"), &q.lut, &[q.lut.len()])?;
    }
    if let Some(v) = &q.vscale {
        npy::write_u8(&put("vscale.npy"), &v.codes, &v.shape)?;
    }
    if let Some(b) = &q.bcorr {
        npy::write_f64(&put("bcorr.npy"), b, &[b.len()])?;
    }
    if let Some(b) = &q.bcorr_acc {
        npy::write_i32(&put("bcorr_acc.npy"), b, &[b.len(), 1])?;
    }
    npy::write_f64(&put("dequant.npy"), &q.recon, &q.shape)?;
    files.push("report.txt".into());
    files.push("report.json".into());
    report.files = files;
    npy::write_bytes(&dir.join("report.txt"), report.text().as_bytes())?;
    npy::write_bytes(&dir.join("report.json"), report.json().as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: min/max were taken over the formatted strings ("1.0e-1" < "9.6e-2").
    #[test]
    fn list_min_max_are_numeric() {
        let v: Vec<Sci<6>> = [0.1005611, 0.09630654, 0.5, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8]
            .iter()
            .map(|&x| Sci(x))
            .collect();
        let s = list(&v);
        assert!(
            s.ends_with("(9 total; min 9.630654e-2, max 8.000000e-1)"),
            "{s}"
        );
    }
}
