//! The run's figures, as PNG and SVG: β and validation NDCG against epochs with the best epoch marked
//! (the write-up's Figure 2), and the training loss with its terms (the NLL; the KL and `β·KL` below
//! it, for Mult-VAE). Text is drawn with an embedded DejaVu Sans subset, so nothing is needed from
//! the system's fonts.
//!
//! Each chart's value axes reach [`HEADROOM`] times above its highest value, and its legend sits in
//! that empty band at the top right: no curve runs under the legend, whatever shape it has.

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

pub(crate) fn register_font() {
    REGISTER.call_once(|| {
        // The font is part of the binary; a failure here is a build defect the plot tests catch.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

type Drawn = Result<(), String>;

fn e<T: std::fmt::Debug>(x: T) -> String {
    format!("{x:?}")
}

/// The value axes' top over the highest value drawn: the band above is the legend's.
const HEADROOM: f64 = 1.45;

/// The legend, in the empty band [`HEADROOM`] leaves at the top.
fn legend<'a, DB, X, Y>(chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>) -> Drawn
where
    DB: DrawingBackend + 'a,
    X: Ranged,
    Y: Ranged,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(e)
}

/// β (right axis) and the selection metric (left axis) per epoch, the best epoch marked; a run whose
/// loss has no KL term (Mult-DAE, NCF) has no β to draw, whatever its log's `beta` holds (Mult-DAE
/// logs the schedule's value, which nothing weighs), and its figure only the metric.
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
    let highest = values.iter().map(|v| v.1).fold(0.0f64, f64::max).max(1e-3);
    let top = highest * HEADROOM;
    // β's own scale, however small it stays (an annealing far from its cap).
    let beta_max = r.iter().map(|x| x.beta).fold(0.0f64, f64::max);
    let with_beta = r.iter().any(|x| x.kl.is_some());
    let beta_top = if beta_max > 0.0 { beta_max } else { 1.0 } * HEADROOM;
    let caption = if with_beta {
        format!("validation {metric} and β")
    } else {
        format!("validation {metric}")
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .right_y_label_area_size(if with_beta { 60 } else { 20 })
        .build_cartesian_2d(0usize..last, 0f64..top)
        .map_err(e)?
        .set_secondary_coord(0usize..last, 0f64..beta_top);
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(metric)
        .draw()
        .map_err(e)?;
    if with_beta {
        chart
            .configure_secondary_axes()
            .y_desc("β")
            .draw()
            .map_err(e)?;
    }
    chart
        .draw_series(LineSeries::new(
            values.iter().copied(),
            BLUE.stroke_width(2),
        ))
        .map_err(e)?
        .label(format!("validation {metric}"))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLUE.stroke_width(2)));
    if with_beta {
        chart
            .draw_secondary_series(LineSeries::new(
                r.iter().map(|x| (x.epoch, x.beta)),
                RED.stroke_width(2),
            ))
            .map_err(e)?
            .label("β")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], RED.stroke_width(2)));
    }
    if let Some(&(_, v)) = values.iter().find(|(ep, _)| *ep == best) {
        // Up to the highest value only: the band above is the legend's.
        chart
            .draw_series([PathElement::new(
                [(best, 0.0), (best, highest * 1.05)],
                BLACK.mix(0.5),
            )])
            .map_err(e)?
            .label(format!("best epoch {best}: {v:.4}"))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLACK.mix(0.5)));
        chart
            .draw_series([Circle::new((best, v), 5, BLACK.filled())])
            .map_err(e)?;
    }
    legend(&mut chart)?;
    root.present().map_err(e)
}

/// One named curve of a loss panel.
struct Curve {
    label: &'static str,
    color: RGBColor,
    width: u32,
    points: Vec<(usize, f64)>,
}

/// The curves against epochs, on one axis spanning their finite values (and the legend's band).
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    last: usize,
    curves: &[Curve],
) -> Drawn {
    let finite = || {
        curves
            .iter()
            .flat_map(|c| c.points.iter().map(|p| p.1))
            .filter(|v| v.is_finite())
    };
    let (lo, hi) = (
        finite().fold(f64::INFINITY, f64::min),
        finite().fold(f64::NEG_INFINITY, f64::max),
    );
    let (lo, hi) = if lo.is_finite() && hi > lo {
        (lo, hi)
    } else if lo.is_finite() {
        (lo - 0.5, lo + 0.5)
    } else {
        (0.0, 1.0)
    };
    let span = hi - lo;
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0usize..last, (lo - 0.05 * span)..(lo + span * HEADROOM))
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc("mean over the epoch's steps")
        .draw()
        .map_err(e)?;
    for c in curves {
        let style = c.color.stroke_width(c.width);
        chart
            .draw_series(LineSeries::new(c.points.iter().copied(), style))
            .map_err(e)?
            .label(c.label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], style));
    }
    legend(&mut chart)
}

const GREEN_DARK: RGBColor = RGBColor(0, 128, 0);
const ORANGE: RGBColor = RGBColor(230, 120, 0);

/// The mean training loss per epoch, with the NLL beside it where logged; for Mult-VAE a second
/// panel below with the KL and `β·KL` (the gap between the loss and the NLL above).
fn loss<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, r: &[EpochRecord]) -> Drawn {
    root.fill(&WHITE).map_err(e)?;
    let last = r.last().map_or(1, |x| x.epoch.max(1));
    let of = |f: fn(&EpochRecord) -> Option<f64>| -> Vec<(usize, f64)> {
        r.iter()
            .filter_map(|x| f(x).map(|v| (x.epoch, v)))
            .collect()
    };
    // The loss wide and the NLL thin over it: where they coincide (Mult-DAE without λ, a β near 0)
    // both stay visible.
    let total = Curve {
        label: "training loss",
        color: BLUE,
        width: 4,
        points: of(|x| Some(x.train_loss)),
    };
    let nll = Curve {
        label: "NLL",
        width: 2,
        color: GREEN_DARK,
        points: of(|x| x.nll),
    };
    let kl = Curve {
        label: "KL",
        width: 2,
        color: RED,
        points: of(|x| x.kl),
    };
    let beta_kl = Curve {
        label: "β·KL",
        width: 2,
        color: ORANGE,
        points: of(|x| x.beta_kl),
    };
    if kl.points.is_empty() {
        let caption = if nll.points.is_empty() {
            "training loss"
        } else {
            "training loss and its NLL"
        };
        let curves: Vec<Curve> = [total, nll]
            .into_iter()
            .filter(|c| !c.points.is_empty())
            .collect();
        panel(&root, caption, last, &curves)?;
    } else {
        let (upper, lower) = root.split_vertically(root.dim_in_pixel().1 / 2);
        panel(&upper, "training loss = NLL + β·KL", last, &[total, nll])?;
        panel(
            &lower,
            "KL and β·KL, the KL's share of the loss",
            last,
            &[kl, beta_kl],
        )?;
    }
    root.present().map_err(e)
}

const SIZE: (u32, u32) = (900, 540);

/// `loss.png` holds a second panel where the KL is logged.
fn loss_size(records: &[EpochRecord]) -> (u32, u32) {
    if records.iter().any(|r| r.kl.is_some()) {
        (SIZE.0, 2 * SIZE.1 - 100)
    } else {
        SIZE
    }
}

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
    loss(
        BitMapBackend::new(&path, loss_size(records)).into_drawing_area(),
        records,
    )
    .map_err(fail(&path))?;
    written.push(path);
    let path = dir.join("loss.svg");
    loss(
        SVGBackend::new(&path, loss_size(records)).into_drawing_area(),
        records,
    )
    .map_err(fail(&path))?;
    written.push(path);
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn a_run_without_a_kl_term_draws_no_beta_axis_or_curve() {
        register_font();
        // Mult-DAE logs the annealing schedule's β though its loss has no KL term to weigh.
        for (kl, drawn) in [(None, false), (Some(3.0), true)] {
            let records: Vec<EpochRecord> = (0..5)
                .map(|e| EpochRecord {
                    epoch: e,
                    train_loss: 1.0,
                    nll: None,
                    kl,
                    beta_kl: None,
                    beta: 0.01 * e as f64,
                    validation: BTreeMap::from([("ndcg@100".to_string(), 0.1 * e as f64)]),
                })
                .collect();
            let mut svg = String::new();
            beta_and_ndcg(
                SVGBackend::with_string(&mut svg, (600, 400)).into_drawing_area(),
                &records,
                "ndcg@100",
                4,
            )
            .unwrap();
            assert_eq!(svg.contains('β'), drawn, "kl {kl:?}");
            assert!(svg.contains("validation ndcg@100"));
        }
    }

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

    /// Every curve rising to its highest at the last epoch: the case where a legend at the right
    /// covers a curve's end unless the chart leaves it room.
    fn rising(epochs: usize, with_kl: bool) -> Vec<EpochRecord> {
        (0..epochs)
            .map(|e| {
                let t = e as f64;
                EpochRecord {
                    epoch: e,
                    train_loss: 300.0 + 10.0 * t,
                    nll: Some(290.0 + 10.0 * t),
                    kl: with_kl.then_some(5.0 * t),
                    beta_kl: with_kl.then_some(0.02 * t * 5.0 * t),
                    beta: 0.02 * t,
                    validation: BTreeMap::from([("ndcg@100".to_string(), 0.1 + 0.03 * t)]),
                }
            })
            .collect()
    }

    fn attr(tag: &str, name: &str) -> f64 {
        let start = tag.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        let len = tag[start..].find('"').unwrap();
        tag[start..start + len].parse().unwrap()
    }

    /// Whether the segment a–b meets the rectangle (x0, y0, x1, y1), by sampling it finely (a curve's
    /// segments are a few pixels to a few dozen long).
    fn meets(a: (f64, f64), b: (f64, f64), r: (f64, f64, f64, f64)) -> bool {
        (0..=200).any(|k| {
            let t = k as f64 / 200.0;
            let (x, y) = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
            x >= r.0 && x <= r.2 && y >= r.1 && y <= r.3
        })
    }

    /// The legend boxes of an SVG figure (plotters draws each as a white rectangle at 0.9 opacity)
    /// and the polylines drawn before each: the chart's curves, axes and grid, not the legend's
    /// own samples.
    fn legend_overlaps(svg: &str) -> Vec<String> {
        let mut drawn: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut found = Vec::new();
        let mut legends = 0;
        for line in svg.lines() {
            if line.starts_with("<polyline") {
                let start = line.find("points=\"").unwrap() + 8;
                let len = line[start..].find('"').unwrap();
                drawn.push(
                    line[start..start + len]
                        .split_whitespace()
                        .map(|p| {
                            let (x, y) = p.split_once(',').unwrap();
                            (x.parse().unwrap(), y.parse().unwrap())
                        })
                        .collect(),
                );
            } else if line.starts_with("<rect") && line.contains("opacity=\"0.9\"") {
                legends += 1;
                let (x, y) = (attr(line, "x"), attr(line, "y"));
                let r = (x, y, x + attr(line, "width"), y + attr(line, "height"));
                for (k, pts) in drawn.iter().enumerate() {
                    if pts.windows(2).any(|w| meets(w[0], w[1], r)) {
                        found.push(format!(
                            "legend {legends} {r:?} covers polyline {k}: {pts:?}"
                        ));
                    }
                }
                drawn.clear();
            }
        }
        assert!(legends > 0, "no legend found in\n{svg}");
        found
    }

    #[test]
    fn no_curve_runs_under_a_legend_even_when_every_curve_ends_at_its_highest() {
        register_font();
        for with_kl in [true, false] {
            let records = rising(30, with_kl);
            let mut svg = String::new();
            beta_and_ndcg(
                SVGBackend::with_string(&mut svg, SIZE).into_drawing_area(),
                &records,
                "ndcg@100",
                29,
            )
            .unwrap();
            let overlaps = legend_overlaps(&svg);
            assert!(overlaps.is_empty(), "beta_ndcg: {overlaps:#?}");
            let mut svg = String::new();
            loss(
                SVGBackend::with_string(&mut svg, loss_size(&records)).into_drawing_area(),
                &records,
            )
            .unwrap();
            let overlaps = legend_overlaps(&svg);
            assert!(overlaps.is_empty(), "loss (KL: {with_kl}): {overlaps:#?}");
        }
    }
}
