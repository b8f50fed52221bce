//! The sweep folder: `sweep.json` (the grid and what every point shares), one run folder per point
//! named by its settings (each with the `train.log` of its `vae train`), `sweep.csv`, `table.md`
//! and the figures. The same grid onto the folder continues it; another is refused, naming what
//! differs, unless the caller overwrites, which removes the sweep's own files and nothing else.

use super::error::{io, Result, SweepError};
use super::grid::Grid;
use super::point::Point;
use crate::checkpoint;
use crate::train::run_dir::RUN_FILES;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// `sweep.json`: everything that decides what the points compute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepSpec {
    /// The pro_sg folder every point trains on.
    pub data: PathBuf,
    pub grid: Grid,
    /// Single-valued `vae train` flags given to every point (`--k`, `--patience`, ...), as
    /// `(flag, value)` without the dashes.
    pub fixed: Vec<(String, String)>,
    /// The paper's procedure: each Mult-VAE point annealed to 1, then rerun at β of its best epoch.
    pub anneal_then_rerun: bool,
}

impl SweepSpec {
    /// The points, in grid order.
    pub fn points(&self) -> Vec<Point> {
        self.grid.points(self.anneal_then_rerun)
    }

    /// What differs from `other`, in words.
    fn differences(&self, other: &SweepSpec) -> Vec<String> {
        let mut d = self.grid.differences(&other.grid);
        if self.data != other.data {
            d.push(format!(
                "--data {} here, {} there",
                self.data.display(),
                other.data.display()
            ));
        }
        if self.fixed != other.fixed {
            let shown = |f: &[(String, String)]| {
                let s: Vec<String> = f.iter().map(|(k, v)| format!("--{k} {v}")).collect();
                if s.is_empty() {
                    "none".to_string()
                } else {
                    s.join(" ")
                }
            };
            d.push(format!(
                "flags for every point: {} here, {} there",
                shown(&self.fixed),
                shown(&other.fixed)
            ));
        }
        if self.anneal_then_rerun != other.anneal_then_rerun {
            d.push(format!(
                "--anneal-then-rerun {} here, {} there",
                given(self.anneal_then_rerun),
                given(other.anneal_then_rerun)
            ));
        }
        d
    }
}

fn given(b: bool) -> &'static str {
    if b {
        "given"
    } else {
        "not given"
    }
}

/// The log a point's `vae train` writes (stdout and stderr) in its run folder.
pub const TRAIN_LOG: &str = "train.log";

/// The sweep's own files at the top of its folder.
const SWEEP_FILES: [&str; 7] = [
    "sweep.json",
    "sweep.csv",
    "table.md",
    "figure2_validation_ndcg.png",
    "figure2_validation_ndcg.svg",
    "figure3_latent_size.png",
    "figure3_latent_size.svg",
];

/// Paths of one sweep.
#[derive(Debug, Clone)]
pub struct SweepDir {
    pub dir: PathBuf,
}

impl SweepDir {
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
    pub fn spec(&self) -> PathBuf {
        self.path("sweep.json")
    }
    pub fn csv(&self) -> PathBuf {
        self.path("sweep.csv")
    }
    pub fn table(&self) -> PathBuf {
        self.path("table.md")
    }
    /// The run folder of `point`.
    pub fn point(&self, point: &Point) -> PathBuf {
        self.path(&point.name())
    }

    /// The folder `dir` made ready for `spec`: created with `sweep.json`, or continued when it
    /// holds the same spec. Another spec is refused naming what differs unless `overwrite`, which
    /// removes the old sweep's own files (its top files and its points' run files and logs; a
    /// point folder only once empty) and keeps anything else. A folder that holds files but no
    /// `sweep.json` is refused unless `overwrite` (the sweep is then written beside them).
    /// Returns the folder and whether it continues a sweep.
    pub fn prepare(dir: &Path, spec: &SweepSpec, overwrite: bool) -> Result<(SweepDir, bool)> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let s = SweepDir {
            dir: dir.to_path_buf(),
        };
        match s.read_spec()? {
            Some(old) if &old == spec => return Ok((s, true)),
            Some(old) if !overwrite => {
                return Err(SweepError::OtherGrid {
                    dir: s.dir.clone(),
                    differs: spec.differences(&old).join("; "),
                })
            }
            Some(old) => s.remove_sweep(&old)?,
            None => {
                let mut entries: Vec<String> = std::fs::read_dir(dir)
                    .map_err(io(dir))?
                    .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
                    .collect::<std::io::Result<_>>()
                    .map_err(io(dir))?;
                entries.sort();
                if !entries.is_empty() && !overwrite {
                    return Err(SweepError::Invalid {
                        path: s.dir.clone(),
                        detail: format!(
                            "not a sweep folder (no sweep.json) and not empty ({}); give a new or \
                             empty --out, or --overwrite to write the sweep beside those files",
                            entries.join(", ")
                        ),
                    });
                }
            }
        }
        checkpoint::write_json_atomic(&s.spec(), spec)?;
        Ok((s, false))
    }

    fn read_spec(&self) -> Result<Option<SweepSpec>> {
        let path = self.spec();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&path)(e)),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| SweepError::Invalid {
                path,
                detail: format!("not a sweep's grid: {e}"),
            })
    }

    /// Removes the files of the sweep `old` wrote: its top files, and in each of its point folders
    /// the run's files and the log (the folder too once empty).
    fn remove_sweep(&self, old: &SweepSpec) -> Result<()> {
        let remove = |path: &Path| match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(path)(e)),
            _ => Ok(()),
        };
        for point in old.points() {
            let dir = self.point(&point);
            if !dir.is_dir() {
                continue;
            }
            for name in RUN_FILES.iter().chain([&TRAIN_LOG]) {
                remove(&dir.join(name))?;
            }
            checkpoint::remove_interrupted_writes(&dir)?;
            // Only an empty folder goes: anything else in it is not the sweep's.
            let _ = std::fs::remove_dir(&dir);
        }
        for name in SWEEP_FILES {
            remove(&self.path(name))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(seeds: &str) -> SweepSpec {
        SweepSpec {
            data: "data".into(),
            grid: Grid::from_flags([("seed", seeds)]).unwrap(),
            fixed: vec![("k".into(), "ndcg@10".into())],
            anneal_then_rerun: false,
        }
    }

    #[test]
    fn another_grid_is_refused_naming_the_difference_and_overwrite_keeps_foreign_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("sweep");
        let (s, continued) = SweepDir::prepare(&d, &spec("1,2"), false).unwrap();
        assert!(!continued);
        let point = s.point(&spec("1,2").points()[0]);
        std::fs::create_dir_all(&point).unwrap();
        std::fs::write(point.join("results.json"), "{}").unwrap();
        std::fs::write(point.join("notes.txt"), "mine").unwrap();
        std::fs::write(d.join("mine.txt"), "mine").unwrap();
        assert!(SweepDir::prepare(&d, &spec("1,2"), false).unwrap().1);
        let err = SweepDir::prepare(&d, &spec("1,3"), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--seed 1 : 3 here, 1 : 2 there"), "{err}");
        assert!(point.join("results.json").exists());
        SweepDir::prepare(&d, &spec("1,3"), true).unwrap();
        assert!(!point.join("results.json").exists());
        assert!(point.join("notes.txt").exists() && d.join("mine.txt").exists());
    }

    #[test]
    fn a_folder_with_other_files_and_no_sweep_json_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x"), "").unwrap();
        let err = SweepDir::prepare(dir.path(), &spec("1"), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a sweep folder (no sweep.json)"), "{err}");
    }
}
