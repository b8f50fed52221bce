//! The library's configuration enums as command-line values. Clap stays in `cli/`: each enum here
//! mirrors one of the library's, variant for variant and with the same help, and converts into it.

use clap::ValueEnum;
use vae::data::Preset;
use vae::ncf::{Learner, Protocol, Ranking};
use vae::train::Precision;

/// The dense layers' GEMM operands ([`Precision`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PrecisionArg {
    /// f32 operands (the default).
    F32,
    /// bf16 operands, f32 sums (the CPU backend only); parameters, Adam, softmax and loss stay f32.
    Bf16,
}

impl From<PrecisionArg> for Precision {
    fn from(p: PrecisionArg) -> Self {
        match p {
            PrecisionArg::F32 => Precision::F32,
            PrecisionArg::Bf16 => Precision::Bf16,
        }
    }
}

/// One of the paper's data sets ([`Preset`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PresetArg {
    /// MovieLens-20M, `ratings.csv`.
    #[value(name = "ml-20m")]
    Ml20m,
    /// The Netflix Prize data, `training_set/mv_*.txt` or `combined_data_*.txt`.
    #[value(name = "netflix")]
    Netflix,
    /// The Million Song Dataset's Taste Profile, `train_triplets.txt`.
    #[value(name = "msd")]
    Msd,
}

impl From<PresetArg> for Preset {
    fn from(p: PresetArg) -> Self {
        match p {
            PresetArg::Ml20m => Preset::Ml20m,
            PresetArg::Netflix => Preset::Netflix,
            PresetArg::Msd => Preset::Msd,
        }
    }
}

/// NCF's protocol ([`Protocol`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProtocolArg {
    /// Ratings regressed with MSE; RMSE and MAE on a random held-out fraction.
    Explicit,
    /// Leave-one-out, sampled negatives, BCE; HR@K and NDCG@K among sampled negatives (the paper).
    Implicit,
    /// Mult-VAE's split (`--data` a `vae data prepare` folder): trained on every click but the
    /// held-out ones, ranked over all items by the VAE's metrics (`--k`).
    Heldout,
}

impl From<ProtocolArg> for Protocol {
    fn from(p: ProtocolArg) -> Self {
        match p {
            ProtocolArg::Explicit => Protocol::Explicit,
            ProtocolArg::Implicit => Protocol::Implicit,
            ProtocolArg::Heldout => Protocol::HeldOut,
        }
    }
}

/// NCF's ranking that picks the best epoch ([`Ranking`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvalArg {
    /// The held-out item among 99 sampled negatives (the paper's protocol).
    Sampled,
    /// The held-out item among every item the user did not train on.
    Full,
}

impl From<EvalArg> for Ranking {
    fn from(e: EvalArg) -> Self {
        match e {
            EvalArg::Sampled => Ranking::Sampled,
            EvalArg::Full => Ranking::Full,
        }
    }
}

/// NCF's optimiser ([`Learner`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LearnerArg {
    /// Adam (the paper for GMF, MLP and NeuMF from scratch; the reference code's default).
    Adam,
    /// Plain SGD (the paper for NeuMF after pre-training, §3.4.1, since Adam's moments are not kept).
    Sgd,
}

impl From<LearnerArg> for Learner {
    fn from(l: LearnerArg) -> Self {
        match l {
            LearnerArg::Adam => Learner::Adam,
            LearnerArg::Sgd => Learner::Sgd,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The name a value has on the command line, as clap spells it.
    fn flag_name(v: impl ValueEnum) -> String {
        v.to_possible_value().unwrap().get_name().to_string()
    }

    /// The name the library gives the converted value in config.json and stats.json.
    fn json_name(v: impl serde::Serialize) -> String {
        serde_json::to_value(v)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn every_command_line_value_names_the_library_value_it_converts_to() {
        for p in PresetArg::value_variants() {
            assert_eq!(flag_name(*p), json_name(Preset::from(*p)));
        }
        for p in ProtocolArg::value_variants() {
            assert_eq!(flag_name(*p), json_name(Protocol::from(*p)));
        }
        for l in LearnerArg::value_variants() {
            assert_eq!(flag_name(*l), json_name(Learner::from(*l)));
        }
    }
}
