//! The groups of `vae compare`, loaded and checked: each group is one run or several runs of one
//! configuration (seeds), and what is compared is each user's metric, averaged over the group's
//! runs.
//!
//! A run is a run folder (its `test_users.csv`, its `config.json`) or a per-user CSV file written
//! by `vae eval --per-user`. Before anything is averaged, every run must be of one split: the data
//! fingerprints of any two run folders agree on each file both record (the test files first, so a
//! different split is named by `test_tr.csv`), and every run holds the same users. A CSV file
//! carries no fingerprint, so only its users are checked, and a note says so. Only the metrics
//! every run measured are compared; the others are listed as skipped.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::{CompareError, Result};
use crate::data::pro_sg::CLICK_FILES;
use crate::metrics::PerUserMetrics;
use crate::train::data_fingerprint::{DataFingerprint, ITEMS};
use crate::train::RunDir;

/// One run's per-user metrics and what it records about itself.
#[derive(Debug, Clone)]
struct Run {
    path: PathBuf,
    /// The data fingerprint of `config.json`; empty for a CSV file or a run older than the record.
    fingerprint: DataFingerprint,
    /// `config.json` less its `data`; `None` for a CSV file.
    config: Option<Value>,
    table: PerUserMetrics,
}

impl Run {
    fn load(path: &Path) -> Result<Run> {
        if path.is_file() {
            let text = std::fs::read_to_string(path).map_err(|source| CompareError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            let table = PerUserMetrics::parse(&text).map_err(|e| {
                crate::train::TrainError::Invalid(format!(
                    "{}:{}: {}",
                    path.display(),
                    e.line,
                    e.detail
                ))
            })?;
            return Ok(Run {
                path: path.to_path_buf(),
                fingerprint: DataFingerprint::new(),
                config: None,
                table,
            });
        }
        let run = RunDir::open(path)?;
        if !run.test_users().is_file() {
            return Err(CompareError::NoPerUser {
                run: path.to_path_buf(),
            });
        }
        let fingerprint = run.read_data_fingerprint()?;
        let text = std::fs::read_to_string(run.config()).map_err(|source| CompareError::Io {
            path: run.config(),
            source,
        })?;
        let mut config: Value = serde_json::from_str(&text).map_err(|e| {
            crate::train::TrainError::Invalid(format!("{}: {e}", run.config().display()))
        })?;
        if let Some(map) = config.as_object_mut() {
            map.remove("data");
        }
        Ok(Run {
            path: path.to_path_buf(),
            fingerprint,
            config: Some(config),
            table: run.read_test_users()?,
        })
    }

    fn name(&self) -> String {
        self.path.display().to_string()
    }
}

/// A group's per-user metrics: `values[m][u]` is the mean over the group's runs of metric
/// [`Groups::metrics`]`[m]` of user [`Groups::uids`]`[u]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The argument as given (`runs/vae-1,runs/vae-2`).
    pub label: String,
    pub runs: Vec<PathBuf>,
    pub values: Vec<Vec<f64>>,
}

/// Groups checked to be comparable, on one list of users and metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct Groups {
    pub groups: Vec<Group>,
    pub uids: Vec<u32>,
    /// The metrics every run measured, in the first run's order.
    pub metrics: Vec<String>,
    /// Metrics some run lacks, each with a run that lacks it.
    pub skipped: Vec<String>,
    /// What the checks could not cover, or what looks unintended (a group mixing configurations).
    pub notes: Vec<String>,
}

/// The order in which fingerprints are compared: the files a test metric is made of first.
fn check_order(fp: &DataFingerprint) -> Vec<&String> {
    let first: Vec<&str> = ["test_tr.csv", "test_te.csv", ITEMS]
        .into_iter()
        .chain(CLICK_FILES.into_iter().filter(|f| !f.starts_with("test_")))
        .collect();
    let mut keys: Vec<&String> = fp.keys().collect();
    keys.sort_by_key(|k| first.iter().position(|f| f == k).unwrap_or(first.len()));
    keys
}

/// Refuses `b` unless it has the fingerprint and the users of `a`.
fn check_same_split(a: &Run, b: &Run) -> Result<()> {
    for key in check_order(&a.fingerprint) {
        if let (Some(ha), Some(hb)) = (a.fingerprint.get(key), b.fingerprint.get(key)) {
            if ha != hb {
                return Err(CompareError::DifferentData {
                    file: key.clone(),
                    a: a.name(),
                    b: b.name(),
                    hash_a: ha.chars().take(12).collect(),
                    hash_b: hb.chars().take(12).collect(),
                });
            }
        }
    }
    let (ua, ub) = (&a.table.uids, &b.table.uids);
    if ua != ub {
        // Both lists increase: the first place they part holds a uid only one of them has.
        let i = ua.iter().zip(ub).take_while(|(x, y)| x == y).count();
        let (uid, only_in) = match (ua.get(i), ub.get(i)) {
            (Some(&x), Some(&y)) if x < y => (x, a.name()),
            (Some(_), Some(&y)) => (y, b.name()),
            (Some(&x), None) => (x, a.name()),
            (None, Some(&y)) => (y, b.name()),
            (None, None) => unreachable!("different lists part somewhere"),
        };
        return Err(CompareError::DifferentUsers {
            a: a.name(),
            b: b.name(),
            n_a: ua.len(),
            n_b: ub.len(),
            uid,
            only_in,
        });
    }
    Ok(())
}

/// The keys in which two configurations differ, but for the seed.
fn config_differences(a: &Value, b: &Value) -> Vec<String> {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return vec![];
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| *k != "seed" && a.get(*k) != b.get(*k))
        .cloned()
        .collect()
}

/// Notes on a group whose runs are not one configuration with several seeds.
fn group_notes(label: &str, runs: &[Run]) -> Vec<String> {
    let mut notes = Vec::new();
    let first = &runs[0];
    let Some(c0) = &first.config else {
        return notes;
    };
    for (i, run) in runs.iter().enumerate().skip(1) {
        let Some(c) = &run.config else { continue };
        let differ = config_differences(c0, c);
        if !differ.is_empty() {
            notes.push(format!(
                "group {label}: {} differs from {} in more than the seed ({}); the group's mean \
                 mixes configurations",
                run.name(),
                first.name(),
                differ.join(", ")
            ));
        }
        let seed = c.get("seed");
        if let Some(earlier) = runs[..i]
            .iter()
            .find(|r| seed.is_some() && r.config.as_ref().and_then(|c| c.get("seed")) == seed)
        {
            notes.push(format!(
                "group {label}: {} and {} have the same seed ({}); the group's mean is not over \
                 seeds",
                earlier.name(),
                run.name(),
                seed.map(Value::to_string).unwrap_or_default()
            ));
        }
    }
    notes
}

/// The run paths of a group: its comma-separated pieces, except that a run of pieces which joined
/// back with commas names an existing file or folder is one path (the longest such run is taken),
/// so that `vae sweep`'s point folders (`model=dae,seed=1`) can be named, alone or in a group.
fn group_paths(group: &str) -> Vec<String> {
    let pieces: Vec<&str> = group.split(',').collect();
    let mut paths = Vec::new();
    let mut start = 0;
    while start < pieces.len() {
        let end = (start + 1..=pieces.len())
            .rev()
            .find(|&end| end > start + 1 && Path::new(pieces[start..end].join(",").trim()).exists())
            .unwrap_or(start + 1);
        paths.push(pieces[start..end].join(","));
        start = end;
    }
    paths
}

/// Loads each group (run paths joined by commas), checks that all runs are of one split, and
/// averages each group's runs user by user.
pub fn load(args: &[String]) -> Result<Groups> {
    let mut loaded: Vec<(String, Vec<Run>)> = Vec::new();
    for group in args {
        let paths = group_paths(group);
        if paths.iter().any(|p| p.trim().is_empty()) {
            return Err(CompareError::EmptyPath {
                group: group.clone(),
            });
        }
        let runs = paths
            .iter()
            .map(|p| Run::load(Path::new(p.trim())))
            .collect::<Result<Vec<_>>>()?;
        loaded.push((group.clone(), runs));
    }
    let all: Vec<&Run> = loaded.iter().flat_map(|(_, runs)| runs).collect();
    let mut notes = Vec::new();
    // The first run that records its data is the one every other is held to.
    let reference = all
        .iter()
        .find(|r| !r.fingerprint.is_empty())
        .copied()
        .unwrap_or(all[0]);
    for run in &all {
        check_same_split(reference, run)?;
        if run.fingerprint.is_empty() {
            notes.push(format!(
                "{}: records no data fingerprint; only its users are checked",
                run.name()
            ));
        }
    }
    let uids = reference.table.uids.clone();
    if uids.is_empty() {
        return Err(CompareError::NoUsers(reference.name()));
    }
    let mut metrics = Vec::new();
    let mut skipped = Vec::new();
    let mut names: Vec<&String> = all.iter().flat_map(|r| &r.table.metrics).collect();
    // Distinct names, in the order runs list them.
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.as_str()));
    for name in names {
        match all.iter().find(|r| !r.table.metrics.contains(name)) {
            None => metrics.push(name.clone()),
            Some(lacking) => skipped.push(format!("{name} (not in {})", lacking.name())),
        }
    }
    if metrics.is_empty() {
        return Err(CompareError::NoCommonMetric(
            all.iter().map(|r| r.name()).collect::<Vec<_>>().join(", "),
        ));
    }
    let groups = loaded
        .iter()
        .map(|(label, runs)| {
            notes.extend(group_notes(label, runs));
            let values = metrics
                .iter()
                .map(|m| {
                    let columns: Vec<Vec<f64>> = runs
                        .iter()
                        .map(|r| r.table.column(m).expect("every run measured the metric"))
                        .collect();
                    (0..uids.len())
                        .map(|u| columns.iter().map(|c| c[u]).sum::<f64>() / runs.len() as f64)
                        .collect()
                })
                .collect();
            Group {
                label: label.clone(),
                runs: runs.iter().map(|r| r.path.clone()).collect(),
                values,
            }
        })
        .collect();
    Ok(Groups {
        groups,
        uids,
        metrics,
        skipped,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run folder with `config.json` (seed and data hashes) and `test_users.csv`.
    fn run(dir: &Path, name: &str, seed: u64, test_te: &str, csv: &str) -> String {
        let d = dir.join(name);
        std::fs::create_dir_all(&d).unwrap();
        let config = serde_json::json!({
            "model": "vae",
            "seed": seed,
            "data": {"test_tr.csv": "aaaa", "test_te.csv": test_te, "train.csv": "cccc"},
        });
        std::fs::write(d.join("config.json"), config.to_string()).unwrap();
        std::fs::write(d.join("test_users.csv"), csv).unwrap();
        d.display().to_string()
    }

    const CSV: &str = "uid,ndcg@100,recall@20\n3,0.5,0.25\n7,0.0,1\n";

    #[test]
    fn a_group_averages_its_runs_user_by_user_and_skips_a_metric_one_run_lacks() {
        let dir = tempfile::tempdir().unwrap();
        let a = run(dir.path(), "a", 1, "bbbb", CSV);
        let b1 = run(
            dir.path(),
            "b1",
            1,
            "bbbb",
            "uid,ndcg@100,recall@20\n3,0.25,0\n7,0.5,1\n",
        );
        let b2 = run(
            dir.path(),
            "b2",
            2,
            "bbbb",
            "uid,ndcg@100\n3,0.75\n7,0.25\n",
        );
        let g = load(&[a, format!("{b1},{b2}")]).unwrap();
        assert_eq!(g.uids, vec![3, 7]);
        assert_eq!(g.metrics, vec!["ndcg@100"]);
        assert_eq!(g.skipped.len(), 1);
        assert!(
            g.skipped[0].starts_with("recall@20 (not in "),
            "{:?}",
            g.skipped
        );
        assert_eq!(g.groups[0].values, vec![vec![0.5, 0.0]]);
        assert_eq!(g.groups[1].values, vec![vec![0.5, 0.375]]);
        assert!(g.notes.is_empty(), "{:?}", g.notes);
    }

    #[test]
    fn a_test_file_of_other_bytes_is_refused_naming_the_file_and_both_runs() {
        let dir = tempfile::tempdir().unwrap();
        let a = run(dir.path(), "a", 1, "bbbb", CSV);
        let b = run(dir.path(), "b", 1, "dddd", CSV);
        let err = load(&[a.clone(), b.clone()]).unwrap_err().to_string();
        assert!(
            err.contains("test_te.csv") && err.contains(&a) && err.contains(&b),
            "{err}"
        );
    }

    #[test]
    fn other_users_are_refused_naming_a_uid_only_one_run_has() {
        let dir = tempfile::tempdir().unwrap();
        let a = run(dir.path(), "a", 1, "bbbb", CSV);
        let b = run(
            dir.path(),
            "b",
            1,
            "bbbb",
            "uid,ndcg@100,recall@20\n3,0.5,0.25\n8,0.0,1\n",
        );
        let err = load(&[a.clone(), b]).unwrap_err().to_string();
        assert!(
            err.contains("uid 7 is in") && err.contains(&format!("{a} only")),
            "{err}"
        );
    }

    #[test]
    fn a_csv_file_is_checked_by_its_users_and_noted() {
        let dir = tempfile::tempdir().unwrap();
        let a = run(dir.path(), "a", 1, "bbbb", CSV);
        let file = dir.path().join("eval.csv");
        std::fs::write(&file, CSV).unwrap();
        let g = load(&[a, file.display().to_string()]).unwrap();
        assert_eq!(g.groups[0].values, g.groups[1].values);
        assert_eq!(g.notes.len(), 1);
        assert!(
            g.notes[0].contains("records no data fingerprint"),
            "{:?}",
            g.notes
        );
    }

    #[test]
    fn a_group_of_one_seed_twice_is_noted() {
        let dir = tempfile::tempdir().unwrap();
        let a = run(dir.path(), "a", 1, "bbbb", CSV);
        let b = run(dir.path(), "b", 1, "bbbb", CSV);
        let g = load(&[a.clone(), format!("{a},{b}")]).unwrap();
        assert!(
            g.notes.iter().any(|n| n.contains("same seed (1)")),
            "{:?}",
            g.notes
        );
        let err = load(&[a.clone(), format!("{a},")]).unwrap_err().to_string();
        assert!(err.contains("an empty run path"), "{err}");
    }

    #[test]
    fn a_path_with_commas_that_exists_is_one_run_of_a_group() {
        let dir = tempfile::tempdir().unwrap();
        let point = dir.path().join("model=dae,seed=1");
        std::fs::create_dir(&point).unwrap();
        let other = dir.path().join("b");
        let (point, other) = (point.to_str().unwrap(), other.to_str().unwrap());
        assert_eq!(group_paths(point), [point]);
        assert_eq!(
            group_paths(&format!("{point},{other}")),
            [point.to_string(), other.to_string()]
        );
        assert_eq!(group_paths("x,y"), ["x", "y"]);
    }
}
