//! Writes a synthetic raw file in the format and at the full size of one of the paper's data sets, to
//! measure `vae data prepare` on it (time, `/usr/bin/time -v` peak memory) without the real files:
//!
//! ```sh
//! cargo run --release -p vae --example raw_files -- msd /tmp/msd/train_triplets.txt
//! cargo run --release -p vae --example raw_files -- ml-20m /tmp/ml-20m/ratings.csv
//! cargo run --release -p vae --example raw_files -- netflix /tmp/netflix   # combined_data_{1..4}.txt
//! ```
//!
//! Sizes are those of the released files: MSD's `train_triplets.txt` 48,373,586 lines of 1,019,318
//! users (40 hex digits) and 384,546 songs (18 characters); ML-20M's 20,000,263 ratings of 138,493
//! users and 26,744 movies; Netflix's 100,480,507 ratings of 480,189 customers and 17,770 movies.
//! Item popularity is Zipf-like (exponent 0.8; 0.5 for Netflix), so preprocessing keeps a part of the
//! items as the real data's does; the figures after preprocessing are not the paper's.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use vae::data::NumpyRandomState;

/// Cumulative Zipf weights of `n` items.
fn zipf_cdf(n: usize, a: f64) -> Vec<f64> {
    let mut total = 0.0;
    (1..=n)
        .map(|k| {
            total += (k as f64).powf(-a);
            total
        })
        .collect()
}

fn draw(rng: &mut NumpyRandomState, cdf: &[f64]) -> usize {
    let x = rng.next_f64() * cdf[cdf.len() - 1];
    cdf.partition_point(|&w| w <= x).min(cdf.len() - 1)
}

/// A 64-bit mix of `k` (splitmix64's finaliser), for ids that look random.
fn mix(k: u64) -> u64 {
    let mut z = k.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn create(path: &Path) -> anyhow::Result<BufWriter<File>> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    Ok(BufWriter::with_capacity(1 << 20, File::create(path)?))
}

/// Lines `user\tsong\tcount`, grouped by user as the released file is.
fn msd(path: &Path) -> anyhow::Result<()> {
    let (users, songs, lines) = (1_019_318usize, 384_546usize, 48_373_586usize);
    let cdf = zipf_cdf(songs, 0.8);
    let mut rng = NumpyRandomState::new(48);
    let mut w = create(path)?;
    let mut seen = vec![u32::MAX; songs];
    for u in 0..users {
        // Every user gets an equal share, give or take half, so that the total is close to `lines`.
        let share = lines / users;
        let n = share / 2 + rng.random_interval(share as u64) as usize;
        let (hi, lo) = (mix(u as u64), mix(!(u as u64)));
        for _ in 0..n {
            let s = draw(&mut rng, &cdf);
            if seen[s] == u as u32 {
                continue;
            }
            seen[s] = u as u32;
            let count = 1 + rng.random_interval(9);
            writeln!(
                w,
                "{hi:016x}{lo:016x}{:08x}\tSO{:016X}\t{count}",
                u,
                mix(s as u64)
            )?;
        }
    }
    w.flush()?;
    Ok(())
}

/// MovieLens `ratings.csv`, sorted by user as the released file is, half-star ratings.
fn ml20m(path: &Path) -> anyhow::Result<()> {
    let (users, movies, rows) = (138_493usize, 26_744usize, 20_000_263usize);
    let cdf = zipf_cdf(movies, 0.8);
    let mut rng = NumpyRandomState::new(20);
    let mut w = create(path)?;
    writeln!(w, "userId,movieId,rating,timestamp")?;
    for k in 0..rows {
        let user = 1 + k * users / rows;
        let movie = 1 + draw(&mut rng, &cdf);
        let rating = (1 + rng.random_interval(9)) as f64 / 2.0;
        let ts = 789_652_009 + rng.random_interval(638_131_993);
        writeln!(w, "{user},{movie},{rating:.1},{ts}")?;
    }
    w.flush()?;
    Ok(())
}

/// Netflix Prize `combined_data_{1..4}.txt`: movies in order, a quarter of them per file.
fn netflix(dir: &Path) -> anyhow::Result<()> {
    let (users, movies, ratings) = (480_189usize, 17_770usize, 100_480_507usize);
    // Flatter than the others: at 0.8 the top movie would need more ratings than there are users.
    let popularity = zipf_cdf(movies, 0.5);
    let total = popularity[movies - 1];
    let mut rng = NumpyRandomState::new(17770);
    let mut w = create(&dir.join("combined_data_1.txt"))?;
    let mut prev = 0.0;
    for (m, &cumulative) in popularity.iter().enumerate() {
        if m > 0 && m.is_multiple_of(movies.div_ceil(4)) {
            w.flush()?;
            w = create(&dir.join(format!("combined_data_{}.txt", 1 + m / movies.div_ceil(4))))?;
        }
        // Zipf ranks shuffled over movie ids would change nothing measured here.
        let n = (((cumulative - prev) / total) * ratings as f64).round() as usize;
        prev = cumulative;
        writeln!(w, "{}:", m + 1)?;
        for _ in 0..n.min(users) {
            // The released ids are spread over 1..2,649,429; 480,189 of them are used.
            let k = rng.random_interval(users as u64 - 1);
            let user = 1 + 5 * k + mix(k) % 5;
            let rating = 1 + rng.random_interval(4);
            let day = 1 + rng.random_interval(27);
            writeln!(w, "{user},{rating},2005-{:02}-{day:02}", 1 + m % 12)?;
        }
    }
    w.flush()?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [which, out] = &args[..] else {
        anyhow::bail!("usage: raw_files msd|ml-20m|netflix OUT");
    };
    let t = std::time::Instant::now();
    let out = Path::new(out);
    match which.as_str() {
        "msd" => msd(out)?,
        "ml-20m" => ml20m(out)?,
        "netflix" => netflix(out)?,
        other => anyhow::bail!("unknown data set {other:?}: msd, ml-20m or netflix"),
    }
    eprintln!(
        "wrote {} in {:.1} s",
        out.display(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
