//! What can stop NCF training, each saying what and what to do.

/// An error of the NCF models, protocols or training loop.
#[derive(Debug, thiserror::Error)]
pub enum NcfError {
    #[error(transparent)]
    Autograd(#[from] autograd::Error),
    #[error(transparent)]
    Metrics(#[from] crate::metrics::MetricsError),
    /// A configuration value outside its domain.
    #[error("invalid NCF configuration: {0}")]
    Config(String),
    /// The data cannot be used by the chosen protocol.
    #[error("unusable data for NCF: {0}")]
    Data(String),
    /// The training loss stopped being a number.
    #[error(
        "NCF training stopped: the loss is {loss} at epoch {epoch}, step {step}; \
         lower --lr or check the data"
    )]
    NonFinite {
        loss: f64,
        epoch: usize,
        step: usize,
    },
    /// The observer (writing a checkpoint, say) failed.
    #[error("NCF training stopped by its observer: {0}")]
    Observer(Box<dyn std::error::Error + Send + Sync>),
}

/// The NCF result type.
pub type Result<T> = std::result::Result<T, NcfError>;
