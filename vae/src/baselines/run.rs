//! A baseline's run folder, with the conventions of a Mult-VAE run (`crate::train::run`): refused
//! when not empty unless overwritten, locked while written, `config.json` with the data's
//! fingerprint, `items.txt`, `best.safetensors` (the fitted model: `popularity.counts` `[1, n]`,
//! `ease.weight` `[n, n]`, or ItemKNN's `itemknn.indices` and `itemknn.values` `[n, min(k, n)]`,
//! row `j` the neighbours of item `j`, with digests), `results.json` and `test_users.csv`.
//!
//! EASE's λ is chosen as Mult-VAE's epoch is: each λ of the list is fitted and scored on the
//! validation users, and the best by the first NDCG of the metrics is kept (its weights written
//! to `best.safetensors` when it becomes the best); every λ's validation metrics go to
//! `results.json`'s `grid`. ItemKNN's `k` is chosen the same way (`knn_grid`), each `k`'s lists
//! the first `k` of the lists computed once at the largest. The test users are scored once, by
//! the model read back from the file.

use super::ease::{self, EaseMemory};
use super::itemknn::{ItemKnn, KnnMemory, Neighbours};
use super::{Baseline, Ease, Popularity};
use crate::checkpoint::{self, NamedTensor};
use crate::data::Dataset;
use crate::metrics::{item_popularity, Evaluator};
use crate::train::data_fingerprint;
use crate::train::evaluate::evaluator_of;
use crate::train::memory::available_memory;
use crate::train::run::Progress;
use crate::train::{evaluate, run_lock, Evaluation, RunDir, TrainError};
use autograd::Backend;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

type Result<T> = std::result::Result<T, TrainError>;

/// Which baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineKind {
    Popularity,
    Ease,
    ItemKnn,
}

/// A baseline run's `config.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineConfig {
    pub model: BaselineKind,
    /// EASE's λ values, each fitted and validated (none for popularity).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lambdas: Vec<f64>,
    /// ItemKNN's neighbourhood sizes `k`, each validated (none for the others).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub knn_k: Vec<usize>,
    /// ItemKNN's shrink term of the cosine's denominator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shrink: Option<f64>,
    /// Users per evaluation batch.
    pub eval_batch_size: usize,
    /// Metrics reported at validation and test; the first NDCG picks λ.
    pub metrics: Vec<String>,
}

impl BaselineConfig {
    /// The baseline configuration of `run`, or `None` when its `config.json` names another model.
    pub fn read(run: &RunDir) -> Result<Option<Self>> {
        let path = run.config();
        let text = std::fs::read_to_string(&path).map_err(|source| TrainError::Io {
            path: path.clone(),
            source,
        })?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| TrainError::Invalid(format!("{}: {e}", path.display())))?;
        if !matches!(
            json["model"].as_str(),
            Some("popularity" | "ease" | "itemknn")
        ) {
            return Ok(None);
        }
        serde_json::from_value(json)
            .map(Some)
            .map_err(|e| TrainError::Invalid(format!("{}: {e}", path.display())))
    }

    /// The evaluator of the metrics and the name of the NDCG that picks λ (or `k`).
    pub fn evaluator(&self) -> Result<(Evaluator, String)> {
        evaluator_of(
            &self.metrics,
            if self.model == BaselineKind::ItemKnn {
                "k"
            } else {
                "λ"
            },
        )
    }
}

/// One λ of EASE's list: its validation metrics, its seconds, and how well its `B` meets the
/// optimality condition ([`ease::stationarity_residual`], the largest over sampled columns).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaRecord {
    pub lambda: f64,
    pub validation: BTreeMap<String, f64>,
    pub cholesky_seconds: f64,
    pub inverse_seconds: f64,
    /// Building `B` from `P` and rounding it to f32.
    pub weights_seconds: f64,
    pub residual_f64: f64,
    pub residual_f32: f64,
}

/// One `k` of ItemKNN's list: its validation metrics and the non-zero entries of its `W`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnnRecord {
    pub k: usize,
    pub validation: BTreeMap<String, f64>,
    pub stored: usize,
}

/// A baseline run's `results.json`: the kept model's validation and test metrics, as
/// [`crate::train::Results`] has them, with what a closed-form fit has instead of epochs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineResults {
    pub model: BaselineKind,
    /// EASE's chosen λ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda: Option<f64>,
    /// ItemKNN's chosen `k`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub knn_k: Option<usize>,
    pub validation: BTreeMap<String, f64>,
    pub test: BTreeMap<String, f64>,
    pub test_std_errs: BTreeMap<String, f64>,
    pub test_users_evaluated: usize,
    pub test_users_skipped: usize,
    /// Seconds to fit the kept model: popularity's counts, EASE's Gram matrix plus its λ's
    /// Cholesky, inverse and weights, or ItemKNN's Gram matrix plus its neighbour lists (those of
    /// the largest `k`, of which the kept ones are the first `k`).
    pub fit_seconds: f64,
    /// EASE's (or ItemKNN's) Gram matrix `G = XᵀX`, once for all λ (or `k`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gram_seconds: Option<f64>,
    /// ItemKNN's similarities and top-`k` lists at the largest `k`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub neighbours_seconds: Option<f64>,
    /// Every λ fitted, in the order given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grid: Vec<LambdaRecord>,
    /// Every `k` of ItemKNN, in the order given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub knn_grid: Vec<KnnRecord>,
}

/// What a fit keeps before the test users are scored.
#[derive(Default)]
struct Kept {
    validation: BTreeMap<String, f64>,
    lambda: Option<f64>,
    knn_k: Option<usize>,
    fit_seconds: f64,
    gram_seconds: Option<f64>,
    neighbours_seconds: Option<f64>,
    grid: Vec<LambdaRecord>,
    knn_grid: Vec<KnnRecord>,
}

const POPULARITY: &str = "popularity.counts";
const EASE_WEIGHT: &str = "ease.weight";
const KNN_INDICES: &str = "itemknn.indices";
const KNN_VALUES: &str = "itemknn.values";

/// Columns of `B` whose optimality residual is measured: spread evenly, the same every run.
const RESIDUAL_COLUMNS: usize = 8;

/// Fits `config`'s baseline on the `pro_sg` folder `data_dir` into `run` (on the CPU; the scores
/// of evaluation on `backend`), holding the folder's lock throughout.
pub fn fit<B: Backend<Elem = f32>>(
    backend: &B,
    data_dir: &Path,
    config: &BaselineConfig,
    run: &RunDir,
    overwrite: bool,
    progress: &mut dyn Progress,
) -> Result<BaselineResults> {
    let _lock = run_lock::lock(&run.dir)?;
    run.prepare_fresh(overwrite, data_dir)
        .map_err(|e| match e {
            // A fit has no checkpoint to resume from: the Mult-VAE advice would only fail.
            TrainError::NotEmpty { dir, found, .. } if found.starts_with("a run") => {
                TrainError::NotEmpty {
                    dir,
                    found,
                    what:
                        "give --overwrite to replace it (its files are deleted), or give another \
                       --out"
                            .into(),
                }
            }
            other => other,
        })?;
    let (evaluator, selection) = config.evaluator()?;
    if config.model == BaselineKind::Ease && config.lambdas.is_empty() {
        return Err(TrainError::Invalid("EASE needs at least one λ".into()));
    }
    let shrink = config.shrink.unwrap_or(0.0);
    if config.model == BaselineKind::ItemKnn
        && (config.knn_k.is_empty()
            || config.knn_k.contains(&0)
            || !(shrink.is_finite() && shrink >= 0.0))
    {
        return Err(TrainError::Invalid(format!(
            "ItemKNN needs at least one k, each at least 1 (given {:?}), and a shrink of 0 or more \
             (given {shrink})",
            config.knn_k
        )));
    }
    let (data, cache) = Dataset::load_with_status(data_dir)?;
    if let Some(line) = cache.note() {
        progress.note(&line);
    }
    let n = data.n_items;
    if matches!(config.model, BaselineKind::Ease | BaselineKind::ItemKnn) {
        let eval_rows = data
            .validation
            .fold_in
            .rows()
            .max(data.test.fold_in.rows())
            .min(config.eval_batch_size);
        let available = available_memory();
        let (estimate, checked) = if config.model == BaselineKind::Ease {
            let e = EaseMemory::new(n, eval_rows);
            (e.describe(), e.check(available))
        } else {
            let largest = config.knn_k.iter().copied().max().unwrap_or(1);
            let e = KnnMemory::new(n, largest, eval_rows);
            (e.describe(), e.check(available))
        };
        progress.note(&format!(
            "memory: {estimate} estimated; {}",
            available.map_or("available memory unknown".into(), |a| format!(
                "{} available",
                crate::train::memory::bytes(a)
            ))
        ));
        checked?;
    }
    let fingerprint = data_fingerprint::of_files(&data_fingerprint::pro_sg_files(data_dir))?;
    run.write_config(config, &fingerprint)?;
    let items = run.path("items.txt");
    std::fs::write(&items, data.unique_sid.join("\n") + "\n").map_err(|source| TrainError::Io {
        path: items,
        source,
    })?;
    let popularity = item_popularity(&data.train);
    let validate = |model: &Baseline<B>| {
        evaluate(
            model,
            &data.validation,
            &popularity,
            &evaluator,
            config.eval_batch_size,
        )
    };
    let kept = match config.model {
        BaselineKind::Popularity => {
            let started = Instant::now();
            let model = Popularity::fit(backend, &data.train);
            let seconds = started.elapsed().as_secs_f64();
            let tensor = NamedTensor {
                name: POPULARITY.into(),
                shape: [1, n],
                data: model.counts().to_vec(),
            };
            save_best(run, config, vec![tensor], None)?;
            let v = validate(&Baseline::Popularity(model))?;
            progress.note(&format!(
                "popularity: {}  ({seconds:.3}s)",
                metrics_line(&v.metrics)
            ));
            Kept {
                validation: v.metrics,
                fit_seconds: seconds,
                ..Kept::default()
            }
        }
        BaselineKind::Ease => {
            let started = Instant::now();
            let gram = ease::gram(&data.train)?;
            let gram_seconds = started.elapsed().as_secs_f64();
            let how = match gram.method {
                ease::GramMethod::DenseGemm { block_rows } => {
                    format!("our f32 GEMM, {block_rows} rows a block")
                }
                ease::GramMethod::SparseRows => "from the click rows".to_string(),
            };
            progress.note(&format!(
                "EASE: G = XᵀX over {} training users × {n} items in {gram_seconds:.2}s ({how})",
                data.train.rows(),
            ));
            let mut grid: Vec<LambdaRecord> = Vec::new();
            let mut best: Option<(usize, f64)> = None;
            for &lambda in &config.lambdas {
                let (inverse, times) = ease::invert(&gram, lambda)?;
                let started = Instant::now();
                let weights = inverse.weights();
                let weights_seconds = started.elapsed().as_secs_f64();
                let columns: Vec<usize> = (0..RESIDUAL_COLUMNS.min(n))
                    .map(|c| c * n / RESIDUAL_COLUMNS.min(n))
                    .collect();
                let (mut residual_f64, mut residual_f32) = (0.0f64, 0.0f64);
                for &j in &columns {
                    let b64 = inverse.weight_column(j);
                    let b32: Vec<f64> = (0..n).map(|i| f64::from(weights[i * n + j])).collect();
                    residual_f64 =
                        residual_f64.max(ease::stationarity_residual(&gram, lambda, j, &b64));
                    residual_f32 =
                        residual_f32.max(ease::stationarity_residual(&gram, lambda, j, &b32));
                }
                drop(inverse);
                let model = Baseline::Ease(Ease::new(backend, n, &weights, lambda)?);
                let v = validate(&model)?;
                drop(model);
                let score = v.metrics.get(&selection).copied().unwrap_or(f64::NAN);
                let is_best = best.is_none_or(|(_, b)| score > b);
                progress.note(&format!(
                    "λ {lambda}: {}  (Cholesky {:.2}s, inverse {:.2}s, B {:.2}s; optimality \
                     residual f64 {residual_f64:.1e}, f32 {residual_f32:.1e}){}",
                    metrics_line(&v.metrics),
                    times.cholesky,
                    times.inverse,
                    weights_seconds,
                    if is_best { "  *best" } else { "" }
                ));
                if is_best {
                    best = Some((grid.len(), score));
                    let tensor = NamedTensor {
                        name: EASE_WEIGHT.into(),
                        shape: [n, n],
                        data: weights,
                    };
                    // `{:e}` prints the shortest digits that parse back to the same f64.
                    let chosen = ("lambda", format!("{lambda:e}"));
                    save_best(run, config, vec![tensor], Some(chosen))?;
                }
                grid.push(LambdaRecord {
                    lambda,
                    validation: v.metrics,
                    cholesky_seconds: times.cholesky,
                    inverse_seconds: times.inverse,
                    weights_seconds,
                    residual_f64,
                    residual_f32,
                });
            }
            let (at, _) = best.ok_or_else(|| TrainError::Invalid("no λ was fitted".into()))?;
            let kept = &grid[at];
            let fit =
                gram_seconds + kept.cholesky_seconds + kept.inverse_seconds + kept.weights_seconds;
            Kept {
                validation: kept.validation.clone(),
                lambda: Some(kept.lambda),
                fit_seconds: fit,
                gram_seconds: Some(gram_seconds),
                grid,
                ..Kept::default()
            }
        }
        BaselineKind::ItemKnn => {
            let started = Instant::now();
            let gram = ease::gram(&data.train).map_err(|e| {
                TrainError::Invalid(format!("ItemKNN's Gram matrix, computed as EASE's: {e}"))
            })?;
            let gram_seconds = started.elapsed().as_secs_f64();
            let largest = config.knn_k.iter().copied().max().unwrap_or(1);
            let started = Instant::now();
            let neighbours = Neighbours::of(&gram, largest, shrink);
            let neighbours_seconds = started.elapsed().as_secs_f64();
            drop(gram);
            progress.note(&format!(
                "ItemKNN: G = XᵀX over {} training users × {n} items in {gram_seconds:.2}s; \
                 cosines (shrink {shrink}) and the top {largest} of each item in \
                 {neighbours_seconds:.2}s",
                data.train.rows(),
            ));
            let mut knn_grid: Vec<KnnRecord> = Vec::new();
            let mut best: Option<(usize, f64)> = None;
            for &k in &config.knn_k {
                let model = ItemKnn::from_neighbours(backend, &neighbours, k);
                let stored = model.stored();
                let width = ItemKnn::<B>::width(n, k);
                let tensors = vec![
                    NamedTensor {
                        name: KNN_INDICES.into(),
                        shape: [n, width],
                        data: model.indices_f32(),
                    },
                    NamedTensor {
                        name: KNN_VALUES.into(),
                        shape: [n, width],
                        data: model.values().to_vec(),
                    },
                ];
                let v = validate(&Baseline::ItemKnn(model))?;
                let score = v.metrics.get(&selection).copied().unwrap_or(f64::NAN);
                let is_best = best.is_none_or(|(_, b)| score > b);
                progress.note(&format!(
                    "k {k}: {}  ({stored} similarities kept){}",
                    metrics_line(&v.metrics),
                    if is_best { "  *best" } else { "" }
                ));
                if is_best {
                    best = Some((knn_grid.len(), score));
                    save_best(run, config, tensors, Some(("knn_k", k.to_string())))?;
                }
                knn_grid.push(KnnRecord {
                    k,
                    validation: v.metrics,
                    stored,
                });
            }
            let (at, _) = best.ok_or_else(|| TrainError::Invalid("no k was fitted".into()))?;
            Kept {
                validation: knn_grid[at].validation.clone(),
                knn_k: Some(knn_grid[at].k),
                fit_seconds: gram_seconds + neighbours_seconds,
                gram_seconds: Some(gram_seconds),
                neighbours_seconds: Some(neighbours_seconds),
                knn_grid,
                ..Kept::default()
            }
        }
    };
    let (model, _) = load(backend, run, n)?;
    let test: Evaluation = evaluate(
        &model,
        &data.test,
        &popularity,
        &evaluator,
        config.eval_batch_size,
    )?;
    run.write_test_users(&test.per_user)?;
    let results = BaselineResults {
        model: config.model,
        lambda: kept.lambda,
        knn_k: kept.knn_k,
        validation: kept.validation,
        test: test.metrics,
        test_std_errs: test.std_errs,
        test_users_evaluated: test.users_evaluated,
        test_users_skipped: test.users_skipped,
        fit_seconds: kept.fit_seconds,
        gram_seconds: kept.gram_seconds,
        neighbours_seconds: kept.neighbours_seconds,
        grid: kept.grid,
        knn_grid: kept.knn_grid,
    };
    checkpoint::write_json_atomic(&run.results(), &results)?;
    Ok(results)
}

fn metrics_line(m: &BTreeMap<String, f64>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k} {v:.4}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes the fitted model, with the configuration (and the chosen λ or `k`, `(key, value)`) in
/// its metadata.
fn save_best(
    run: &RunDir,
    config: &BaselineConfig,
    tensors: Vec<NamedTensor>,
    chosen: Option<(&str, String)>,
) -> Result<()> {
    let mut meta = BTreeMap::new();
    meta.insert(
        "config".to_string(),
        serde_json::to_string(config).unwrap_or_default(),
    );
    if let Some((key, value)) = chosen {
        meta.insert(key.to_string(), value);
    }
    checkpoint::save(&run.best(), &tensors, &meta)?;
    Ok(())
}

/// A metadata entry of the checkpoint at `path`, parsed.
fn chosen<T: std::str::FromStr>(ck: &checkpoint::Checkpoint, path: &Path, key: &str) -> Result<T> {
    ck.metadata
        .get(key)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            TrainError::Invalid(format!(
                "{}: metadata {key} missing or malformed",
                path.display()
            ))
        })
}

/// The baseline fitted in `run` for `n_items` items, on `backend`, with its configuration.
pub fn load<B: Backend<Elem = f32>>(
    backend: &B,
    run: &RunDir,
    n_items: usize,
) -> Result<(Baseline<B>, BaselineConfig)> {
    let config = BaselineConfig::read(run)?.ok_or_else(|| {
        TrainError::Invalid(format!(
            "{}: not a popularity, EASE or ItemKNN run",
            run.config().display()
        ))
    })?;
    let path = run.best();
    let ck = checkpoint::load(&path)?;
    let model = match config.model {
        BaselineKind::Popularity => Baseline::Popularity(Popularity::from_counts(
            backend,
            ck.tensor(POPULARITY, [1, n_items])?.to_vec(),
        )),
        BaselineKind::Ease => {
            let lambda = chosen(&ck, &path, "lambda")?;
            Baseline::Ease(Ease::new(
                backend,
                n_items,
                ck.tensor(EASE_WEIGHT, [n_items, n_items])?,
                lambda,
            )?)
        }
        BaselineKind::ItemKnn => {
            let k: usize = chosen(&ck, &path, "knn_k")?;
            let shape = [n_items, ItemKnn::<B>::width(n_items, k)];
            Baseline::ItemKnn(
                ItemKnn::from_tensors(
                    backend,
                    n_items,
                    k,
                    config.shrink.unwrap_or(0.0),
                    ck.tensor(KNN_INDICES, shape)?,
                    ck.tensor(KNN_VALUES, shape)?,
                )
                .map_err(|e| TrainError::Invalid(format!("{}: {e}", path.display())))?,
            )
        }
    };
    Ok((model, config))
}
