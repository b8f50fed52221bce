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
    /// Reciprocal rank of the first hit (see [`super::mrr_at_k`]).
    Mrr,
    /// Hit rate, 1 when any held-out item is in the top `k` (see [`super::hit_rate_at_k`]).
    HitRate,
    /// Hits over `k` (see [`super::precision_at_k`]).
    Precision,
    /// Mean average precision (see [`super::average_precision_at_k`]).
    Map,
    /// Share of the catalogue in at least one user's top `k` (see [`super::item_coverage`]).
    Coverage,
    /// Gini index of how often each item is recommended (see [`super::gini_index`]).
    Gini,
    /// Mean training popularity of the top `k` (see [`super::average_popularity_at_k`]).
    AveragePopularity,
}

impl MetricKind {
    /// Every kind with the name `--k` spells it by, in the order the docs list them.
    const NAMES: [(MetricKind, &'static str); 9] = [
        (MetricKind::Ndcg, "ndcg"),
        (MetricKind::Recall, "recall"),
        (MetricKind::Mrr, "mrr"),
        (MetricKind::HitRate, "hr"),
        (MetricKind::Precision, "precision"),
        (MetricKind::Map, "map"),
        (MetricKind::Coverage, "coverage"),
        (MetricKind::Gini, "gini"),
        (MetricKind::AveragePopularity, "avgpop"),
    ];

    /// The name `--k` and the reports use (`ndcg`, `hr`, `avgpop`, ...).
    pub fn name(self) -> &'static str {
        MetricKind::NAMES
            .iter()
            .find(|(kind, _)| *kind == self)
            .map_or("", |(_, name)| name)
    }

    /// Whether the metric is one number of all users' lists together (coverage, Gini, average
    /// popularity: see [`super::ListMetricsAccumulator`]) rather than a mean of per-user values.
    pub fn is_list_level(self) -> bool {
        matches!(
            self,
            MetricKind::Coverage | MetricKind::Gini | MetricKind::AveragePopularity
        )
    }
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
        write!(f, "{}@{}", self.kind.name(), self.k)
    }
}

impl FromStr for Metric {
    type Err = MetricsError;

    /// Accepts `NAME@K` for each name of [`MetricKind::name`], case-insensitive, with `K ≥ 1`.
    fn from_str(spec: &str) -> Result<Metric> {
        let fail = |reason: &str| MetricsError::ParseMetric {
            spec: spec.to_string(),
            reason: reason.to_string(),
        };
        let trimmed = spec.trim();
        let (name, k) = trimmed
            .split_once('@')
            .ok_or_else(|| fail("no '@' between the name and the cut-off"))?;
        let name = name.trim().to_ascii_lowercase();
        let kind = MetricKind::NAMES
            .iter()
            .find(|(_, known)| *known == name)
            .map(|(kind, _)| *kind)
            .ok_or_else(|| {
                let known: Vec<&str> = MetricKind::NAMES.iter().map(|(_, n)| *n).collect();
                fail(&format!("unknown name; known: {}", known.join(", ")))
            })?;
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
    fn every_metric_kind_round_trips_through_its_name() {
        for (kind, _) in MetricKind::NAMES {
            let m = Metric { kind, k: 7 };
            assert_eq!(m.to_string().parse::<Metric>(), Ok(m));
        }
        assert_eq!(
            Metric::parse_list("MRR@10, hr@10,precision@5,map@3,coverage@20,gini@20,avgpop@20")
                .unwrap()
                .iter()
                .map(Metric::to_string)
                .collect::<Vec<_>>(),
            [
                "mrr@10",
                "hr@10",
                "precision@5",
                "map@3",
                "coverage@20",
                "gini@20",
                "avgpop@20"
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
            "auc@10",
            "hit@10",
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
