//! The run's figures, as PNG and SVG: β and validation NDCG against epochs with the best epoch marked
//! (the write-up's Figure 2), and the training loss. Text is drawn with an embedded DejaVu Sans
//! subset, so nothing is needed from the system's fonts.

use crate::run_log::EpochRecord;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Once;

/// A figure that could not be drawn or written.
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot draw the plot: {detail}")]
pub struct PlotError {
    pub path: PathBuf,
    pub detail: String,
}

static FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-subset.ttf");
static REGISTER: Once = Once::new();

fn register_font() {
    REGISTER.call_once(|| {
        // The font is part of the binary; a failure here is a build defect the plot tests catch.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

type Drawn = Result<(), String>;

fn e<T: std::fmt::Debug>(x: T) -> String {
    format!("{x:?}")
}

/// β (right axis) and the selection metric (left axis) per epoch, the best epoch marked.
fn beta_and_ndcg<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    r: &[EpochRecord],
    metric: &str,
    best: usize,
) -> Drawn {
    root.fill(&WHITE).map_err(e)?;
    let last = r.last().map_or(1, |x| x.epoch.max(1));
    let values: Vec<(usize, f64)> = r
        .iter()
        .filter_map(|x| x.validation.get(metric).map(|v| (x.epoch, *v)))
        .collect();
    let top = values.iter().map(|v| v.1).fold(0.0f64, f64::max).max(1e-3) * 1.1;
    let beta_top = r.iter().map(|x| x.beta).fold(0.0f64, f64::max).max(1e-3) * 1.1;
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("validation {metric} and β"), ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .right_y_label_area_size(60)
        .build_cartesian_2d(0usize..last, 0f64..top)
        .map_err(e)?
        .set_secondary_coord(0usize..last, 0f64..beta_top);
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(metric)
        .draw()
        .map_err(e)?;
    chart
        .configure_secondary_axes()
        .y_desc("β")
        .draw()
        .map_err(e)?;
    chart
        .draw_series(LineSeries::new(
            values.iter().copied(),
            BLUE.stroke_width(2),
        ))
        .map_err(e)?
        .label(format!("validation {metric}"))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLUE.stroke_width(2)));
    chart
        .draw_secondary_series(LineSeries::new(
            r.iter().map(|x| (x.epoch, x.beta)),
            RED.stroke_width(2),
        ))
        .map_err(e)?
        .label("β")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], RED.stroke_width(2)));
    if let Some(&(_, v)) = values.iter().find(|(ep, _)| *ep == best) {
        chart
            .draw_series([PathElement::new([(best, 0.0), (best, top)], BLACK.mix(0.5))])
            .map_err(e)?
            .label(format!("best epoch {best}: {v:.4}"))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLACK.mix(0.5)));
        chart
            .draw_series([Circle::new((best, v), 5, BLACK.filled())])
            .map_err(e)?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(e)?;
    root.present().map_err(e)
}

/// The mean training loss per epoch.
fn loss<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, r: &[EpochRecord]) -> Drawn {
    root.fill(&WHITE).map_err(e)?;
    let last = r.last().map_or(1, |x| x.epoch.max(1));
    let finite = || r.iter().map(|x| x.train_loss).filter(|v| v.is_finite());
    let (lo, hi) = (
        finite().fold(f64::INFINITY, f64::min),
        finite().fold(f64::NEG_INFINITY, f64::max),
    );
    let (lo, hi) = if lo.is_finite() && hi > lo {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let pad = 0.05 * (hi - lo);
    let mut chart = ChartBuilder::on(&root)
        .caption("training loss (NLL + β·KL)", ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0usize..last, (lo - pad)..(hi + pad))
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc("loss")
        .draw()
        .map_err(e)?;
    chart
        .draw_series(LineSeries::new(
            r.iter().map(|x| (x.epoch, x.train_loss)),
            BLUE.stroke_width(2),
        ))
        .map_err(e)?;
    root.present().map_err(e)
}

const SIZE: (u32, u32) = (900, 540);

/// Writes `beta_ndcg.{png,svg}` and `loss.{png,svg}` into `dir`; returns their paths.
pub fn write_training_plots(
    dir: &Path,
    records: &[EpochRecord],
    best_epoch: usize,
) -> Result<Vec<PathBuf>, PlotError> {
    register_font();
    let metric = records
        .first()
        .and_then(|r| {
            r.validation
                .keys()
                .find(|k| k.starts_with("ndcg@"))
                .cloned()
        })
        .unwrap_or_else(|| "ndcg@100".to_string());
    let mut written = Vec::new();
    fn fail(path: &Path) -> impl FnOnce(String) -> PlotError + '_ {
        move |detail| PlotError {
            path: path.to_path_buf(),
            detail,
        }
    }
    let path = dir.join("beta_ndcg.png");
    beta_and_ndcg(
        BitMapBackend::new(&path, SIZE).into_drawing_area(),
        records,
        &metric,
        best_epoch,
    )
    .map_err(fail(&path))?;
    written.push(path);
    let path = dir.join("beta_ndcg.svg");
    beta_and_ndcg(
        SVGBackend::new(&path, SIZE).into_drawing_area(),
        records,
        &metric,
        best_epoch,
    )
    .map_err(fail(&path))?;
    written.push(path);
    let path = dir.join("loss.png");
    loss(BitMapBackend::new(&path, SIZE).into_drawing_area(), records).map_err(fail(&path))?;
    written.push(path);
    let path = dir.join("loss.svg");
    loss(SVGBackend::new(&path, SIZE).into_drawing_area(), records).map_err(fail(&path))?;
    written.push(path);
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn plots_are_written_as_valid_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let records: Vec<EpochRecord> = (0..10)
            .map(|e| EpochRecord {
                epoch: e,
                train_loss: 500.0 - 10.0 * e as f64,
                nll: Some(495.0 - 10.0 * e as f64),
                kl: Some(20.0 + e as f64),
                beta_kl: Some(0.02 * e as f64 * (20.0 + e as f64)),
                beta: 0.02 * e as f64,
                validation: BTreeMap::from([("ndcg@100".to_string(), 0.3 + 0.01 * e as f64)]),
            })
            .collect();
        let files = write_training_plots(dir.path(), &records, 7).unwrap();
        assert_eq!(files.len(), 4);
        for f in files {
            let bytes = std::fs::read(&f).unwrap();
            if f.extension().unwrap() == "png" {
                assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", f.display());
            } else {
                let text = String::from_utf8(bytes).unwrap();
                assert!(
                    text.contains("<svg") && text.contains("epoch"),
                    "{}",
                    f.display()
                );
            }
        }
    }
}
