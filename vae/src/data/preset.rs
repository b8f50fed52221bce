//! The paper's three data sets (Liang et al. 2018, §4.1 and Table 1): for each, the raw file's format,
//! the preprocessing that turns it into clicks, the figures Table 1 reports after it, and the shape a
//! synthetic stand-in takes.

use serde::{Deserialize, Serialize};

use super::load::Format;
use super::split::{Heldout, SplitConfig};
use super::synth::SynthConfig;

/// One of the paper's data sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Preset {
    /// MovieLens-20M, `ratings.csv`.
    #[serde(rename = "ml-20m")]
    Ml20m,
    /// The Netflix Prize data, `training_set/mv_*.txt` or `combined_data_*.txt`.
    #[serde(rename = "netflix")]
    Netflix,
    /// The Million Song Dataset's Taste Profile, `train_triplets.txt`.
    #[serde(rename = "msd")]
    Msd,
}

/// A data set's figures after preprocessing, as Table 1 of the paper gives them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaperFigures {
    /// "# of users".
    pub users: usize,
    /// "# of items".
    pub items: usize,
    /// "# of interactions", which the table rounds to 0.1M.
    pub clicks: f64,
    /// "# of held-out users" (each of validation and test).
    pub heldout_users: usize,
}

impl PaperFigures {
    /// `clicks / (users · items)`; Table 1's "% of interactions" is this in percent.
    pub fn density(&self) -> f64 {
        self.clicks / (self.users as f64 * self.items as f64)
    }
}

impl Preset {
    /// The name used on the command line and in `stats.json`.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Ml20m => "ml-20m",
            Preset::Netflix => "netflix",
            Preset::Msd => "msd",
        }
    }

    /// The format of the data set's raw rating file.
    pub fn format(self) -> Format {
        match self {
            Preset::Ml20m => Format::MovielensCsv,
            Preset::Netflix => Format::NetflixPrize,
            Preset::Msd => Format::MsdTriplets,
        }
    }

    /// The preprocessing of §4.1, split by the notebook's procedure (seed 98765, 20% of each held-out
    /// user's clicks held out).
    pub fn split_config(self) -> SplitConfig {
        match self {
            // "We binarize the explicit data by keeping ratings of four or higher and interpret them
            // as implicit feedback. We only keep users who have watched at least five movies." The
            // notebook's `rating > 3.5` is the same on half stars (ML-20M) and whole stars (Netflix).
            Preset::Ml20m | Preset::Netflix => SplitConfig {
                threshold: 3.5,
                min_user_clicks: 5,
                min_item_clicks: 0,
                heldout: Heldout::Users(self.table1().heldout_users),
                ..SplitConfig::default()
            },
            // "We keep users with at least 20 songs in their listening history and songs that are
            // listened to by at least 200 users": every play count is a click (count > 0), songs are
            // filtered first and users on what is left, as `filter_triplets(min_uc, min_sc)` does.
            Preset::Msd => SplitConfig {
                threshold: 0.0,
                min_user_clicks: 20,
                min_item_clicks: 200,
                heldout: Heldout::Users(self.table1().heldout_users),
                ..SplitConfig::default()
            },
        }
    }

    /// Table 1 of the paper.
    pub fn table1(self) -> PaperFigures {
        match self {
            Preset::Ml20m => PaperFigures {
                users: 136_677,
                items: 20_108,
                clicks: 10.0e6,
                heldout_users: 10_000,
            },
            Preset::Netflix => PaperFigures {
                users: 463_435,
                items: 17_769,
                clicks: 56.9e6,
                heldout_users: 40_000,
            },
            Preset::Msd => PaperFigures {
                users: 571_355,
                items: 41_140,
                clicks: 33.6e6,
                heldout_users: 50_000,
            },
        }
    }

    /// Synthetic clicks of Table 1's shape: its users, items, held-out users and mean clicks per user,
    /// at least the preset's minimum clicks per user. The Zipf exponent and the spread of activity
    /// are ML-20M's calibration ([`SynthConfig::default`]), not fitted to Netflix or MSD.
    pub fn synth(self) -> SynthConfig {
        let t = self.table1();
        SynthConfig {
            users: t.users,
            heldout_users: t.heldout_users,
            items: t.items,
            mean_clicks: (t.clicks / t.users as f64 * 10.0).round() / 10.0,
            min_clicks: self.split_config().min_user_clicks,
            ..SynthConfig::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table1_densities_are_the_papers_percentages() {
        // Table 1's "% of interactions": 0.36%, 0.69%, 0.14%.
        let pct = |p: Preset| (p.table1().density() * 1e4).round() / 1e2;
        assert_eq!(pct(Preset::Ml20m), 0.36);
        assert_eq!(pct(Preset::Netflix), 0.69);
        assert_eq!(pct(Preset::Msd), 0.14);
    }

    #[test]
    fn ml20m_preset_is_the_notebooks_default_split() {
        assert_eq!(Preset::Ml20m.split_config(), SplitConfig::default());
    }

    #[test]
    fn synth_shapes_match_table1_and_the_ml20m_shape_is_the_default() {
        assert_eq!(Preset::Ml20m.synth(), SynthConfig::default());
        let msd = Preset::Msd.synth();
        assert_eq!(
            (msd.users, msd.items, msd.heldout_users),
            (571_355, 41_140, 50_000)
        );
        assert_eq!((msd.mean_clicks, msd.min_clicks), (58.8, 20));
        assert_eq!(Preset::Netflix.synth().mean_clicks, 122.8);
    }
}
