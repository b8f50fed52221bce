//! One point of a grid: its settings, its phase, the name of its run folder, and the `vae train`
//! flags that run it.

use serde::{Deserialize, Serialize};

/// Which run of the paper's procedure a point is (`--anneal-then-rerun`): β annealed to 1, then
/// a rerun capped at β of the first run's best epoch; `Single` for the plain grid (and for models
/// without β).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Single,
    Anneal,
    Rerun,
}

impl Phase {
    /// As the name and `sweep.csv` write it (empty for `Single`).
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Single => "",
            Phase::Anneal => "anneal",
            Phase::Rerun => "rerun",
        }
    }
}

/// The anneal cap of a [`Phase::Anneal`] run: β rises to 1 (the paper, §2.2.2).
pub const ANNEAL_TO: &str = "1.0";

/// A grid point: `(flag, value)` in [`super::grid::GRID_FLAGS`] order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    pub settings: Vec<(String, String)>,
    /// The flags the name leaves out: those the grid gives one value, the same at every point.
    pub unnamed: Vec<String>,
    pub phase: Phase,
}

/// A value as a folder name shows it: layer sizes joined with `-`, and anything outside
/// `[A-Za-z0-9._+-]` as `_`, so that the name is one path component on every file system.
fn shown(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            ',' => '-',
            c if c.is_ascii_alphanumeric() || "._+-".contains(c) => c,
            _ => '_',
        })
        .collect()
}

impl Point {
    /// `model=vae,dims=600-200,anneal-cap=0.2,seed=1` (and `,phase=anneal|rerun`): the folder's
    /// name, stable and readable; the settings every point shares are in `sweep.json`, not here.
    pub fn name(&self) -> String {
        self.named(|f| !self.unnamed.iter().any(|u| u == f))
    }

    /// The name without the seed: the configuration whose seeds are averaged.
    pub fn config_name(&self) -> String {
        self.named(|f| f != "seed" && !self.unnamed.iter().any(|u| u == f))
    }

    fn named(&self, keep: impl Fn(&str) -> bool) -> String {
        let mut parts: Vec<String> = self
            .settings
            .iter()
            .filter(|(f, _)| keep(f))
            .map(|(f, v)| format!("{f}={}", shown(v)))
            .collect();
        if self.phase != Phase::Single {
            parts.push(format!("phase={}", self.phase.as_str()));
        }
        if parts.is_empty() {
            "defaults".to_string()
        } else {
            parts.join(",")
        }
    }

    /// The value of `flag` at this point.
    pub fn get(&self, flag: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(f, _)| f == flag)
            .map(|(_, v)| v.as_str())
    }

    /// The model (`vae` where the grid does not vary it).
    pub fn model(&self) -> &str {
        self.get("model").unwrap_or(super::grid::DEFAULT_MODEL)
    }

    /// The `vae train` flags of the settings (the anneal cap of a phase is added by the caller).
    pub fn train_flags(&self) -> Vec<String> {
        self.settings
            .iter()
            .flat_map(|(f, v)| [format!("--{f}"), v.clone()])
            .collect()
    }

    /// The same point in another phase (a rerun's annealing run).
    pub fn in_phase(&self, phase: Phase) -> Point {
        Point {
            settings: self.settings.clone(),
            unnamed: self.unnamed.clone(),
            phase,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_one_safe_path_component_and_the_config_name_drops_the_seed() {
        let p = Point {
            settings: vec![
                ("model".into(), "vae".into()),
                ("dims".into(), "600,200".into()),
                ("lr".into(), "1e-3".into()),
                ("seed".into(), "7".into()),
            ],
            unnamed: vec!["model".into()],
            phase: Phase::Rerun,
        };
        assert_eq!(p.name(), "dims=600-200,lr=1e-3,seed=7,phase=rerun");
        assert_eq!(p.config_name(), "dims=600-200,lr=1e-3,phase=rerun");
        assert_eq!(shown("a/b c"), "a_b_c");
        assert_eq!(
            p.train_flags(),
            ["--model", "vae", "--dims", "600,200", "--lr", "1e-3", "--seed", "7"]
        );
    }
}
