//! The KL weight β (Liang et al. 2018, §2.2.2): linearly annealed from 0 to a cap, counted in
//! mini-batch updates, as the notebook's `min(anneal_cap, update_count / total_anneal_steps)`;
//! or held constant.

use serde::{Deserialize, Serialize};

/// How β evolves over updates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Anneal {
    /// `β = min(cap, updates / total_steps)`.
    Linear { cap: f64, total_steps: u64 },
    /// `β` fixed.
    Constant(f64),
}

impl Anneal {
    /// β for the update that follows `updates` earlier ones.
    pub fn beta(&self, updates: u64) -> f64 {
        match *self {
            Anneal::Linear { cap, total_steps } => {
                if total_steps == 0 {
                    cap
                } else {
                    cap.min(updates as f64 / total_steps as f64)
                }
            }
            Anneal::Constant(b) => b,
        }
    }
}

impl Default for Anneal {
    /// The notebook's defaults: cap 0.2 over 200,000 updates.
    fn default() -> Self {
        Anneal::Linear {
            cap: 0.2,
            total_steps: 200_000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_anneal_rises_per_update_then_stays_at_the_cap() {
        let a = Anneal::Linear {
            cap: 0.2,
            total_steps: 1000,
        };
        assert_eq!(a.beta(0), 0.0);
        assert_eq!(a.beta(100), 0.1);
        assert_eq!(a.beta(200), 0.2);
        assert_eq!(a.beta(5000), 0.2);
        assert_eq!(Anneal::Constant(0.3).beta(7), 0.3);
    }
}
