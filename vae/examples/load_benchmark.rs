//! Benchmark (not a test): load a MovieLens `ratings.csv` of ML-20M's size and compare time and peak
//! memory with the floors (15 s, 1.5 GiB on the 2-core development machine).
//!
//! `cargo run --release -p vae --example load_benchmark [-- ratings.csv]`; without a file, a 20M-row
//! file of ML-20M's shape (138,493 users, 26,744 movies, half-star ratings) is generated first.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use vae::data::{load, Format, LoadOptions, NumpyRandomState};

const FLOOR_SECONDS: f64 = 15.0;
const FLOOR_GIB: f64 = 1.5;

fn main() -> anyhow::Result<()> {
    let (path, _keep) = match std::env::args().nth(1) {
        Some(p) => (PathBuf::from(p), None),
        None => {
            let dir = tempfile::tempdir()?;
            let path = dir.path().join("ratings.csv");
            let t = Instant::now();
            generate(&path, 20_000_263)?;
            eprintln!(
                "generated {} in {:.1} s",
                path.display(),
                t.elapsed().as_secs_f64()
            );
            (path, Some(dir))
        }
    };
    let t = Instant::now();
    let ratings = load(&path, &Format::Auto, &LoadOptions::default())?;
    let seconds = t.elapsed().as_secs_f64();
    let gib = peak_rss_kib().unwrap_or(0) as f64 / (1024.0 * 1024.0);
    println!(
        "loaded {} rows ({} users, {} items) in {seconds:.2} s (floor {FLOOR_SECONDS} s), \
         peak memory {gib:.2} GiB (floor {FLOOR_GIB} GiB)",
        ratings.len(),
        ratings.users.len(),
        ratings.items.len()
    );
    Ok(())
}

/// ML-20M-shaped rows, sorted by user as the real file is.
fn generate(path: &std::path::Path, rows: usize) -> anyhow::Result<()> {
    let mut rng = NumpyRandomState::new(20);
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(w, "userId,movieId,rating,timestamp")?;
    let users = 138_493u64;
    for k in 0..rows as u64 {
        let user = 1 + k * users / rows as u64;
        let movie = 1 + rng
            .random_interval(131_261)
            .min(rng.random_interval(131_261));
        let rating = (1 + rng.random_interval(9)) as f64 / 2.0;
        let ts = 789_652_009 + rng.random_interval(638_131_993);
        writeln!(w, "{user},{movie},{rating:.1},{ts}")?;
    }
    w.flush()?;
    Ok(())
}

/// Peak resident memory of this process (Linux `VmHWM`).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
