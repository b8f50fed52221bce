//! Evaluation's ranking on the device against the CPU's, exactly: `top_k_rows` (the same column
//! indices, best first, and the same first NaN of each row), `fill_csr_pattern` (the fold-in mask),
//! and one evaluation batch through both, metrics equal. The output buffer starts as `u32::MAX` on
//! the simulator, so an index the kernel fails to write fails the comparison.

mod common;

use autograd::backend::TopK;
use autograd::rng::{draw, RngKey};
use autograd::{Backend, Cpu, Tensor};
use common::*;
use gpu::Cuda;
use vae::metrics::{Evaluator, Metric, MetricsError};
use vae::train::evaluate::evaluate_scores;
use vae::train::TrainError;

fn compare(what: &str, g: &Cuda, scores: &[f32], cols: usize, k: usize) -> TopK {
    let want = Cpu::<f32>::new()
        .top_k_rows(&scores.to_vec(), cols, k)
        .unwrap();
    let got = g.top_k_rows(&g.upload(scores).unwrap(), cols, k).unwrap();
    assert_eq!(got.k, want.k, "{what}: k");
    assert_eq!(got.first_nan, want.first_nan, "{what}: first NaN per row");
    if let Some(i) = (0..want.items.len()).find(|&i| got.items[i] != want.items[i]) {
        panic!(
            "{what}: row {} rank {}: column {} on the device, {} on the CPU",
            i / want.k.max(1),
            i % want.k.max(1),
            got.items[i],
            want.items[i]
        );
    }
    assert_eq!(got.items.len(), want.items.len(), "{what}: lengths");
    got
}

/// Scores drawn from a handful of values (so most of a row ties), with ±0, −∞ and NaN among them.
fn tied(n: usize, seed: u64) -> Vec<f32> {
    const LEVELS: [f32; 8] = [
        1.5,
        0.25,
        0.0,
        -0.0,
        -1.0,
        f32::NEG_INFINITY,
        f32::NAN,
        0.25,
    ];
    (0..n as u64)
        .map(|i| LEVELS[(draw(RngKey::new(seed, 5), i)[0] % 8) as usize])
        .collect()
}

#[test]
fn top_k_rows_on_the_device_equals_the_cpu_on_random_rows() {
    let Some((g, _)) = devices() else { return };
    for &(rows, cols) in &[(1, 1), (7, 13), (33, 65), (500, 20_108)] {
        let scores = values(rows * cols, 41);
        for k in [1, 100, cols + 7] {
            let start = std::time::Instant::now();
            let top = compare(&format!("{rows}×{cols} k={k}"), &g, &scores, cols, k);
            eprintln!(
                "top_k_rows {rows}×{cols} k={k}: equal to the CPU ({} indices, {:.3} s)",
                top.items.len(),
                start.elapsed().as_secs_f64()
            );
        }
    }
}

#[test]
fn top_k_rows_breaks_ties_by_column_and_ranks_nan_last_as_the_cpu_does() {
    let Some((g, _)) = devices() else { return };
    for &(rows, cols) in &[(1, 1), (7, 13), (33, 65), (40, 3_000)] {
        let mut scores = tied(rows * cols, 43);
        // Whole rows of one kind: NaN, −∞, +0 and −0 mixed, one number among NaN.
        let special = [
            vec![f32::NAN; cols],
            vec![f32::NEG_INFINITY; cols],
            (0..cols)
                .map(|c| if c % 2 == 0 { 0.0 } else { -0.0 })
                .collect(),
            (0..cols)
                .map(|c| if c == cols / 2 { 1.0 } else { f32::NAN })
                .collect(),
        ];
        for (r, row) in special.iter().enumerate().take(rows) {
            scores[r * cols..(r + 1) * cols].copy_from_slice(row);
        }
        for k in [0, 1, 7, 100, cols] {
            compare(&format!("tied {rows}×{cols} k={k}"), &g, &scores, cols, k);
        }
    }
}

#[test]
fn top_k_rows_at_the_kernels_longest_list_and_beyond_it() {
    let Some((g, _)) = devices() else { return };
    let (rows, cols) = (6, 2_500);
    let mut scores = tied(rows * cols, 47);
    scores[cols..2 * cols].copy_from_slice(&values(cols, 48));
    // 2,048 is ranked by the kernel, 2,049 on the host after a download: the same either way.
    for k in [2_048, 2_049] {
        compare(&format!("{rows}×{cols} k={k}"), &g, &scores, cols, k);
    }
}

#[test]
fn fill_csr_pattern_writes_minus_infinity_at_exactly_the_stored_entries() {
    let Some((g, _)) = devices() else { return };
    let c = Cpu::<f32>::new();
    for &(rows, cols) in &[(1, 1), (7, 13), (33, 65), (500, 20_108)] {
        let (x, _) = sparse(rows, cols, 0.05, 51);
        let scores = values(rows * cols, 52);
        let mut on_gpu = g.upload(&scores).unwrap();
        g.fill_csr_pattern(&g.upload_csr(&x).unwrap(), f64::NEG_INFINITY, &mut on_gpu)
            .unwrap();
        let mut on_cpu = scores.clone();
        c.fill_csr_pattern(&x, f64::NEG_INFINITY, &mut on_cpu)
            .unwrap();
        assert!(on_cpu.iter().filter(|s| **s == f32::NEG_INFINITY).count() == x.nnz());
        assert_bits_equal(
            &format!("fill_csr_pattern {rows}×{cols}"),
            &g.download(&on_gpu).unwrap(),
            &on_cpu,
        );
    }
}

#[test]
fn an_evaluation_batch_on_the_device_gives_the_cpu_metrics_and_nan_report() {
    let Some((g, _)) = devices() else { return };
    // Every kind of metric; avgpop@200 keeps the rankings handed to the list metrics deeper than the
    // per-user metrics read.
    let evaluator = Evaluator::new(
        Metric::parse_list(
            "ndcg@100,recall@20,recall@50,mrr@10,hr@10,precision@10,map@10,coverage@10,gini@10,\
             avgpop@200",
        )
        .unwrap(),
    )
    .unwrap();
    let (rows, cols) = (64, 3_000);
    let (fold_in, _) = sparse(rows, cols, 0.02, 61);
    let (heldout, _) = sparse(rows, cols, 0.01, 62);
    // Integer-valued scores so that many tie; a NaN under a fold-in item is masked, not reported.
    let mut scores: Vec<f32> = values(rows * cols, 63)
        .iter()
        .map(|v| (v * 4.0).round())
        .collect();
    let (masked_c, _) = fold_in.row(5);
    scores[5 * cols + masked_c[0] as usize] = f32::NAN;
    let on_device = |s: &[f32]| {
        let t = Tensor::from_vec(&g, rows, cols, s).unwrap();
        evaluate_scores(&evaluator, t, &fold_in, &heldout)
    };
    let on_host = |s: &[f32]| evaluator.evaluate_batch(&mut s.to_vec(), cols, &fold_in, &heldout);
    let want = on_host(&scores).unwrap();
    assert_eq!(on_device(&scores).unwrap(), want);
    assert!(want.evaluated_rows.len() > rows / 2);
    assert_eq!(want.recommended.len(), want.evaluated_rows.len());
    assert!(want.recommended.iter().all(|list| list.len() == 200));

    // Unmasked NaNs in rows 9 and 30: both report row 9 and its first NaN item.
    let free = (0..cols)
        .find(|c| !fold_in.row(9).0.contains(&(*c as u32)))
        .unwrap();
    scores[9 * cols + free] = f32::NAN;
    scores[30 * cols + 7] = f32::NAN;
    let host_err = on_host(&scores).unwrap_err();
    assert_eq!(host_err, MetricsError::NanScore { row: 9, item: free });
    match on_device(&scores) {
        Err(TrainError::Metrics(e)) => assert_eq!(e, host_err),
        other => panic!("expected the host's NaN error, got {other:?}"),
    }
}
