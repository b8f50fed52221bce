//! The sweep's numbers: `sweep.csv` (one row per finished point, in grid order, RecoTour III's
//! `all_results.csv`), and the mean ± sd over seeds of each configuration with the best
//! configuration of each model by mean validation NDCG (RecoTour III's Table 1), as Markdown.

use super::error::{io, Result, SweepError};
use super::point::{Phase, Point, ANNEAL_TO};
use super::sweep_dir::{SweepDir, SweepSpec};
use crate::checkpoint;
use crate::train::{Results, RunDir};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

/// A finished point.
#[derive(Debug, Clone)]
pub struct Row {
    pub point: Point,
    /// The anneal cap a phase ran with: 1.0, or β at the best epoch of its annealing run.
    pub phase_cap: Option<String>,
    pub results: Results,
    /// The sum of the run's `timings.jsonl`: its epochs' training and validation, resumes
    /// included, the final test evaluation not.
    pub seconds: f64,
}

/// `results.json` of the run in `dir`, if it has finished.
pub fn read_results(dir: &Path) -> Result<Option<Results>> {
    let path = RunDir { dir: dir.into() }.results();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(&path)(e)),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| SweepError::Invalid {
            path,
            detail: format!("not a run's results: {e}"),
        })
}

/// The cap `β` of a rerun: the shortest decimal that reads back as the same f64.
pub fn cap_text(beta: f64) -> String {
    format!("{beta}")
}

/// The anneal cap `point` runs with, by its phase: [`ANNEAL_TO`], or (a rerun) β at the best
/// epoch of its annealing run, `None` until that run has finished.
pub fn phase_cap(sweep: &SweepDir, point: &Point) -> Result<Option<String>> {
    Ok(match point.phase {
        Phase::Single => None,
        Phase::Anneal => Some(ANNEAL_TO.to_string()),
        Phase::Rerun => read_results(&sweep.point(&point.in_phase(Phase::Anneal)))?
            .map(|r| cap_text(r.beta_at_best)),
    })
}

/// The seconds `timings.jsonl` in `dir` sums to (0 where there is none).
fn seconds(dir: &Path) -> Result<f64> {
    #[derive(serde::Deserialize)]
    struct Timing {
        seconds: f64,
    }
    let path = dir.join("timings.jsonl");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0.0),
        Err(e) => return Err(io(&path)(e)),
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str::<Timing>(l)
                .map(|t| t.seconds)
                .map_err(|e| SweepError::Invalid {
                    path: path.clone(),
                    detail: format!("line {}: {e}", i + 1),
                })
        })
        .sum()
}

/// The finished points of `spec`, in grid order.
pub fn rows(sweep: &SweepDir, spec: &SweepSpec) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for point in spec.points() {
        let dir = sweep.point(&point);
        if let Some(results) = read_results(&dir)? {
            rows.push(Row {
                phase_cap: phase_cap(sweep, &point)?,
                seconds: seconds(&dir)?,
                point,
                results,
            });
        }
    }
    Ok(rows)
}

/// A CSV field, quoted where it holds a comma or a quote (a point's name, a dims value).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The metric names the rows hold, sorted.
fn metric_names(rows: &[Row], of: impl Fn(&Results) -> Vec<&String>) -> Vec<String> {
    let set: BTreeSet<&String> = rows.iter().flat_map(|r| of(&r.results)).collect();
    set.into_iter().cloned().collect()
}

/// `sweep.csv`'s text: point, phase (with `--anneal-then-rerun`), each grid setting (empty where
/// the model does not read it), the cap a phase ran with, best_epoch, beta_at_best, `val_` and
/// `test_` metrics, seconds.
pub fn csv(spec: &SweepSpec, rows: &[Row]) -> String {
    let flags: Vec<&str> = spec.grid.axes.iter().map(|a| a.flag.as_str()).collect();
    let val = metric_names(rows, |r| r.validation.keys().collect());
    let test = metric_names(rows, |r| r.test.keys().collect());
    let mut head: Vec<String> = vec!["point".into()];
    if spec.anneal_then_rerun {
        head.push("phase".into());
    }
    head.extend(flags.iter().map(|f| f.to_string()));
    if spec.anneal_then_rerun {
        head.push("anneal-cap".into());
    }
    head.extend(["best_epoch".into(), "beta_at_best".into()]);
    head.extend(val.iter().map(|m| format!("val_{m}")));
    head.extend(test.iter().map(|m| format!("test_{m}")));
    head.push("seconds".into());
    let mut out = head.join(",") + "\n";
    let num = |v: Option<&f64>| v.map_or(String::new(), |v| v.to_string());
    for r in rows {
        let mut cells = vec![field(&r.point.name())];
        if spec.anneal_then_rerun {
            cells.push(r.point.phase.as_str().to_string());
        }
        cells.extend(flags.iter().map(|f| field(r.point.get(f).unwrap_or(""))));
        if spec.anneal_then_rerun {
            cells.push(r.phase_cap.clone().unwrap_or_default());
        }
        cells.push(r.results.best_epoch.to_string());
        cells.push(r.results.beta_at_best.to_string());
        cells.extend(val.iter().map(|m| num(r.results.validation.get(m))));
        cells.extend(test.iter().map(|m| num(r.results.test.get(m))));
        cells.push(format!("{:.3}", r.seconds));
        out += &(cells.join(",") + "\n");
    }
    out
}

/// Writes `sweep.csv` atomically.
pub fn write_csv(sweep: &SweepDir, spec: &SweepSpec, rows: &[Row]) -> Result<()> {
    Ok(checkpoint::write_atomic(
        &sweep.csv(),
        csv(spec, rows).as_bytes(),
    )?)
}

/// The validation metric that ranks configurations: ndcg@100 where there is one, else the first
/// NDCG.
pub fn selection_metric(rows: &[Row]) -> Option<String> {
    let names = metric_names(rows, |r| r.validation.keys().collect());
    names
        .iter()
        .find(|m| *m == "ndcg@100")
        .or_else(|| names.iter().find(|m| m.starts_with("ndcg@")))
        .cloned()
}

/// A configuration (a point without its seed) and its finished seeds.
#[derive(Debug, Clone)]
pub struct Config {
    pub name: String,
    pub model: String,
    /// Indices into the rows, in grid order.
    pub rows: Vec<usize>,
}

/// The configurations of `rows`, in the order first met.
pub fn configs(rows: &[Row]) -> Vec<Config> {
    let mut out: Vec<Config> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let name = r.point.config_name();
        match out.iter_mut().find(|c| c.name == name) {
            Some(c) => c.rows.push(i),
            None => out.push(Config {
                name,
                model: r.point.model().to_string(),
                rows: vec![i],
            }),
        }
    }
    out
}

/// Mean and sample standard deviation (`None` for one value).
pub fn mean_sd(values: &[f64]) -> (f64, Option<f64>) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.len() > 1)
        .then(|| (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt());
    (mean, sd)
}

fn pm(values: &[f64], digits: usize) -> String {
    match mean_sd(values) {
        (m, Some(sd)) => format!("{m:.digits$} ± {sd:.digits$}"),
        (m, None) => format!("{m:.digits$}"),
    }
}

impl Config {
    fn values(&self, rows: &[Row], of: impl Fn(&Row) -> Option<f64>) -> Vec<f64> {
        self.rows.iter().filter_map(|&i| of(&rows[i])).collect()
    }

    /// The mean over seeds of validation `metric`.
    pub fn mean_validation(&self, rows: &[Row], metric: &str) -> f64 {
        mean_sd(&self.values(rows, |r| r.results.validation.get(metric).copied())).0
    }
}

/// The best configuration of each model by mean validation `metric`, models in the order met.
pub fn best_per_model<'a>(configs: &'a [Config], rows: &[Row], metric: &str) -> Vec<&'a Config> {
    let mut best: Vec<&Config> = Vec::new();
    for c in configs {
        let score = c.mean_validation(rows, metric);
        match best.iter_mut().find(|b| b.model == c.model) {
            Some(b) if score > b.mean_validation(rows, metric) => *b = c,
            Some(_) => {}
            None => best.push(c),
        }
    }
    best
}

/// `table.md`: the best configuration per model, then every configuration, each figure the mean
/// ± sample sd over the configuration's seeds.
pub fn markdown(rows: &[Row]) -> String {
    let Some(metric) = selection_metric(rows) else {
        return "No point has finished yet.\n".to_string();
    };
    let test = metric_names(rows, |r| r.test.keys().collect());
    let configs = configs(rows);
    let test_cells = |c: &Config| -> Vec<String> {
        test.iter()
            .map(|m| pm(&c.values(rows, |r| r.results.test.get(m).copied()), 4))
            .collect()
    };
    let val_cell = |c: &Config| {
        pm(
            &c.values(rows, |r| r.results.validation.get(&metric).copied()),
            4,
        )
    };
    let rule = |n: usize| format!("|{}\n", "---|".repeat(n));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Best configuration per model by mean validation {metric} (mean ± sd over seeds):\n"
    );
    let mut head = vec!["model".to_string(), "configuration".into(), "seeds".into()];
    head.push(format!("val {metric}"));
    head.extend(test.iter().map(|m| format!("test {m}")));
    let _ = writeln!(out, "| {} |", head.join(" | "));
    out += &rule(head.len());
    for c in best_per_model(&configs, rows, &metric) {
        let mut cells = vec![
            c.model.clone(),
            format!("`{}`", c.name),
            c.rows.len().to_string(),
        ];
        cells.push(val_cell(c));
        cells.extend(test_cells(c));
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    let _ = writeln!(out, "\nEvery configuration (mean ± sd over seeds):\n");
    let mut head = vec![
        "configuration".to_string(),
        "seeds".into(),
        "best epoch".into(),
        "β at best".into(),
    ];
    head.push(format!("val {metric}"));
    head.extend(test.iter().map(|m| format!("test {m}")));
    head.push("seconds".into());
    let _ = writeln!(out, "| {} |", head.join(" | "));
    out += &rule(head.len());
    for c in &configs {
        let mut cells = vec![
            format!("`{}`", c.name),
            c.rows.len().to_string(),
            pm(&c.values(rows, |r| Some(r.results.best_epoch as f64)), 1),
            // Mult-DAE has no KL term, so no β: its schedule's value at the best epoch means nothing.
            if c.model == "dae" {
                "—".to_string()
            } else {
                pm(&c.values(rows, |r| Some(r.results.beta_at_best)), 4)
            },
        ];
        cells.push(val_cell(c));
        cells.extend(test_cells(c));
        cells.push(pm(&c.values(rows, |r| Some(r.seconds)), 1));
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}

/// Writes `table.md` atomically; returns its text.
pub fn write_markdown(sweep: &SweepDir, rows: &[Row]) -> Result<String> {
    let text = markdown(rows);
    checkpoint::write_atomic(&sweep.table(), text.as_bytes())?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::grid::Grid;
    use std::collections::BTreeMap;

    fn row(model: &str, cap: &str, seed: &str, val: f64, test: f64) -> Row {
        let mut settings = vec![("model".to_string(), model.to_string())];
        if model == "vae" {
            settings.push(("anneal-cap".into(), cap.into()));
        }
        settings.push(("seed".into(), seed.into()));
        Row {
            point: Point {
                settings,
                unnamed: vec![],
                phase: Phase::Single,
            },
            phase_cap: None,
            results: Results {
                best_epoch: 3,
                validation: BTreeMap::from([("ndcg@100".into(), val)]),
                test: BTreeMap::from([("ndcg@100".into(), test)]),
                test_std_errs: BTreeMap::new(),
                beta_at_best: 0.2,
                test_users_evaluated: 10,
                test_users_skipped: 0,
            },
            seconds: 1.5,
        }
    }

    #[test]
    fn the_best_configuration_per_model_has_the_highest_mean_validation_ndcg() {
        let rows = vec![
            row("vae", "0.2", "1", 0.40, 0.30),
            row("vae", "0.2", "2", 0.30, 0.28),
            row("vae", "0.5", "1", 0.36, 0.31),
            row("vae", "0.5", "2", 0.36, 0.33),
            row("dae", "", "1", 0.33, 0.29),
        ];
        let configs = configs(&rows);
        assert_eq!(configs.len(), 3);
        let best: Vec<&str> = best_per_model(&configs, &rows, "ndcg@100")
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        // 0.36 beats 0.35, though seed 1 of cap 0.2 is the best single run.
        assert_eq!(best, ["model=vae,anneal-cap=0.5", "model=dae"]);
        let md = markdown(&rows);
        assert!(
            md.contains(
                "| vae | `model=vae,anneal-cap=0.5` | 2 | 0.3600 ± 0.0000 | 0.3200 ± 0.0141 |"
            ),
            "{md}"
        );
        assert!(
            md.contains("| `model=dae` | 1 | 3.0 | — | 0.3300 | 0.2900 | 1.5 |"),
            "{md}"
        );
    }

    #[test]
    fn csv_quotes_names_and_leaves_unread_settings_empty() {
        let spec = SweepSpec {
            data: "d".into(),
            grid: Grid::from_flags([
                ("model", "vae,dae"),
                ("anneal-cap", "0.2,0.5"),
                ("seed", "1,2"),
            ])
            .unwrap(),
            fixed: vec![],
            anneal_then_rerun: false,
        };
        let rows = vec![
            row("vae", "0.2", "1", 0.4, 0.3),
            row("dae", "", "2", 0.25, 0.125),
        ];
        assert_eq!(
            csv(&spec, &rows),
            "point,model,anneal-cap,seed,best_epoch,beta_at_best,val_ndcg@100,test_ndcg@100,seconds\n\
             \"model=vae,anneal-cap=0.2,seed=1\",vae,0.2,1,3,0.2,0.4,0.3,1.500\n\
             \"model=dae,seed=2\",dae,,2,3,0.2,0.25,0.125,1.500\n"
        );
        assert_eq!(mean_sd(&[1.0, 3.0]), (2.0, Some(2f64.sqrt())));
    }
}
