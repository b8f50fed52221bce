//! The protocols' measurements.
//!
//! Implicit: each user's held-out item `i*` is ranked, with `r_u` its 0-based rank (ties counted
//! against it, see [`super::ranking`]), and `HR@K = mean_u [r_u < K]`,
//! `NDCG@K = mean_u [r_u < K] · log 2 / log(r_u + 2)`. Two rankings:
//! - sampled (He et al. 2017, §4.1): among the user's fixed sampled negatives `N_u` (99 unseen items),
//!   `r_u = #{j ∈ N_u : s_uj ≥ s_ui*}`;
//! - full (Krichene & Rendle, "On Sampled Metrics for Item Recommendation", KDD 2020): among every
//!   item the user did not interact with in training, `T_u` (the user's training items) masked,
//!   `r_u = #{j ∈ I ∖ T_u, j ≠ i* : s_uj ≥ s_ui*}`.
//!
//! The sampled ranking is a noisy, compressed image of the full one: each of the `|I ∖ T_u| − 1`
//! candidates beats the held-out item with the same chance of being among the 99, so in expectation
//! `r_u^sampled = r_u^full · 99 / (|I ∖ T_u| − 1)`, and a hit at 10 in the sampled ranking asks for
//! a full rank in the hundreds on MovieLens-1M.
//!
//! Explicit: RMSE and MAE of predicted ratings, `RMSE = √((1/N) Σ (r̂ − r)²)`,
//! `MAE = (1/N) Σ |r̂ − r|`.

use super::error::{NcfError, Result};
use super::explicit::Rated;
use super::leave_one_out::LeaveOneOut;
use super::ranking::{hit_ratio, ndcg, rank_of};

/// Scores of the pairs `(users[r], items[r])`, one per pair: a model's, or a baseline's.
pub type Scorer<'a> = dyn FnMut(&[usize], &[usize]) -> Result<Vec<f64>> + 'a;

/// Scores of every item for each of `users`, row-major `[users.len(), I]`.
pub type ItemScorer<'a> = dyn FnMut(&[usize]) -> Result<Vec<f64>> + 'a;

/// Pairs scored per call of the scorer.
const PAIRS_PER_CALL: usize = 32_768;

/// Pairs scored per call of the item scorer (`⌊this / I⌋` users at a time, at least one).
const FULL_PAIRS_PER_CALL: usize = 1 << 17;

/// Each user's 0-based rank of the held-out item among `negatives[u]`; `score(users, items)` gives
/// one score per pair.
pub fn sampled_ranks(
    split: &LeaveOneOut,
    negatives: &[Vec<u32>],
    score: &mut Scorer,
) -> Result<Vec<usize>> {
    let mut ranks = Vec::with_capacity(split.n_users);
    let mut user = 0;
    while user < split.n_users {
        let (mut users, mut items, mut spans) = (Vec::new(), Vec::new(), Vec::new());
        while user < split.n_users && (users.is_empty() || users.len() < PAIRS_PER_CALL) {
            let start = users.len();
            users.push(user);
            items.push(split.test[user] as usize);
            for &j in &negatives[user] {
                users.push(user);
                items.push(j as usize);
            }
            spans.push(start..users.len());
            user += 1;
        }
        let s = score(&users, &items)?;
        for span in spans {
            ranks.push(rank_of(s[span.start], &s[span.start + 1..span.end]));
        }
    }
    Ok(ranks)
}

/// Each user's 0-based rank of the held-out item among all items but its training items;
/// `score_items(users)` gives every item's score for each user, row-major.
pub fn full_ranks(split: &LeaveOneOut, score_items: &mut ItemScorer) -> Result<Vec<usize>> {
    let n_items = split.n_items;
    let per_call = (FULL_PAIRS_PER_CALL / n_items.max(1)).max(1);
    let mut ranks = Vec::with_capacity(split.n_users);
    let all: Vec<usize> = (0..split.n_users).collect();
    for users in all.chunks(per_call) {
        let s = score_items(users)?;
        if s.len() != users.len() * n_items {
            return Err(NcfError::Data(format!(
                "the item scorer gave {} scores for {} users × {n_items} items",
                s.len(),
                users.len()
            )));
        }
        for (row, &u) in s.chunks(n_items).zip(users) {
            ranks.push(full_rank(row, split.test[u], &split.seen[u]));
        }
    }
    Ok(ranks)
}

/// `#{j ∉ seen, j ≠ held_out : row[j] ≥ row[held_out]}`: `seen` (sorted) is the training items and
/// the held-out item, so the held-out item is ranked among every item not trained on.
fn full_rank(row: &[f64], held_out: u32, seen: &[u32]) -> usize {
    let s = row[held_out as usize];
    row.iter()
        .enumerate()
        .filter(|&(j, &sj)| sj >= s && seen.binary_search(&(j as u32)).is_err())
        .count()
}

/// Mean `(HR@K, NDCG@K)` over the users' ranks.
pub fn hit_ratio_ndcg(ranks: &[usize], k: usize) -> (f64, f64) {
    let n = ranks.len().max(1) as f64;
    let hr: f64 = ranks.iter().map(|&r| hit_ratio(r, k)).sum();
    let nd: f64 = ranks.iter().map(|&r| ndcg(r, k)).sum();
    (hr / n, nd / n)
}

/// `(RMSE, MAE)` of `predict(users, items)` against the ratings of `test`.
pub fn rmse_mae(test: &[Rated], predict: &mut Scorer) -> Result<(f64, f64)> {
    let (mut se, mut ae) = (0.0, 0.0);
    for chunk in test.chunks(PAIRS_PER_CALL) {
        let users: Vec<usize> = chunk.iter().map(|r| r.user as usize).collect();
        let items: Vec<usize> = chunk.iter().map(|r| r.item as usize).collect();
        for (p, r) in predict(&users, &items)?.iter().zip(chunk) {
            se += (p - r.rating).powi(2);
            ae += (p - r.rating).abs();
        }
    }
    let n = test.len().max(1) as f64;
    Ok(((se / n).sqrt(), ae / n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Ratings;
    use crate::ncf::gmf::Gmf;
    use crate::ncf::leave_one_out::leave_one_out;
    use crate::ncf::mlp::Mlp;
    use crate::ncf::model::NcfModel;
    use crate::ncf::neumf::NeuMf;
    use autograd::Cpu;

    #[test]
    fn sampled_ranks_average_to_hand_ranked_users() {
        // User 0's held-out item 0 beats both negatives (rank 0); user 1's item 2 is beaten by one
        // of its two negatives (rank 1). The score of a pair is item + user.
        let split = LeaveOneOut {
            n_users: 2,
            n_items: 4,
            train: vec![],
            test: vec![3, 2],
            seen: vec![vec![3], vec![2]],
        };
        let negatives = vec![vec![0, 1], vec![3, 1]];
        let mut score = |u: &[usize], i: &[usize]| -> Result<Vec<f64>> {
            Ok(u.iter().zip(i).map(|(&u, &i)| (i + u) as f64).collect())
        };
        let ranks = sampled_ranks(&split, &negatives, &mut score).unwrap();
        assert_eq!(ranks, [0, 1]);
        let (hr, nd) = hit_ratio_ndcg(&ranks, 1);
        assert_eq!(hr, 0.5, "only user 0 is a hit at K = 1");
        assert_eq!(nd, 0.5);
        let (hr, nd) = hit_ratio_ndcg(&ranks, 2);
        assert_eq!(hr, 1.0);
        assert!((nd - (1.0 + 1.0 / 3f64.log2()) / 2.0).abs() < 1e-15);
    }

    /// 9 users over 13 items, each with 3 to 6 interactions at increasing times.
    fn tiny() -> LeaveOneOut {
        let mut r = Ratings::new(false).with_timestamps();
        for u in 0..9usize {
            for k in 0..3 + u % 4 {
                let i = (u * 5 + k * 4) % 13;
                let (user, item) = (format!("u{u}"), format!("i{i}"));
                r.push_timed("t", 1, &user, &item, None, Some(k as f64))
                    .unwrap();
            }
        }
        leave_one_out(&r).unwrap()
    }

    /// The full rank by hand: each (user, item) pair scored alone, then the unmasked items above
    /// or level with the held-out one counted.
    fn brute_force_ranks(split: &LeaveOneOut, model: &dyn NcfModel<Cpu<f64>>) -> Vec<usize> {
        (0..split.n_users)
            .map(|u| {
                let held_out = split.test[u] as usize;
                let s = |i: usize| model.scores(&[u], &[i]).unwrap()[0];
                let trained = |i: usize| split.train.contains(&(u as u32, i as u32));
                (0..split.n_items)
                    .filter(|&i| i != held_out && !trained(i) && s(i) >= s(held_out))
                    .count()
            })
            .collect()
    }

    #[test]
    fn full_ranks_match_a_brute_force_scorer_for_every_model() {
        let split = tiny();
        let (cpu, users, items) = (Cpu::<f64>::new(), split.n_users, split.n_items);
        let gmf = Gmf::new(&cpu, users, items, 3, 0.1, 5).unwrap();
        let mlp = Mlp::new(&cpu, users, items, &[6, 4, 3], 0.1, 6).unwrap();
        let neumf = NeuMf::new(&cpu, users, items, 3, &[6, 4], 0.1, 7).unwrap();
        let models: [&dyn NcfModel<Cpu<f64>>; 3] = [&gmf, &mlp, &neumf];
        for model in models {
            let expected = brute_force_ranks(&split, model);
            let ranks = full_ranks(&split, &mut |u| {
                Ok(model.item_scores(u, split.n_items).unwrap())
            })
            .unwrap();
            assert_eq!(ranks, expected);
            // A rank of 0 for some and not all users: the comparison above is not vacuous.
            assert!(ranks.iter().any(|&r| r > 0), "{ranks:?}");
        }
    }

    #[test]
    fn full_ranks_mask_training_items_and_count_ties_against_the_held_out_item() {
        // One user, 6 items: trained on 1 and 4, held out 2.
        let split = LeaveOneOut {
            n_users: 1,
            n_items: 6,
            train: vec![(0, 1), (0, 4)],
            test: vec![2],
            seen: vec![vec![1, 2, 4]],
        };
        // Training items score highest (masked), item 5 ties the held-out item, 0 and 3 lose.
        let mut score = |u: &[usize]| -> Result<Vec<f64>> {
            Ok(u.iter()
                .flat_map(|_| [0.1, 9.0, 0.5, 0.2, 8.0, 0.5])
                .collect())
        };
        assert_eq!(full_ranks(&split, &mut score).unwrap(), [1], "the tie");
        // A constant scorer ranks the held-out item last among the 3 unmasked others.
        let mut constant = |u: &[usize]| -> Result<Vec<f64>> { Ok(vec![1.0; u.len() * 6]) };
        assert_eq!(full_ranks(&split, &mut constant).unwrap(), [3]);
        let (hr, nd) = hit_ratio_ndcg(&[3], 3);
        assert_eq!((hr, nd), (0.0, 0.0));
    }

    #[test]
    fn rmse_and_mae_of_known_errors() {
        let rated = |rating| Rated {
            user: 0,
            item: 0,
            rating,
        };
        let test = [rated(1.0), rated(4.0)];
        let mut predict = |u: &[usize], _: &[usize]| -> Result<Vec<f64>> { Ok(vec![3.0; u.len()]) };
        let (rmse, mae) = rmse_mae(&test, &mut predict).unwrap();
        assert!((rmse - (5.0f64 / 2.0).sqrt()).abs() < 1e-15);
        assert_eq!(mae, 1.5);
    }
}
