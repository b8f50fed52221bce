//! The grid: for each `vae train` flag it varies, the list of values to try; its points are the
//! cartesian product (RecoTour III's `run_experiments.sh` loops, as data). Given on the command
//! line (`--dims 600,200:200`, where `:` separates grid values and `,` the layer sizes of one) or as
//! a TOML or JSON file whose keys are the flag names and values are lists.

use super::error::{Result, SweepError};
use super::point::{Phase, Point};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The flags a grid may vary, in the order a point's name lists them: the seed last, so that a
/// configuration's seeds sit together in `sweep.csv`.
pub const GRID_FLAGS: [&str; 10] = [
    "model",
    "dims",
    "dropout",
    "lr",
    "batch-size",
    "epochs",
    "total-anneal-steps",
    "anneal-cap",
    "l2",
    "seed",
];

/// The model of a point that does not name one (`vae train`'s default).
pub const DEFAULT_MODEL: &str = "vae";

/// Whether `vae train --model model` reads `flag`: β's annealing weighs Mult-VAE's KL term, which
/// Mult-DAE has not; the notebook's weight penalty is Mult-DAE's. `vae train` refuses the others,
/// so a point drops them (and the points that become equal are one).
pub fn applies(flag: &str, model: &str) -> bool {
    match flag {
        "anneal-cap" | "total-anneal-steps" => model == "vae",
        "l2" => model == "dae",
        _ => true,
    }
}

/// One varied flag and its values, each as `vae train` takes it (`600,200` for dims).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Axis {
    pub flag: String,
    pub values: Vec<String>,
}

/// The varied flags, in [`GRID_FLAGS`] order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grid {
    pub axes: Vec<Axis>,
}

fn grid_err(flag: &str, detail: impl Into<String>) -> SweepError {
    SweepError::Grid {
        flag: flag.to_string(),
        detail: detail.into(),
    }
}

impl Grid {
    /// The grid of command-line lists, `(flag, text)`: grid values separated by `,`, except for
    /// `dims`, whose values are separated by `:` (a value's layer sizes by `,`).
    pub fn from_flags<'a>(given: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Grid> {
        let mut grid = Grid::default();
        for (flag, text) in given {
            let sep = if flag == "dims" { ':' } else { ',' };
            let values = text.split(sep).map(|v| v.trim().to_string()).collect();
            grid.add(flag, values)?;
        }
        Ok(grid)
    }

    /// The grid a TOML (`.toml`) or JSON (any other name) file holds: a table whose keys are flag
    /// names (`anneal-cap` or `anneal_cap`) and values lists (or one value). A dims value is a list
    /// of sizes or a string `"600,200"`.
    pub fn from_file(path: &Path) -> Result<Grid> {
        let text = std::fs::read_to_string(path).map_err(super::error::io(path))?;
        let bad = |detail: String| SweepError::GridFile {
            path: path.to_path_buf(),
            detail,
        };
        let value: serde_json::Value = if path.extension().is_some_and(|e| e == "toml") {
            toml::from_str(&text).map_err(|e| bad(e.to_string()))?
        } else {
            serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?
        };
        let table = value
            .as_object()
            .ok_or_else(|| bad("expected a table of flag = [values]".into()))?;
        let mut grid = Grid::default();
        for (key, v) in table {
            let flag = key.replace('_', "-");
            let list = match v {
                serde_json::Value::Array(a) => a.clone(),
                one => vec![one.clone()],
            };
            let values = list
                .iter()
                .map(|x| scalar(&flag, x))
                .collect::<std::result::Result<Vec<_>, String>>()
                .map_err(|d| bad(format!("{key}: {d}")))?;
            grid.add(&flag, values).map_err(|e| bad(e.to_string()))?;
        }
        Ok(grid)
    }

    /// Adds the axis of `flag`, keeping [`GRID_FLAGS`] order.
    fn add(&mut self, flag: &str, values: Vec<String>) -> Result<()> {
        let rank = GRID_FLAGS.iter().position(|f| *f == flag).ok_or_else(|| {
            grid_err(
                flag,
                format!(
                    "not a flag a grid may vary (those are {})",
                    GRID_FLAGS.join(", ")
                ),
            )
        })?;
        if self.axes.iter().any(|a| a.flag == flag) {
            return Err(grid_err(flag, "given twice"));
        }
        if values.iter().any(String::is_empty) {
            return Err(grid_err(flag, "an empty value"));
        }
        for (i, v) in values.iter().enumerate() {
            if values[..i].contains(v) {
                return Err(grid_err(flag, format!("{v} is listed twice")));
            }
        }
        let at = self
            .axes
            .iter()
            .position(|a| GRID_FLAGS.iter().position(|f| *f == a.flag) > Some(rank))
            .unwrap_or(self.axes.len());
        self.axes.insert(
            at,
            Axis {
                flag: flag.to_string(),
                values,
            },
        );
        Ok(())
    }

    /// The values of `flag`, if the grid varies it.
    pub fn values(&self, flag: &str) -> Option<&[String]> {
        self.axes
            .iter()
            .find(|a| a.flag == flag)
            .map(|a| a.values.as_slice())
    }

    /// Checks every value with `parse(flag, value)` (the `vae train` parser of that flag).
    pub fn check(
        &self,
        parse: impl Fn(&str, &str) -> std::result::Result<(), String>,
    ) -> Result<()> {
        for a in &self.axes {
            for v in &a.values {
                parse(&a.flag, v).map_err(|e| grid_err(&a.flag, format!("{v}: {e}")))?;
            }
        }
        Ok(())
    }

    /// The points, in grid order (the last axis varying fastest), each without the settings its
    /// model does not read; points that are then equal appear once, where first met. With
    /// `anneal_then_rerun`, each Mult-VAE point is two: annealed to 1, then rerun with β at the
    /// best epoch as the cap.
    pub fn points(&self, anneal_then_rerun: bool) -> Vec<Point> {
        let mut combos: Vec<Vec<(String, String)>> = vec![vec![]];
        for a in &self.axes {
            combos = combos
                .into_iter()
                .flat_map(|c| {
                    a.values.iter().map(move |v| {
                        let mut c = c.clone();
                        c.push((a.flag.clone(), v.clone()));
                        c
                    })
                })
                .collect();
        }
        let unnamed: Vec<String> = self
            .axes
            .iter()
            .filter(|a| a.values.len() == 1)
            .map(|a| a.flag.clone())
            .collect();
        // A grid of one point is named by all its settings.
        let unnamed = if unnamed.len() == self.axes.len() {
            vec![]
        } else {
            unnamed
        };
        let mut points: Vec<Point> = Vec::new();
        for combo in combos {
            let model = combo
                .iter()
                .find(|(f, _)| f == "model")
                .map_or(DEFAULT_MODEL.to_string(), |(_, v)| v.clone());
            let settings: Vec<(String, String)> = combo
                .into_iter()
                .filter(|(f, _)| applies(f, &model))
                .collect();
            let phases: &[Phase] = if anneal_then_rerun && model == "vae" {
                &[Phase::Anneal, Phase::Rerun]
            } else {
                &[Phase::Single]
            };
            for &phase in phases {
                let p = Point {
                    settings: settings.clone(),
                    unnamed: unnamed.clone(),
                    phase,
                };
                if !points.contains(&p) {
                    points.push(p);
                }
            }
        }
        points
    }

    /// What differs between this grid and `other`, in words (empty when they are the same).
    pub fn differences(&self, other: &Grid) -> Vec<String> {
        GRID_FLAGS
            .iter()
            .filter_map(|f| {
                let (a, b) = (self.values(f), other.values(f));
                (a != b).then(|| {
                    let shown = |v: Option<&[String]>| {
                        v.map_or("not varied".to_string(), |v| v.join(" : "))
                    };
                    format!("--{f} {} here, {} there", shown(a), shown(b))
                })
            })
            .collect()
    }
}

/// A grid file's value as `vae train` takes it: a number or string as written, a list of sizes
/// (dims) joined with `,`.
fn scalar(flag: &str, v: &serde_json::Value) -> std::result::Result<String, String> {
    match v {
        serde_json::Value::String(s) => Ok(s.trim().to_string()),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        serde_json::Value::Array(sizes) if flag == "dims" => sizes
            .iter()
            .map(|s| match s {
                serde_json::Value::Number(n) => Ok(n.to_string()),
                other => Err(format!("a layer size must be a number, not {other}")),
            })
            .collect::<std::result::Result<Vec<_>, _>>()
            .map(|s| s.join(",")),
        other => Err(format!("expected a number or a string, not {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(points: &[Point]) -> Vec<String> {
        points.iter().map(Point::name).collect()
    }

    #[test]
    fn dims_values_are_separated_by_colons_and_their_sizes_by_commas() {
        let g =
            Grid::from_flags([("seed", "1,2"), ("dims", "600,200:200"), ("lr", "1e-3")]).unwrap();
        assert_eq!(g.axes[0].flag, "dims", "axes keep GRID_FLAGS order");
        assert_eq!(g.values("dims").unwrap(), ["600,200", "200"]);
        // lr, the same at every point, is left out of the names.
        assert_eq!(g.points(false)[0].get("lr"), Some("1e-3"));
        // A grid of one point is named by all its settings.
        let one = Grid::from_flags([("seed", "1"), ("lr", "1e-3")]).unwrap();
        assert_eq!(names(&one.points(false)), ["lr=1e-3,seed=1"]);
        assert_eq!(
            names(&g.points(false)),
            [
                "dims=600-200,seed=1",
                "dims=600-200,seed=2",
                "dims=200,seed=1",
                "dims=200,seed=2"
            ]
        );
    }

    #[test]
    fn a_setting_the_model_does_not_read_is_dropped_and_the_equal_points_are_one() {
        let g = Grid::from_flags([
            ("model", "vae,dae"),
            ("anneal-cap", "0.2,0.5"),
            ("l2", "0,0.01"),
        ])
        .unwrap();
        assert_eq!(
            names(&g.points(false)),
            [
                "model=vae,anneal-cap=0.2",
                "model=vae,anneal-cap=0.5",
                "model=dae,l2=0",
                "model=dae,l2=0.01"
            ]
        );
        assert_eq!(
            names(&g.points(true)),
            [
                "model=vae,anneal-cap=0.2,phase=anneal",
                "model=vae,anneal-cap=0.2,phase=rerun",
                "model=vae,anneal-cap=0.5,phase=anneal",
                "model=vae,anneal-cap=0.5,phase=rerun",
                "model=dae,l2=0",
                "model=dae,l2=0.01"
            ]
        );
    }

    #[test]
    fn a_repeated_value_an_unknown_flag_and_an_empty_value_are_refused_by_name() {
        let err = |given: &[(&str, &str)]| {
            Grid::from_flags(given.iter().copied())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(err(&[("seed", "1,2,1")]), "--seed: 1 is listed twice");
        assert!(err(&[("k", "ndcg@100")]).starts_with("--k: not a flag a grid may vary"));
        assert_eq!(err(&[("dims", "600,200:")]), "--dims: an empty value");
    }

    #[test]
    fn check_names_the_flag_and_value_the_parser_refuses() {
        let g = Grid::from_flags([("dropout", "0.5,1.5")]).unwrap();
        let e = g
            .check(|_, v| {
                (v.parse::<f64>().unwrap() < 1.0)
                    .then_some(())
                    .ok_or_else(|| "must be in [0, 1)".to_string())
            })
            .unwrap_err();
        assert_eq!(e.to_string(), "--dropout: 1.5: must be in [0, 1)");
    }

    #[test]
    fn toml_and_json_files_give_the_grid_the_flags_give() {
        let dir = tempfile::tempdir().unwrap();
        let toml = dir.path().join("grid.toml");
        std::fs::write(
            &toml,
            "model = [\"vae\", \"dae\"]\ndims = [[600, 200], \"200\"]\nanneal_cap = [0.2, 0.5]\nseed = 1\n",
        )
        .unwrap();
        let json = dir.path().join("grid.json");
        std::fs::write(
            &json,
            r#"{"seed": [1], "anneal-cap": ["0.2", "0.5"], "dims": ["600,200", [200]], "model": ["vae", "dae"]}"#,
        )
        .unwrap();
        let flags = Grid::from_flags([
            ("model", "vae,dae"),
            ("dims", "600,200:200"),
            ("anneal-cap", "0.2,0.5"),
            ("seed", "1"),
        ])
        .unwrap();
        assert_eq!(Grid::from_file(&toml).unwrap(), flags);
        assert_eq!(Grid::from_file(&json).unwrap(), flags);
        std::fs::write(&json, r#"{"dims": [[600, "x"]]}"#).unwrap();
        let e = Grid::from_file(&json).unwrap_err().to_string();
        assert!(
            e.contains("grid.json: dims: a layer size must be a number"),
            "{e}"
        );
        std::fs::write(&toml, "dropout = [0.5, 0.5]\n").unwrap();
        let e = Grid::from_file(&toml).unwrap_err().to_string();
        assert!(e.ends_with("--dropout: 0.5 is listed twice"), "{e}");
    }

    #[test]
    fn differences_name_each_flag_that_differs() {
        let a = Grid::from_flags([("seed", "1,2"), ("dims", "200")]).unwrap();
        let b = Grid::from_flags([("seed", "1,3"), ("dims", "200")]).unwrap();
        assert_eq!(a.differences(&b), ["--seed 1 : 2 here, 1 : 3 there"]);
        assert!(a.differences(&a).is_empty());
    }
}
