//! A Mult-VAE `last.safetensors` at ML-20M's shape (weights and Adam's two moments, 294 MB): saved
//! (digests computed, written, fsynced, renamed) and loaded (read, digests checked, NaN/inf
//! scanned), beside the SHA-256 of the same bytes alone, the share the digests add to each; and the
//! SHA-256 of an ML-20M-shaped `pro_sg` folder (112 MB of text) that a run records in `config.json`
//! and a resume checks.
//! `cargo bench -p vae --bench checkpoint`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::collections::BTreeMap;
use vae::checkpoint::{self, digest, NamedTensor};
use vae::data::synth::{synth, SynthConfig};
use vae::train::data_fingerprint;

/// Mult-VAE [600, 200] on ML-20M's 20,108 items: (name, rows, cols) of each parameter.
const LAYERS: [(&str, usize, usize); 8] = [
    ("encoder.0.weight", 20_108, 600),
    ("encoder.0.bias", 1, 600),
    ("encoder.1.weight", 600, 400),
    ("encoder.1.bias", 1, 400),
    ("decoder.0.weight", 200, 600),
    ("decoder.0.bias", 1, 600),
    ("decoder.1.weight", 600, 20_108),
    ("decoder.1.bias", 1, 20_108),
];

fn state() -> Vec<NamedTensor> {
    let mut out = Vec::new();
    for prefix in ["", "optimizer.adam.m.", "optimizer.adam.v."] {
        for (name, r, c) in LAYERS {
            out.push(NamedTensor {
                name: format!("{prefix}{name}"),
                shape: [r, c],
                data: (0..r * c).map(|i| (i % 1013) as f32 * 1e-3).collect(),
            });
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let tensors = state();
    let bytes: usize = tensors.iter().map(|t| 4 * t.data.len()).sum();
    let dir = tempfile::tempdir_in(std::env::current_dir().unwrap()).unwrap();
    let path = dir.path().join("last.safetensors");
    let meta = BTreeMap::from([("next_epoch".to_string(), "7".to_string())]);
    let mut g = c.benchmark_group("checkpoint 294 MB");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("sha256 of every tensor", |b| {
        b.iter(|| {
            tensors
                .iter()
                .map(|t| digest::of_values(&t.data))
                .collect::<Vec<_>>()
        })
    });
    g.bench_function("save", |b| {
        b.iter(|| checkpoint::save(&path, &tensors, &meta).unwrap())
    });
    g.bench_function("load", |b| b.iter(|| checkpoint::load(&path).unwrap()));
    g.finish();

    let data = dir.path().join("ml-20m");
    let split = synth(&SynthConfig::default()).unwrap();
    let stats = vae::data::SplitStats::synthetic(&split, &SynthConfig::default(), None);
    vae::data::pro_sg::write(&data, &split, &stats).unwrap();
    let files = data_fingerprint::pro_sg_files(&data);
    let bytes: u64 = files
        .iter()
        .map(|(_, p)| std::fs::metadata(p).unwrap().len())
        .sum();
    let mut g = c.benchmark_group("data fingerprint");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("sha256 of an ML-20M-shaped pro_sg folder", |b| {
        b.iter(|| data_fingerprint::of_files(&files).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
