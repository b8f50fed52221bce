//! Each evaluated user's metrics, kept so that two runs can be compared user by user (a paired
//! test) without scoring anything again: `test_users.csv` in a run folder.
//!
//! The file is CSV: a header `uid,<metric>,<metric>,...` (metric names as `--k` spells them), then
//! one line per user with at least one held-out item, in increasing `uid` (the `uid` of the split's
//! `*_tr.csv`), each value printed with as many digits as give back the same `f64`.

use super::{BatchMetrics, Metric};

/// The per-user metrics of one split: `values[u][m]` is metric `metrics[m]` of user `uids[u]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PerUserMetrics {
    pub metrics: Vec<String>,
    pub uids: Vec<u32>,
    pub values: Vec<Vec<f64>>,
}

/// A `test_users.csv` that does not read back; the message names the line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {detail}")]
pub struct PerUserParseError {
    pub line: usize,
    pub detail: String,
}

impl PerUserMetrics {
    /// An empty table of `metrics` (the per-user ones, in the evaluator's order).
    pub fn new(metrics: &[Metric]) -> Self {
        PerUserMetrics {
            metrics: metrics.iter().map(|m| m.to_string()).collect(),
            ..Default::default()
        }
    }

    /// Appends a batch whose row 0 is user `first_uid`.
    pub fn add(&mut self, first_uid: u32, batch: &BatchMetrics) {
        for (&row, values) in batch.evaluated_rows.iter().zip(&batch.values) {
            self.uids.push(first_uid + row as u32);
            self.values.push(values.clone());
        }
    }

    /// The column of metric `name`, if it was measured.
    pub fn column(&self, name: &str) -> Option<Vec<f64>> {
        let m = self.metrics.iter().position(|n| n == name)?;
        Some(self.values.iter().map(|v| v[m]).collect())
    }

    /// The CSV text (see the module doc).
    pub fn to_csv(&self) -> String {
        let mut out = String::from("uid");
        for m in &self.metrics {
            out.push(',');
            out.push_str(m);
        }
        out.push('\n');
        for (uid, values) in self.uids.iter().zip(&self.values) {
            out.push_str(&uid.to_string());
            for v in values {
                out.push(',');
                out.push_str(&v.to_string());
            }
            out.push('\n');
        }
        out
    }

    /// Reads what [`PerUserMetrics::to_csv`] wrote; uids must increase and every value be finite.
    pub fn parse(text: &str) -> Result<Self, PerUserParseError> {
        let err = |line: usize, detail: String| PerUserParseError { line, detail };
        let mut lines = text.lines().enumerate();
        let header = match lines.next() {
            Some((_, h)) => h,
            None => {
                return Err(err(
                    1,
                    "empty file; expected a header `uid,<metric>,...`".into(),
                ))
            }
        };
        let mut names = header.split(',');
        if names.next() != Some("uid") {
            return Err(err(
                1,
                format!("header {header:?} does not begin with `uid`"),
            ));
        }
        let metrics: Vec<String> = names.map(str::to_string).collect();
        if metrics.is_empty() {
            return Err(err(1, "the header names no metric".into()));
        }
        let mut table = PerUserMetrics {
            metrics,
            ..Default::default()
        };
        for (i, line) in lines {
            let n = i + 1;
            let fields: Vec<&str> = line.split(',').collect();
            if fields.len() != table.metrics.len() + 1 {
                return Err(err(
                    n,
                    format!(
                        "{} fields; expected {} (uid and each metric)",
                        fields.len(),
                        table.metrics.len() + 1
                    ),
                ));
            }
            let uid: u32 = fields[0]
                .parse()
                .map_err(|_| err(n, format!("uid {:?} is not a whole number", fields[0])))?;
            if table.uids.last().is_some_and(|&last| uid <= last) {
                return Err(err(
                    n,
                    format!("uid {uid} does not follow the previous one"),
                ));
            }
            let values = fields[1..]
                .iter()
                .zip(&table.metrics)
                .map(|(f, m)| match f.parse::<f64>() {
                    Ok(v) if v.is_finite() => Ok(v),
                    _ => Err(err(n, format!("{m} {f:?} is not a finite number"))),
                })
                .collect::<Result<Vec<_>, _>>()?;
            table.uids.push(uid);
            table.values.push(values);
        }
        Ok(table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> PerUserMetrics {
        PerUserMetrics {
            metrics: vec!["ndcg@100".into(), "recall@20".into()],
            uids: vec![3, 4, 9],
            values: vec![
                vec![0.1, 1.0 / 3.0],
                vec![0.0, 0.0],
                vec![1.0, 0.123_456_789_012_345_68],
            ],
        }
    }

    #[test]
    fn csv_reads_back_every_bit() {
        let t = table();
        assert_eq!(PerUserMetrics::parse(&t.to_csv()).unwrap(), t);
        assert_eq!(t.column("recall@20").unwrap()[0], 1.0 / 3.0);
        assert_eq!(t.column("mrr@10"), None);
    }

    #[test]
    fn parse_names_the_line_at_fault() {
        let bad = "uid,ndcg@100\n1,0.5\n1,0.25\n";
        assert_eq!(PerUserMetrics::parse(bad).unwrap_err().line, 3);
        let bad = "uid,ndcg@100\n1,NaN\n";
        let e = PerUserMetrics::parse(bad).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.detail.contains("ndcg@100"), "{e}");
        assert_eq!(
            PerUserMetrics::parse("uid,a\n1,0.5,2\n").unwrap_err().line,
            2
        );
        assert_eq!(PerUserMetrics::parse("user,a\n").unwrap_err().line, 1);
    }
}
