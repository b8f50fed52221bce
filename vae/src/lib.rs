pub mod checkpoint;
pub mod metrics;
pub mod plots;
pub mod run_log;
