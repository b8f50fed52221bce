//! NCF on real MovieLens-100k (fetched as the acceptance test does, into `<workspace>/.cache/ml-100k`):
//! NeuMF under the paper's implicit protocol beats the popularity baseline's HR@10 by at least 0.1,
//! and under the explicit protocol beats the global-mean predictor's RMSE. A few epochs each, so the
//! test stays well under a minute on two cores; docs/results-ncf.md has the full-length figures.

use std::path::Path;

use vae::data::fetch::fetch_ml100k;
use vae::data::{load, Format, LoadOptions, Ratings};
use vae::ncf::{train_ncf, NcfConfig, NcfModelKind, Protocol};
use vae::train::Quiet;

fn ml100k() -> Ratings {
    let cache = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.cache/ml-100k");
    let file = fetch_ml100k(&cache, None).expect("ml-100k is fetched (pip and network to PyPI)");
    let r = load(&file, &Format::Auto, &LoadOptions::default()).unwrap();
    assert_eq!(
        (r.len(), r.users.len(), r.items.len()),
        (100_000, 943, 1682)
    );
    assert!(
        r.timestamp.is_some(),
        "the .inter file has a timestamp column"
    );
    r
}

#[test]
fn neumf_beats_popularity_hr10_by_a_tenth_and_the_global_mean_rmse_on_ml100k() {
    let ratings = ml100k();
    let cpu = autograd::Cpu::<f32>::new();

    let implicit = NcfConfig {
        epochs: 3,
        ..NcfConfig::paper(NcfModelKind::Neumf, Protocol::Implicit)
    };
    let m = train_ncf(&cpu, &implicit, &ratings, &mut Quiet)
        .unwrap()
        .metrics;
    let (hr, pop) = (m["hr@10"], m["popularity.hr@10"]);
    println!(
        "implicit: NeuMF HR@10 {hr:.4}, NDCG@10 {:.4}; popularity HR@10 {pop:.4}",
        m["ndcg@10"]
    );
    assert!(
        hr >= pop + 0.1,
        "NeuMF HR@10 {hr:.4} vs popularity {pop:.4}"
    );
    assert!(m["ndcg@10"] > m["popularity.ndcg@10"]);

    let explicit = NcfConfig {
        epochs: 3,
        ..NcfConfig::paper(NcfModelKind::Neumf, Protocol::Explicit)
    };
    let m = train_ncf(&cpu, &explicit, &ratings, &mut Quiet)
        .unwrap()
        .metrics;
    let (rmse, mean) = (m["rmse"], m["global_mean.rmse"]);
    println!(
        "explicit: NeuMF RMSE {rmse:.4}, MAE {:.4}; global mean RMSE {mean:.4}",
        m["mae"]
    );
    assert!(rmse < mean, "NeuMF RMSE {rmse:.4} vs global mean {mean:.4}");
    assert!(m["mae"] < m["global_mean.mae"]);
}
