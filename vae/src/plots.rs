//! The run's figures, as PNG and SVG: β and a validation metric against epochs with the best epoch
//! marked (the write-up's Figure 2), and the training loss.
//!
//! Text is drawn with a subset of DejaVu Sans embedded in the crate (`assets/fonts`, licence beside
//! it), through plotters' `ab_glyph` feature: no fontconfig, freetype or installed font is needed.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::run_log::EpochRecord;

/// The embedded font; see `assets/fonts/LICENSE-DejaVu.txt`.
const FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-subset.ttf");
const FAMILY: &str = "sans-serif";
const SIZE: (u32, u32) = (960, 540);

/// A figure that could not be drawn or written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// There is nothing to plot.
    #[error("no epoch records to plot")]
    NoRecords,
    /// The embedded font did not parse (a broken build, not a user error).
    #[error("the embedded plot font is not a valid TrueType font")]
    Font,
    /// Drawing or writing the file failed.
    #[error("{}: {reason}", path.display())]
    Draw { path: PathBuf, reason: String },
}

/// The files written by [`write_training_plots`].
#[derive(Debug, Clone, PartialEq)]
pub struct PlotFiles {
    /// β and validation `metric` against epochs: `validation_beta.png` and `.svg`.
    pub validation_beta: [PathBuf; 2],
    /// Training loss against epochs: `train_loss.png` and `.svg`.
    pub train_loss: [PathBuf; 2],
}

/// Writes `validation_beta.{png,svg}` and `train_loss.{png,svg}` into `out_dir` (which must exist).
///
/// `metric` is the validation key to plot (`"ndcg@100"` for Figure 2); records without it are left
/// out of that line. `best_epoch`, if given, is marked on both figures with its metric value and β.
pub fn write_training_plots(
    records: &[EpochRecord],
    best_epoch: Option<usize>,
    metric: &str,
    out_dir: &Path,
) -> Result<PlotFiles, PlotError> {
    if records.is_empty() {
        return Err(PlotError::NoRecords);
    }
    register_font()?;
    let files = PlotFiles {
        validation_beta: [
            out_dir.join("validation_beta.png"),
            out_dir.join("validation_beta.svg"),
        ],
        train_loss: [
            out_dir.join("train_loss.png"),
            out_dir.join("train_loss.svg"),
        ],
    };
    let [png, svg] = &files.validation_beta;
    finish(
        png,
        draw_validation(
            BitMapBackend::new(png, SIZE).into_drawing_area(),
            records,
            best_epoch,
            metric,
        ),
    )?;
    finish(
        svg,
        draw_validation(
            SVGBackend::new(svg, SIZE).into_drawing_area(),
            records,
            best_epoch,
            metric,
        ),
    )?;
    let [png, svg] = &files.train_loss;
    finish(
        png,
        draw_loss(
            BitMapBackend::new(png, SIZE).into_drawing_area(),
            records,
            best_epoch,
        ),
    )?;
    finish(
        svg,
        draw_loss(
            SVGBackend::new(svg, SIZE).into_drawing_area(),
            records,
            best_epoch,
        ),
    )?;
    Ok(files)
}

fn finish(path: &Path, result: Result<(), String>) -> Result<(), PlotError> {
    result.map_err(|reason| PlotError::Draw {
        path: path.to_path_buf(),
        reason,
    })
}

fn register_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err(PlotError::Font)
    }
}

/// Figure 2: the validation metric on the left axis, β (dashed) on the right.
fn draw_validation<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    records: &[EpochRecord],
    best_epoch: Option<usize>,
    metric: &str,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let label = metric_label(metric);
    let metric_points: Vec<(f64, f64)> = records
        .iter()
        .filter_map(|r| r.validation.get(metric).map(|&v| (r.epoch as f64, v)))
        .filter(|(_, v)| v.is_finite())
        .collect();
    let beta_points: Vec<(f64, f64)> = records
        .iter()
        .map(|r| (r.epoch as f64, r.beta))
        .filter(|(_, b)| b.is_finite())
        .collect();
    let x = epoch_range(records);
    let y = value_range(metric_points.iter().map(|p| p.1), true);
    let y2 = value_range(beta_points.iter().map(|p| p.1), true);
    let blue = RGBColor(31, 119, 180);
    let red = RGBColor(214, 39, 40);

    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("Validation {label} and β by epoch"), (FAMILY, 24))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .right_y_label_area_size(60)
        .build_cartesian_2d(x.clone(), y.clone())
        .map_err(|e| e.to_string())?
        .set_secondary_coord(x, y2.clone());
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_desc(format!("validation {label}"))
        .axis_desc_style((FAMILY, 16))
        .label_style((FAMILY, 14))
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .configure_secondary_axes()
        .y_desc("β")
        .axis_desc_style((FAMILY, 16))
        .label_style((FAMILY, 14))
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(LineSeries::new(
            metric_points.iter().copied(),
            blue.stroke_width(2),
        ))
        .map_err(|e| e.to_string())?
        .label(format!("validation {label}"))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], blue.stroke_width(2)));
    chart
        .draw_secondary_series(DashedLineSeries::new(
            beta_points.iter().copied(),
            6,
            4,
            red.stroke_width(2),
        ))
        .map_err(|e| e.to_string())?
        .label("β")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], red.stroke_width(2)));
    if let Some(best) = best_epoch.and_then(|b| records.iter().find(|r| r.epoch == b)) {
        let bx = best.epoch as f64;
        chart
            .draw_series(DashedLineSeries::new(
                [(bx, y.start), (bx, y.end)],
                4,
                4,
                BLACK.mix(0.6).stroke_width(1),
            ))
            .map_err(|e| e.to_string())?;
        let value = best
            .validation
            .get(metric)
            .copied()
            .filter(|v| v.is_finite());
        let text = match value {
            Some(v) => format!(
                "best epoch {}: {label} {v:.4}, β {:.3}",
                best.epoch, best.beta
            ),
            None => format!("best epoch {}, β {:.3}", best.epoch, best.beta),
        };
        if let Some(v) = value {
            chart
                .draw_series(std::iter::once(Circle::new((bx, v), 6, blue.filled())))
                .map_err(|e| e.to_string())?
                .label(text)
                .legend(move |(x, y)| Circle::new((x + 10, y), 5, blue.filled()));
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font((FAMILY, 15))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// The mean training loss `NLL + β·KL` per epoch.
fn draw_loss<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    records: &[EpochRecord],
    best_epoch: Option<usize>,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let points: Vec<(f64, f64)> = records
        .iter()
        .map(|r| (r.epoch as f64, r.train_loss))
        .filter(|(_, l)| l.is_finite())
        .collect();
    let x = epoch_range(records);
    let y = value_range(points.iter().map(|p| p.1), false);
    let blue = RGBColor(31, 119, 180);

    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Training loss (NLL + β·KL) by epoch", (FAMILY, 24))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d(x, y.clone())
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_desc("training loss")
        .axis_desc_style((FAMILY, 16))
        .label_style((FAMILY, 14))
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(LineSeries::new(
            points.iter().copied(),
            blue.stroke_width(2),
        ))
        .map_err(|e| e.to_string())?
        .label("training loss")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], blue.stroke_width(2)));
    if let Some(best) = best_epoch {
        let bx = best as f64;
        chart
            .draw_series(DashedLineSeries::new(
                [(bx, y.start), (bx, y.end)],
                4,
                4,
                BLACK.mix(0.6).stroke_width(1),
            ))
            .map_err(|e| e.to_string())?
            .label(format!("best epoch {best}"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.6)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FAMILY, 15))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// `ndcg@100` → `NDCG@100`, `recall@20` → `Recall@20`, as the paper writes them.
fn metric_label(metric: &str) -> String {
    match metric.split_once('@') {
        Some((name, k)) if name.eq_ignore_ascii_case("ndcg") => format!("NDCG@{k}"),
        Some((name, k)) if name.eq_ignore_ascii_case("recall") => format!("Recall@{k}"),
        _ => metric.to_string(),
    }
}

/// The epochs' span, widened by one on each side when there is a single epoch.
fn epoch_range(records: &[EpochRecord]) -> Range<f64> {
    let lo = records.iter().map(|r| r.epoch).min().unwrap_or(0) as f64;
    let hi = records.iter().map(|r| r.epoch).max().unwrap_or(1) as f64;
    if hi > lo {
        lo..hi
    } else {
        lo - 1.0..hi + 1.0
    }
}

/// The span of `values` with 5 % padding; from 0 when `from_zero` and all values are non-negative
/// (β and the metrics, which start at or near 0).
fn value_range(values: impl Iterator<Item = f64>, from_zero: bool) -> Range<f64> {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if lo > hi {
        return 0.0..1.0;
    }
    let lo = if from_zero && lo >= 0.0 { 0.0 } else { lo };
    let pad = if hi > lo {
        0.05 * (hi - lo)
    } else {
        0.05 * hi.abs().max(1e-3)
    };
    let bottom = if from_zero && lo == 0.0 {
        0.0
    } else {
        lo - pad
    };
    bottom..hi + pad
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn records(n: usize) -> Vec<EpochRecord> {
        (1..=n)
            .map(|e| {
                let t = e as f64;
                EpochRecord {
                    epoch: e,
                    train_loss: 600.0 - 150.0 * (1.0 - (-t / 15.0).exp()),
                    beta: (t * 0.004).min(0.2),
                    validation: BTreeMap::from([(
                        "ndcg@100".to_string(),
                        0.42 * (1.0 - (-t / 10.0).exp()) - 0.0004 * t,
                    )]),
                    seconds: 2.0,
                }
            })
            .collect()
    }

    #[test]
    fn plots_are_written_as_valid_png_and_svg_files() {
        let dir = tempfile::tempdir().unwrap();
        let recs = records(80);
        let best = crate::run_log::best_epoch(&recs, "ndcg@100").map(|r| r.epoch);
        let files = write_training_plots(&recs, best, "ndcg@100", dir.path()).unwrap();
        for [png, svg] in [&files.validation_beta, &files.train_loss] {
            let bytes = std::fs::read(png).unwrap();
            assert!(
                bytes.len() > 1000,
                "{} is {} bytes",
                png.display(),
                bytes.len()
            );
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", png.display());
            let text = std::fs::read_to_string(svg).unwrap();
            assert!(
                text.starts_with("<svg") && text.trim_end().ends_with("</svg>"),
                "{}",
                svg.display()
            );
            assert!(text.contains("epoch"), "{}", svg.display());
        }
    }

    #[test]
    fn a_single_epoch_without_the_metric_still_plots() {
        let dir = tempfile::tempdir().unwrap();
        let mut recs = records(1);
        recs[0].validation.clear();
        assert!(write_training_plots(&recs, Some(1), "ndcg@100", dir.path()).is_ok());
    }

    #[test]
    fn no_records_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            write_training_plots(&[], None, "ndcg@100", dir.path()),
            Err(PlotError::NoRecords)
        ));
    }
}
