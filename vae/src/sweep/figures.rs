//! The sweep's figures, as PNG and SVG. Figure 2 (the write-up's): for each configuration, the
//! validation NDCG per epoch, averaged over its seeds, with β on a second axis and the best epoch of
//! the mean curve marked; one panel per configuration, all on the same NDCG scale. Figure 3: test
//! NDCG (mean ± sd over seeds) against the latent size `dims.last()`, one line per model and the
//! other settings.

use super::error::Result;
use super::sweep_dir::SweepDir;
use super::table::{configs, mean_sd, Config, Row};
use crate::plots::{register_font, PlotError};
use crate::run_log::{self, EpochRecord};
use crate::train::RunDir;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::PathBuf;

type Drawn = std::result::Result<(), String>;

fn e<T: std::fmt::Debug>(x: T) -> String {
    format!("{x:?}")
}

/// One configuration's curves: the mean over seeds of the validation metric at each epoch all its
/// seeds reached, and β (the same schedule for every seed).
struct Curves {
    name: String,
    /// Whether the model has β (Mult-DAE's is not drawn: it has no KL term to weigh).
    has_beta: bool,
    seeds: usize,
    ndcg: Vec<(usize, f64)>,
    beta: Vec<(usize, f64)>,
}

impl Curves {
    fn best(&self) -> Option<(usize, f64)> {
        self.ndcg.iter().copied().fold(None, |b, p| match b {
            Some((_, v)) if v >= p.1 => b,
            _ => Some(p),
        })
    }
}

fn curves(sweep: &SweepDir, rows: &[Row], c: &Config, metric: &str) -> Result<Curves> {
    let mut runs: Vec<Vec<EpochRecord>> = Vec::new();
    for &i in &c.rows {
        let path = sweep.point(&rows[i].point).join("metrics.jsonl");
        runs.push(run_log::read(&path)?);
    }
    let epochs = runs.iter().map(Vec::len).min().unwrap_or(0);
    let ndcg = (0..epochs)
        .map(|k| {
            let v: Vec<f64> = runs
                .iter()
                .filter_map(|r| r[k].validation.get(metric).copied())
                .collect();
            (runs[0][k].epoch, mean_sd(&v).0)
        })
        .collect();
    let beta = runs[0][..epochs]
        .iter()
        .map(|r| (r.epoch, r.beta))
        .collect();
    Ok(Curves {
        name: c.name.clone(),
        has_beta: c.model == "vae",
        seeds: c.rows.len(),
        ndcg,
        beta,
    })
}

const PANEL: (u32, u32) = (500, 300);
const TITLE: u32 = 70;

fn figure2<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    all: &[Curves],
    metric: &str,
) -> Drawn {
    root.fill(&WHITE).map_err(e)?;
    let seeds: Vec<String> = {
        let mut s: Vec<usize> = all.iter().map(|c| c.seeds).collect();
        s.dedup();
        s.iter().map(|n| n.to_string()).collect()
    };
    let (title, body) = root.split_vertically(TITLE);
    title
        .draw(&Text::new(
            format!(
                "Validation {metric} per epoch (blue, left axis; mean over {} seed(s)) and β (red, right axis)",
                seeds.join("/")
            ),
            (20, 12),
            ("sans-serif", 22).into_font(),
        ))
        .map_err(e)?;
    title
        .draw(&Text::new(
            "the dot and grey line: the best epoch of the mean curve, its value in the panel's title; \
             Mult-DAE has no β",
            (20, 42),
            ("sans-serif", 17).into_font(),
        ))
        .map_err(e)?;
    let cols = if all.len() > 4 {
        3
    } else {
        all.len().clamp(1, 2)
    };
    let rows = all.len().div_ceil(cols);
    let top = all
        .iter()
        .flat_map(|c| c.ndcg.iter().map(|p| p.1))
        .fold(0.0f64, f64::max)
        .max(1e-3)
        * 1.08;
    let beta_top = all
        .iter()
        .flat_map(|c| c.beta.iter().map(|p| p.1))
        .fold(0.0f64, f64::max);
    let beta_top = if beta_top > 0.0 { beta_top * 1.08 } else { 1.0 };
    for (c, area) in all.iter().zip(body.split_evenly((rows, cols))) {
        let last = c.ndcg.last().map_or(1, |p| p.0.max(1));
        let best = c.best();
        // Spaced, so that the commas read as commas at this size.
        let name = c.name.replace(',', ", ");
        let caption = match best {
            Some((ep, v)) => format!("{name}: {v:.4} at {ep}"),
            None => name,
        };
        let mut chart = ChartBuilder::on(&area)
            .caption(caption, ("sans-serif", 13))
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(45)
            .right_y_label_area_size(45)
            .build_cartesian_2d(0usize..last, 0f64..top)
            .map_err(e)?
            .set_secondary_coord(0usize..last, 0f64..beta_top);
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc(metric)
            .x_labels(5)
            .y_labels(5)
            .label_style(("sans-serif", 11))
            .axis_desc_style(("sans-serif", 12))
            .draw()
            .map_err(e)?;
        chart
            .configure_secondary_axes()
            .y_desc("β")
            .y_labels(5)
            .label_style(("sans-serif", 11))
            .axis_desc_style(("sans-serif", 12))
            .draw()
            .map_err(e)?;
        chart
            .draw_series(LineSeries::new(
                c.ndcg.iter().copied(),
                BLUE.stroke_width(2),
            ))
            .map_err(e)?;
        if c.has_beta {
            chart
                .draw_secondary_series(LineSeries::new(c.beta.iter().copied(), RED.stroke_width(2)))
                .map_err(e)?;
        }
        if let Some((ep, v)) = best {
            chart
                .draw_series([PathElement::new([(ep, 0.0), (ep, v)], BLACK.mix(0.4))])
                .map_err(e)?;
            chart
                .draw_series([Circle::new((ep, v), 4, BLACK.filled())])
                .map_err(e)?;
        }
    }
    root.present().map_err(e)
}

/// One line of Figure 3: the configurations that differ in their latent size alone.
struct Line {
    label: String,
    /// Latent size, mean and sd of the test metric.
    points: Vec<(f64, f64, f64)>,
}

fn lines(sweep: &SweepDir, rows: &[Row], metric: &str) -> Result<Vec<Line>> {
    let mut out: Vec<Line> = Vec::new();
    for c in configs(rows) {
        let first = &rows[c.rows[0]];
        let dims = RunDir {
            dir: sweep.point(&first.point),
        }
        .read_config()?
        .dims;
        let Some((&latent, rest)) = dims.split_last() else {
            continue;
        };
        // The configuration's name with the latent size left out of its dims.
        let mut parts: Vec<String> = first
            .point
            .settings
            .iter()
            .filter(|(f, _)| f != "seed" && !first.point.unnamed.contains(f))
            .map(|(f, v)| {
                if f == "dims" {
                    let hidden: Vec<String> = rest.iter().map(|d| d.to_string()).collect();
                    format!(
                        "dims={}",
                        hidden.iter().map(|h| format!("{h}-")).collect::<String>() + "*"
                    )
                } else {
                    format!("{f}={v}")
                }
            })
            .collect();
        if first.point.phase != super::point::Phase::Single {
            parts.push(format!("phase={}", first.point.phase.as_str()));
        }
        let label = parts.join(",");
        let values: Vec<f64> = c
            .rows
            .iter()
            .filter_map(|&i| rows[i].results.test.get(metric).copied())
            .collect();
        if values.is_empty() {
            continue;
        }
        let (m, sd) = mean_sd(&values);
        let point = (latent as f64, m, sd.unwrap_or(0.0));
        match out.iter_mut().find(|l| l.label == label) {
            Some(l) => l.points.push(point),
            None => out.push(Line {
                label,
                points: vec![point],
            }),
        }
    }
    for l in &mut out {
        l.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    Ok(out)
}

const FIG3: (u32, u32) = (900, 560);

fn figure3<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    lines: &[Line],
    metric: &str,
) -> Drawn {
    root.fill(&WHITE).map_err(e)?;
    let all = || lines.iter().flat_map(|l| l.points.iter());
    let lo = all().map(|p| p.1 - p.2).fold(f64::INFINITY, f64::min);
    let hi = all().map(|p| p.1 + p.2).fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let span = (hi - lo).max(0.01);
    // The legend's band above the highest bar: its rows over the plot's height, and some air.
    let plot_px = f64::from(FIG3.1) - 130.0;
    let share = ((lines.len() as f64 * 22.0 + 30.0) / plot_px).min(0.6);
    let top = hi + span * share / (1.0 - share);
    let x_max = all().map(|p| p.0).fold(1.0f64, f64::max) * 1.1;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "Test {metric} at the best epoch against the latent size (mean ± sd over seeds)"
            )
            .replace('±', "+/-"),
            ("sans-serif", 20),
        )
        .margin(14)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..x_max, (lo - 0.1 * span)..top)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("latent size (dims.last(), the first decoder layer's input)")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_desc(format!("test {metric}"))
        .draw()
        .map_err(e)?;
    for (k, l) in lines.iter().enumerate() {
        let color = Palette99::pick(k).to_rgba();
        // Each line a little apart from the next, so that error bars at one size do not cover
        // each other.
        let shift = (k as f64 - (lines.len() as f64 - 1.0) / 2.0) * 0.008 * x_max;
        let points: Vec<(f64, f64, f64)> =
            l.points.iter().map(|p| (p.0 + shift, p.1, p.2)).collect();
        let style = color.stroke_width(2);
        chart
            .draw_series(LineSeries::new(points.iter().map(|p| (p.0, p.1)), style))
            .map_err(e)?
            .label(l.label.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], style));
        chart
            .draw_series(
                points
                    .iter()
                    .map(|p| Circle::new((p.0, p.1), 4, color.filled())),
            )
            .map_err(e)?;
        chart
            .draw_series(points.iter().map(|p| {
                PathElement::new([(p.0, p.1 - p.2), (p.0, p.1 + p.2)], color.stroke_width(2))
            }))
            .map_err(e)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(e)?;
    root.present().map_err(e)
}

fn written(path: PathBuf, drawn: Drawn) -> Result<PathBuf> {
    drawn.map_err(|detail| PlotError {
        path: path.clone(),
        detail,
    })?;
    Ok(path)
}

/// Writes both figures into the sweep folder; returns their paths (none before a point finishes).
pub fn write_figures(sweep: &SweepDir, rows: &[Row], metric: &str) -> Result<Vec<PathBuf>> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    register_font();
    let all = configs(rows)
        .iter()
        .map(|c| curves(sweep, rows, c, metric))
        .collect::<Result<Vec<_>>>()?;
    let cols = if all.len() > 4 {
        3
    } else {
        all.len().clamp(1, 2)
    } as u32;
    let size = (
        PANEL.0 * cols,
        PANEL.1 * all.len().div_ceil(cols as usize) as u32 + TITLE,
    );
    let lines = lines(sweep, rows, metric)?;
    let fig2 = sweep.path("figure2_validation_ndcg");
    let fig3 = sweep.path("figure3_latent_size");
    let png = |p: &PathBuf| p.with_extension("png");
    let svg = |p: &PathBuf| p.with_extension("svg");
    Ok(vec![
        written(
            png(&fig2),
            figure2(
                BitMapBackend::new(&png(&fig2), size).into_drawing_area(),
                &all,
                metric,
            ),
        )?,
        written(
            svg(&fig2),
            figure2(
                SVGBackend::new(&svg(&fig2), size).into_drawing_area(),
                &all,
                metric,
            ),
        )?,
        written(
            png(&fig3),
            figure3(
                BitMapBackend::new(&png(&fig3), FIG3).into_drawing_area(),
                &lines,
                metric,
            ),
        )?,
        written(
            svg(&fig3),
            figure3(
                SVGBackend::new(&svg(&fig3), FIG3).into_drawing_area(),
                &lines,
                metric,
            ),
        )?,
    ])
}
