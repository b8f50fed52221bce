//! Top-100 selection over ML-20M's 20,108 items, the ranking step of every evaluation, against its
//! memory floor: one read of the scores (80 KB a row).
//! `cargo bench -p vae --bench top_k`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vae::metrics::top_k;

const ITEMS: usize = 20_108;
const ROWS: usize = 500;

/// Scores in no particular item order, as a model's are (xorshift, fixed seed).
fn scores() -> Vec<f32> {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    (0..ROWS * ITEMS)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 24) as f32
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let scores = scores();
    let mut g = c.benchmark_group("top_k");
    g.sample_size(20);
    g.throughput(Throughput::Bytes((ROWS * ITEMS * 4) as u64));
    g.bench_function("top-100 of 20108, 500 rows", |b| {
        b.iter(|| {
            scores
                .chunks(ITEMS)
                .map(|row| top_k(row, 100)[0] as usize)
                .sum::<usize>()
        })
    });
    // The whole sort the selection avoids, for scale.
    g.bench_function("full sort of 20108, 500 rows", |b| {
        b.iter(|| {
            scores
                .chunks(ITEMS)
                .map(|row| {
                    let mut idx: Vec<u32> = (0..ITEMS as u32).collect();
                    idx.sort_unstable_by(|&i, &j| row[j as usize].total_cmp(&row[i as usize]));
                    idx[0] as usize
                })
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
