//! Hit ratio and NDCG of one held-out item ranked among sampled negatives (He et al. 2017, §4.1).
//!
//! With `r` the 0-based rank of the held-out item among itself and its negatives:
//! `HR@K = [r < K]` and `NDCG@K = [r < K] · log 2 / log(r + 2)` (one relevant item, so IDCG = 1).
//! Ties count against the held-out item: `r = #{j : s_j ≥ s_held-out}` over the negatives, as the
//! reference's `heapq.nlargest` puts the earlier-inserted negatives first. A constant scorer therefore
//! scores zero, never a perfect hit.

/// The 0-based rank of `positive` among `negatives`, ties counted against it.
pub fn rank_of(positive: f64, negatives: &[f64]) -> usize {
    negatives.iter().filter(|&&s| s >= positive).count()
}

/// `HR@K` of a held-out item at rank `rank`.
pub fn hit_ratio(rank: usize, k: usize) -> f64 {
    if rank < k {
        1.0
    } else {
        0.0
    }
}

/// `NDCG@K` of a held-out item at rank `rank`.
pub fn ndcg(rank: usize, k: usize) -> f64 {
    if rank < k {
        std::f64::consts::LN_2 / ((rank + 2) as f64).ln()
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_ratio_and_ndcg_match_hand_computed_ranks() {
        // Held-out score 0.5 with two negatives above it: rank 2 (third place).
        let r = rank_of(0.5, &[0.9, 0.1, 0.7, 0.2]);
        assert_eq!(r, 2);
        assert_eq!(hit_ratio(r, 3), 1.0);
        assert_eq!(hit_ratio(r, 2), 0.0);
        // NDCG = 1 / log2(2 + 2) = 0.5
        assert!((ndcg(r, 10) - 0.5).abs() < 1e-15);
        assert_eq!(ndcg(0, 10), 1.0);
        // rank 1: 1 / log2(3) = 0.6309...
        assert!((ndcg(1, 10) - 0.630_929_753_571_457_4).abs() < 1e-15);
        assert_eq!(
            ndcg(10, 10),
            0.0,
            "rank 10 is the 11th place, outside the top 10"
        );
        assert!((ndcg(9, 10) - 1.0 / 11f64.log2()).abs() < 1e-15);
    }

    #[test]
    fn ties_rank_the_held_out_item_last() {
        assert_eq!(rank_of(1.0, &[1.0, 1.0, 0.0]), 2);
        assert_eq!(rank_of(3.0, &[3.0; 99]), 99);
        assert_eq!(hit_ratio(rank_of(3.0, &[3.0; 99]), 10), 0.0);
    }
}
