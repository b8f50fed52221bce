//! The split against a Python re-implementation of the notebook's data section (pandas 3.1, numpy 2.4),
//! run once on the fixtures generated below; its output hashes are hard-coded so that no Python is
//! needed at test time.

use std::path::Path;

use sha2::{Digest, Sha256};
use vae::data::{load, pro_sg, split, Format, Heldout, LoadOptions, SplitConfig};

const FILES: [&str; 6] = [
    "unique_sid.txt",
    "train.csv",
    "validation_tr.csv",
    "validation_te.csv",
    "test_tr.csv",
    "test_te.csv",
];

/// 3,000 ratings of 150 users on up to 400 items, with repeated (user, item) pairs and half stars;
/// the same LCG as the Python generator that produced the expected hashes.
fn write_fixture(path: &Path, string_ids: bool) {
    let mut x: u64 = 12345;
    let mut text = String::from("user_id:token\titem_id:token\trating:float\ttimestamp:float\n");
    for k in 0..3000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let u = 1 + (x >> 33) % 150;
        let i = 1 + ((x >> 17) % 400) * ((x >> 50) % 3) / 2;
        let r = ((x >> 40) % 10) as f64 / 2.0 + 0.5;
        let (u, i) = if string_ids {
            (format!("u{u}"), format!("i{i}"))
        } else {
            (u.to_string(), i.to_string())
        };
        text += &format!("{u}\t{i}\t{r:.1}\t{k}\n");
    }
    std::fs::write(path, text).unwrap();
}

fn hashes(dir: &Path) -> Vec<String> {
    FILES
        .iter()
        .map(|f| {
            let bytes = std::fs::read(dir.join(f)).unwrap();
            format!("{:x}", Sha256::digest(&bytes))
        })
        .collect()
}

fn run(string_ids: bool, frac: f64) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("fixture.inter");
    write_fixture(&input, string_ids);
    let ratings = load(&input, &Format::Auto, &LoadOptions::default()).unwrap();
    let config = SplitConfig {
        heldout: Heldout::Fraction(frac),
        ..SplitConfig::default()
    };
    let s = split(&ratings, &config).unwrap();
    assert_eq!(
        (s.counts.clicks, s.counts.users, s.counts.items),
        (788, 110, 277)
    );
    let out = dir.path().join("pro_sg");
    let stats = vae::data::SplitStats::vae_cf(&s, &config, None);
    pro_sg::write(&out, &s, &stats).unwrap();
    hashes(&out)
}

#[test]
fn split_of_integer_ids_matches_the_notebook_byte_for_byte() {
    assert_eq!(
        run(false, 0.1),
        [
            "8e393d4a497ade00557f44f8da9c70f1514407b09fa71ae98d73017d19a35906",
            "51d961c4919817ea6560e6f0fe9f0b1d952b1ec2c529a8c145f078054882bcd9",
            "07d18814ea0a1988d867bd6c9d98b566c8fc2aec78c1ea1f7b79bad4618f5938",
            "e8b16f3d2dbcedef7d5a56b7b6438dc7ea61a224ff38ecd58b65c97583817589",
            "e09b0d68f4dc744966d82905b33a959bb5a20865221eda011a76dd1bd57c7a53",
            "97cf763ef8f26faa6091411c3fd2e1901a6f39420d076deb190cfde761e95a09",
        ]
    );
}

#[test]
fn split_of_string_ids_orders_users_as_pandas_sorts_strings() {
    assert_eq!(
        run(true, 0.2),
        [
            "02c81f729c1b234d1e7eb65bdd9797de64ee53b3d7ebdcafb33444ecb164e155",
            "17554c67095e2bb5cd65ee3f00a0712a0c9922255b48c2f2266c1b5879b41fe7",
            "32f7248b85fe2bf76fa5a7692da9cf9a3130155431f5688a6bb4b0a8a19138a1",
            "ee965b722403f47a3b0d0148185bfb576eaa055016e1a042d0705503846332f6",
            "09b88ca2d3b5e39357cf4f9f028f72e41f03f2da804f74254e49935d0831bb47",
            "2b8257bbf6b2086b70f87ae8c6bc18eddbada86868281f6a373c1ff2d24592c5",
        ]
    );
}
