//! What can go wrong when evaluating: shapes that do not fit, a metric name that does not parse,
//! scores that are not numbers.

/// An evaluation error; each message names the shapes, the row or the text at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricsError {
    /// Two inputs of an evaluation disagree in shape, e.g.
    /// `shape mismatch in evaluate_batch: scores [500, 20108] but held-out [400, 20108]`.
    #[error("shape mismatch in {op}: {detail}")]
    Shape { op: &'static str, detail: String },
    /// A metric spec such as `ndcg@100` did not parse.
    #[error("invalid metric {spec:?}: {reason} (expected e.g. \"ndcg@100\" or \"recall@20\")")]
    ParseMetric { spec: String, reason: String },
    /// The list of metrics is empty or names one metric twice.
    #[error("invalid metric list: {0}")]
    MetricList(String),
    /// A score is NaN: the model diverged, and a ranking of NaNs means nothing.
    #[error("score of batch row {row}, item {item} is NaN")]
    NanScore { row: usize, item: usize },
    /// Batches evaluated with different metric lists were added to one accumulator.
    #[error("batch holds metrics [{found}], the accumulator expects [{expected}]")]
    AccumulatorMismatch { expected: String, found: String },
    /// No user had a held-out item, so no mean exists.
    #[error("no user has held-out items ({skipped} users skipped): the means are undefined")]
    NoUsersEvaluated { skipped: usize },
}
