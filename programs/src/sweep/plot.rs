//! SVG plots of the results report, drawn with `plotters` (SVG backend only, no font
//! files: text is emitted as SVG `<text>`, so the output is plain, byte-for-byte
//! reproducible text that can be committed and diffed).

use plotters::prelude::*;

use super::SweepError;

/// One line (numeric x) or bar group member (categorical x).
pub struct Series {
    /// Legend text (empty: no legend).
    pub name: String,
    /// (x position, y) pairs; for categorical x the position is the category index.
    pub points: Vec<(f64, f64)>,
}

/// What to draw.
pub struct Figure<'a> {
    /// Caption.
    pub title: &'a str,
    /// x-axis description.
    pub x_label: &'a str,
    /// y-axis description.
    pub y_label: &'a str,
    /// Category names when x is categorical (bars); empty when x is numeric (lines).
    pub categories: &'a [String],
    /// The data.
    pub series: &'a [Series],
    /// The papers' values, drawn as black crosses: (x position, y, label).
    pub paper: &'a [(f64, f64)],
    /// Legend corner: `upper-left`, `upper-right`, `lower-left` or `lower-right`.
    pub legend: &'a str,
}

const COLOURS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

fn err<E: std::fmt::Debug>(e: E) -> SweepError {
    SweepError::Report(format!("plot: {e:?}"))
}

/// The figure as an SVG document.
pub fn svg(f: &Figure<'_>) -> Result<String, SweepError> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (720, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let ys = f
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .chain(f.paper.iter().map(|p| p.1));
        let ymax = ys.clone().fold(0.0f64, f64::max);
        let ymax = if ymax > 0.0 { ymax * 1.12 } else { 1.0 };
        let xs: Vec<f64> = f
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .collect();
        let (x0, x1) = if f.categories.is_empty() {
            let lo = xs.iter().cloned().fold(f64::INFINITY, f64::min);
            let hi = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            if lo.is_finite() && hi > lo {
                let pad = (hi - lo) * 0.04;
                (lo - pad, hi + pad)
            } else {
                (0.0, 1.0)
            }
        } else {
            (-0.5, f.categories.len() as f64 - 0.5)
        };
        let mut chart = ChartBuilder::on(&root)
            .caption(f.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, 0.0..ymax)
            .map_err(err)?;
        let cats = f.categories;
        let whole = xs.iter().all(|x| x.fract() == 0.0);
        let fmt_x = |x: &f64| {
            if cats.is_empty() {
                let r = x.round();
                if (x - r).abs() < 1e-9 {
                    format!("{r}")
                } else if whole {
                    String::new() // integer axes (bits, k, %): no fractional ticks
                } else {
                    format!("{x:.2}")
                }
            } else {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < cats.len() {
                    cats[i as usize].clone()
                } else {
                    String::new()
                }
            }
        };
        let n_labels = if cats.is_empty() {
            10
        } else {
            cats.len() * 2 + 1
        };
        chart
            .configure_mesh()
            .x_desc(f.x_label)
            .y_desc(f.y_label)
            .x_labels(n_labels)
            .x_label_formatter(&fmt_x)
            .y_label_formatter(&|y| super::report::fmt_num(*y))
            .draw()
            .map_err(err)?;
        let n = f.series.len().max(1) as f64;
        for (i, s) in f.series.iter().enumerate() {
            let c = COLOURS[i % COLOURS.len()];
            let anno = if cats.is_empty() {
                chart
                    .draw_series(LineSeries::new(s.points.iter().cloned(), c.stroke_width(2)))
                    .map_err(err)?;
                chart
                    .draw_series(s.points.iter().map(|&p| Circle::new(p, 3, c.filled())))
                    .map_err(err)?
            } else {
                // Bars: each category's width 0.8 shared by the series.
                let w = 0.8 / n;
                chart
                    .draw_series(s.points.iter().map(|&(x, y)| {
                        let l = x - 0.4 + w * i as f64;
                        Rectangle::new([(l, 0.0), (l + w * 0.92, y)], c.filled())
                    }))
                    .map_err(err)?
            };
            if !s.name.is_empty() {
                anno.label(s.name.clone()).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.filled())
                });
            }
        }
        if !f.paper.is_empty() {
            chart
                .draw_series(
                    f.paper
                        .iter()
                        .map(|&p| Cross::new(p, 6, BLACK.stroke_width(2))),
                )
                .map_err(err)?
                .label("paper")
                .legend(|(x, y)| Cross::new((x + 7, y), 5, BLACK.stroke_width(2)));
        }
        if f.series.iter().any(|s| !s.name.is_empty()) || !f.paper.is_empty() {
            let pos = match f.legend {
                "upper-right" => SeriesLabelPosition::UpperRight,
                "lower-left" => SeriesLabelPosition::LowerLeft,
                "lower-right" => SeriesLabelPosition::LowerRight,
                _ => SeriesLabelPosition::UpperLeft,
            };
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .position(pos)
                .draw()
                .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(buf)
}
