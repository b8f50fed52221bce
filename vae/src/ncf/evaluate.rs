//! The protocols' measurements: HR@K and NDCG@K of each user's held-out item among its sampled
//! negatives (implicit), RMSE and MAE of predicted ratings (explicit):
//! `RMSE = √((1/N) Σ (r̂ − r)²)`, `MAE = (1/N) Σ |r̂ − r|`.

use super::error::Result;
use super::explicit::Rated;
use super::leave_one_out::LeaveOneOut;
use super::ranking::{hit_ratio, ndcg, rank_of};

/// Scores of the pairs `(users[r], items[r])`, one per pair: a model's, or a baseline's.
pub type Scorer<'a> = dyn FnMut(&[usize], &[usize]) -> Result<Vec<f64>> + 'a;

/// Pairs scored per call of the scorer.
const PAIRS_PER_CALL: usize = 32_768;

/// Mean `(HR@K, NDCG@K)` over users, each user's held-out item ranked among `negatives[u]`;
/// `score(users, items)` gives one score per pair.
pub fn hit_ratio_ndcg(
    split: &LeaveOneOut,
    negatives: &[Vec<u32>],
    k: usize,
    score: &mut Scorer,
) -> Result<(f64, f64)> {
    let (mut hr, mut nd) = (0.0, 0.0);
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
            let rank = rank_of(s[span.start], &s[span.start + 1..span.end]);
            hr += hit_ratio(rank, k);
            nd += ndcg(rank, k);
        }
    }
    let n = split.n_users.max(1) as f64;
    Ok((hr / n, nd / n))
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

    #[test]
    fn hit_ratio_ndcg_averages_hand_ranked_users() {
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
        let (hr, nd) = hit_ratio_ndcg(&split, &negatives, 1, &mut score).unwrap();
        assert_eq!(hr, 0.5, "only user 0 is a hit at K = 1");
        assert_eq!(nd, 0.5);
        let (hr, nd) = hit_ratio_ndcg(&split, &negatives, 2, &mut score).unwrap();
        assert_eq!(hr, 1.0);
        assert!((nd - (1.0 + 1.0 / 3f64.log2()) / 2.0).abs() < 1e-15);
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
