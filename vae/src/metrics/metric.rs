//! The name of a metric and its cut-off, `ndcg@100` or `recall@20`, as the `--k` flag spells it.

use std::fmt;
use std::str::FromStr;

use super::{MetricsError, Result};

/// Which ranking metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MetricKind {
    /// Normalised discounted cumulative gain with binary gain (see [`super::ndcg_at_k`]).
    Ndcg,
    /// Recall normalised by `min(k, |H_u|)` (see [`super::recall_at_k`]).
    Recall,
}

/// A metric at a cut-off `k ≥ 1`. Displays and parses as `ndcg@100`, `recall@20`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Metric {
    pub kind: MetricKind,
    pub k: usize,
}

impl Metric {
    /// The notebook's (and the paper's) metrics: NDCG@100, Recall@20, Recall@50.
    pub fn defaults() -> Vec<Metric> {
        vec![
            Metric {
                kind: MetricKind::Ndcg,
                k: 100,
            },
            Metric {
                kind: MetricKind::Recall,
                k: 20,
            },
            Metric {
                kind: MetricKind::Recall,
                k: 50,
            },
        ]
    }

    /// Parses a comma-separated list such as `ndcg@100,recall@20,recall@50` (spaces allowed).
    pub fn parse_list(list: &str) -> Result<Vec<Metric>> {
        list.split(',').map(str::parse).collect()
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.kind {
            MetricKind::Ndcg => "ndcg",
            MetricKind::Recall => "recall",
        };
        write!(f, "{name}@{}", self.k)
    }
}

impl FromStr for Metric {
    type Err = MetricsError;

    /// Accepts `ndcg@K` and `recall@K`, case-insensitive, with `K ≥ 1`.
    fn from_str(spec: &str) -> Result<Metric> {
        let fail = |reason: &str| MetricsError::ParseMetric {
            spec: spec.to_string(),
            reason: reason.to_string(),
        };
        let trimmed = spec.trim();
        let (name, k) = trimmed
            .split_once('@')
            .ok_or_else(|| fail("no '@' between the name and the cut-off"))?;
        let kind = match name.to_ascii_lowercase().as_str() {
            "ndcg" => MetricKind::Ndcg,
            "recall" => MetricKind::Recall,
            _ => return Err(fail("unknown name; known: ndcg, recall")),
        };
        let k: usize = k
            .parse()
            .map_err(|_| fail("the cut-off is not a whole number"))?;
        if k == 0 {
            return Err(fail("the cut-off must be at least 1"));
        }
        Ok(Metric { kind, k })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_round_trip_through_display_and_parse() {
        for m in Metric::defaults() {
            assert_eq!(m.to_string().parse::<Metric>(), Ok(m));
        }
        assert_eq!(
            Metric::parse_list(" NDCG@10 , recall@5").unwrap(),
            vec![
                Metric {
                    kind: MetricKind::Ndcg,
                    k: 10
                },
                Metric {
                    kind: MetricKind::Recall,
                    k: 5
                }
            ]
        );
    }

    #[test]
    fn malformed_metric_specs_are_rejected_with_the_spec_named() {
        for bad in [
            "ndcg",
            "ndcg@",
            "ndcg@0",
            "ndcg@-3",
            "map@10",
            "recall@1.5",
            "",
        ] {
            let err = bad.parse::<Metric>().unwrap_err();
            assert!(
                matches!(&err, MetricsError::ParseMetric { spec, .. } if spec == bad),
                "{bad:?} gave {err}"
            );
        }
    }
}
