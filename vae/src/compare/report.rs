//! The comparison of each group against the first, metric by metric, as JSON (`--json`) or as a
//! table to read.

use std::fmt::Write;
use std::path::PathBuf;

use serde::Serialize;

use super::groups::Groups;
use super::paired::{paired, Paired, WilcoxonMethod};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub groups: Vec<GroupInfo>,
    /// Users compared (those of the split with a held-out item).
    pub users: usize,
    pub skipped_metrics: Vec<String>,
    pub notes: Vec<String>,
    /// Each group after the first against the first.
    pub comparisons: Vec<Comparison>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupInfo {
    pub label: String,
    pub runs: Vec<PathBuf>,
}

/// Group `b` against group `a`: differences are `b − a`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub a: String,
    pub b: String,
    pub metrics: Vec<MetricComparison>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricComparison {
    pub metric: String,
    #[serde(flatten)]
    pub paired: Paired,
}

/// Compares every group after the first with the first.
pub fn compare(g: &Groups) -> Report {
    let base = &g.groups[0];
    let comparisons = g.groups[1..]
        .iter()
        .map(|other| Comparison {
            a: base.label.clone(),
            b: other.label.clone(),
            metrics: g
                .metrics
                .iter()
                .enumerate()
                .map(|(m, name)| MetricComparison {
                    metric: name.clone(),
                    paired: paired(&base.values[m], &other.values[m]),
                })
                .collect(),
        })
        .collect();
    Report {
        groups: g
            .groups
            .iter()
            .map(|gr| GroupInfo {
                label: gr.label.clone(),
                runs: gr.runs.clone(),
            })
            .collect(),
        users: g.uids.len(),
        skipped_metrics: g.skipped.clone(),
        notes: g.notes.clone(),
        comparisons,
    }
}

/// The letter that stands for group `i` in the table.
fn letter(i: usize) -> String {
    match u8::try_from(i) {
        Ok(i) if i < 26 => char::from(b'A' + i).to_string(),
        _ => format!("G{}", i + 1),
    }
}

/// A p-value with four decimals, or in scientific notation below 0.001.
fn p_value(p: f64) -> String {
    if p >= 1e-3 {
        format!("{p:.4}")
    } else {
        format!("{p:.1e}")
    }
}

/// A difference with its sign; exactly zero prints as `0`.
fn signed(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else {
        format!("{x:+.5}")
    }
}

impl Report {
    /// The comparison as a table, one block per pair of groups, one line per metric.
    pub fn table(&self) -> String {
        let mut out = String::new();
        for (i, g) in self.groups.iter().enumerate() {
            let runs = match g.runs.len() {
                1 => "1 run".to_string(),
                n => format!("{n} runs, each user's metric their mean"),
            };
            let _ = writeln!(out, "{} = {} ({runs})", letter(i), g.label);
        }
        let _ = writeln!(
            out,
            "{} users; d = each user's metric in the later group minus in A; t: paired t test \
             (n − 1 df); W: Wilcoxon signed-rank, zero differences dropped",
            self.users
        );
        for s in &self.skipped_metrics {
            let _ = writeln!(out, "skipped: {s}");
        }
        for n in &self.notes {
            let _ = writeln!(out, "note: {n}");
        }
        let header = [
            "metric",
            "mean A",
            "mean",
            "mean d",
            "95% CI of mean d",
            "t",
            "p(t)",
            "W",
            "p(W)",
            "n(d≠0)",
            "W by",
        ];
        for (c, comparison) in self.comparisons.iter().enumerate() {
            let b = letter(c + 1);
            let _ = writeln!(out, "\n{b} against A");
            let mut rows: Vec<Vec<String>> = vec![header
                .iter()
                .enumerate()
                .map(|(k, h)| match k {
                    2 => format!("mean {b}"),
                    3 => format!("mean d ({b} − A)"),
                    _ => h.to_string(),
                })
                .collect()];
            for m in &comparison.metrics {
                let p = &m.paired;
                let w = &p.wilcoxon;
                let na = || "n/a".to_string();
                rows.push(vec![
                    m.metric.clone(),
                    format!("{:.4}", p.mean_a),
                    format!("{:.4}", p.mean_b),
                    signed(p.mean_diff),
                    p.ci95
                        .map_or_else(na, |[lo, hi]| format!("[{}, {}]", signed(lo), signed(hi))),
                    p.t_test.as_ref().map_or_else(na, |t| format!("{:.3}", t.t)),
                    p.t_test.as_ref().map_or_else(na, |t| p_value(t.p)),
                    format!("{}", w.w),
                    p_value(w.p),
                    w.n_nonzero.to_string(),
                    match w.method {
                        WilcoxonMethod::Exact => "exact",
                        WilcoxonMethod::Normal => "normal",
                        WilcoxonMethod::AllZero => "all d = 0",
                    }
                    .into(),
                ]);
            }
            let widths: Vec<usize> = (0..header.len())
                .map(|k| rows.iter().map(|r| r[k].chars().count()).max().unwrap_or(0))
                .collect();
            for row in rows {
                let cells: Vec<String> = row
                    .iter()
                    .zip(&widths)
                    .enumerate()
                    .map(|(k, (cell, &w))| {
                        let pad = w - cell.chars().count();
                        if k == 0 {
                            format!("{cell}{}", " ".repeat(pad))
                        } else {
                            format!("{}{cell}", " ".repeat(pad))
                        }
                    })
                    .collect();
                let _ = writeln!(out, "{}", cells.join("  ").trim_end());
            }
        }
        let undefined = self
            .comparisons
            .iter()
            .flat_map(|c| &c.metrics)
            .any(|m| m.paired.t_test.is_none());
        if undefined {
            let _ = writeln!(
                out,
                "\nt n/a: every difference is the same (no spread), or fewer than two users"
            );
        }
        out
    }
}
