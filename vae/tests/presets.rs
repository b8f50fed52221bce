//! `vae data prepare --preset ml-20m|netflix|msd` on small files in each data set's own format, written
//! here: the paper's thresholds applied exactly (against a reference computed in this file from the
//! raw lines), the notebook split's invariants, and fixed output hashes. The hashes were produced by
//! this code on these inputs; they guard the output against unnoticed change, while the other checks
//! say it is right.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};
use vae::data::pro_sg::{read_clicks, read_ids, read_stats};
use vae::data::Dataset;

/// A raw row: user, item, rating (the play count for MSD).
type Row = (String, String, f64);

struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// An ML-20M `ratings.csv`: 150 users of random activity with half-star ratings, and three users
/// placed on the thresholds: exactly 5 ratings ≥ 4 (kept), 4 of them beside three 3.5s (dropped:
/// 3.5 is not a click), and 4 distinct movies with one rated twice (kept: pandas counts rows).
fn ml20m_fixture(path: &Path) -> Vec<Row> {
    let mut rng = Lcg(20);
    let mut rows = Vec::new();
    for u in 1..=150u64 {
        for _ in 0..3 + rng.next(25) {
            let item = 1 + rng.next(300) * rng.next(3) / 2;
            let rating = (1 + rng.next(10)) as f64 / 2.0;
            rows.push((u.to_string(), item.to_string(), rating));
        }
    }
    let placed: [(&str, &[(&str, f64)]); 3] = [
        (
            "1001",
            &[
                ("1", 4.0),
                ("2", 4.5),
                ("3", 5.0),
                ("4", 4.0),
                ("5", 4.0),
                ("6", 3.5),
            ],
        ),
        (
            "1002",
            &[
                ("1", 4.0),
                ("2", 4.5),
                ("3", 5.0),
                ("4", 4.0),
                ("5", 3.5),
                ("6", 3.5),
                ("7", 3.5),
            ],
        ),
        (
            "1003",
            &[("1", 4.0), ("2", 4.5), ("3", 5.0), ("4", 4.0), ("4", 5.0)],
        ),
    ];
    for (u, ratings) in placed {
        for &(i, r) in ratings {
            rows.push((u.to_string(), i.to_string(), r));
        }
    }
    let mut text = String::from("userId,movieId,rating,timestamp\n");
    for (k, (u, i, r)) in rows.iter().enumerate() {
        text += &format!("{u},{i},{r:.1},{}\n", 1_100_000_000 + k);
    }
    std::fs::write(path, text).unwrap();
    rows
}

/// A Netflix Prize `training_set/` folder: 40 movie files, 140 customers, whole-star ratings, one
/// malformed line (read under `--skip-invalid`) and the Kaggle folder's `probe.txt`, which must be
/// left out.
fn netflix_fixture(dir: &Path) -> Vec<Row> {
    std::fs::create_dir_all(dir).unwrap();
    let mut rng = Lcg(17770);
    let mut rows = Vec::new();
    for m in 1..=40u64 {
        let mut text = format!("{m}:\n");
        let mut seen = BTreeSet::new();
        for _ in 0..60 + rng.next(60) {
            let user = 100_000 + 7 * rng.next(140);
            if !seen.insert(user) {
                continue;
            }
            let rating = 1 + rng.next(5);
            text += &format!("{user},{rating},2005-{:02}-{:02}\n", 1 + m % 12, 1 + m);
            rows.push((user.to_string(), m.to_string(), rating as f64));
        }
        if m == 13 {
            text += "100007;5;2005-01-01\n";
        }
        std::fs::write(dir.join(format!("mv_{m:07}.txt")), text).unwrap();
    }
    std::fs::write(dir.join("probe.txt"), "1:\n100000\n").unwrap();
    rows
}

/// A Taste Profile `train_triplets.txt`: 260 users with 40-hex ids, 40 popular songs each heard by
/// a user with probability 0.70 to 0.95 (so that some fall below 200 listeners and some do not), 60
/// rare ones, lighter listeners every seventh user (so that some users end below 20 songs), and one
/// malformed line.
fn msd_fixture(path: &Path) -> Vec<Row> {
    let mut rng = Lcg(48);
    let mut rows = Vec::new();
    let mut text = String::new();
    for u in 0..260u64 {
        let user = format!("{:040x}", (u + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let activity = if u % 7 == 0 { 0.75 } else { 1.0 };
        for s in 0..100u64 {
            let p = if s < 40 {
                activity * (0.70 + 0.25 * s as f64 / 39.0)
            } else {
                0.02
            };
            if (rng.next(1_000_000) as f64) < p * 1e6 {
                let song = format!("SO{:016X}", s.wrapping_mul(0x2545_f491_4f6c_dd1d));
                let plays = 1 + rng.next(12);
                text += &format!("{user}\t{song}\t{plays}\n");
                rows.push((user.clone(), song, plays as f64));
            }
        }
        if u == 100 {
            text += &format!("{user}\tSOBROKEN\n");
        }
    }
    std::fs::write(path, text).unwrap();
    rows
}

/// The protocol's filters computed directly: clicks are rows rated above `threshold`; items with
/// fewer than `min_sc` clicks go first, then users with fewer than `min_uc` of what is left.
fn reference(
    rows: &[Row],
    threshold: f64,
    min_sc: usize,
    min_uc: usize,
) -> (BTreeSet<String>, usize, usize) {
    let clicks: Vec<&Row> = rows.iter().filter(|r| r.2 > threshold).collect();
    let mut per_item = BTreeMap::<&str, usize>::new();
    clicks
        .iter()
        .for_each(|r| *per_item.entry(&r.1).or_default() += 1);
    let clicks: Vec<&Row> = clicks
        .into_iter()
        .filter(|r| per_item[r.1.as_str()] >= min_sc)
        .collect();
    let mut per_user = BTreeMap::<&str, usize>::new();
    clicks
        .iter()
        .for_each(|r| *per_user.entry(&r.0).or_default() += 1);
    let kept: Vec<&Row> = clicks
        .into_iter()
        .filter(|r| per_user[r.0.as_str()] >= min_uc)
        .collect();
    let users: BTreeSet<String> = kept.iter().map(|r| r.0.clone()).collect();
    let items: BTreeSet<&str> = kept.iter().map(|r| r.1.as_str()).collect();
    (users, items.len(), kept.len())
}

fn prepare(preset: &str, input: &Path, out: &Path, extra: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_vae"))
        .args(["data", "prepare", "--preset", preset, "--input"])
        .arg(input)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

const HASHED: [&str; 7] = [
    "unique_sid.txt",
    "unique_uid.txt",
    "train.csv",
    "validation_tr.csv",
    "validation_te.csv",
    "test_tr.csv",
    "test_te.csv",
];

fn hashes(dir: &Path) -> Vec<String> {
    HASHED
        .iter()
        .map(|f| format!("{:x}", Sha256::digest(std::fs::read(dir.join(f)).unwrap())))
        .collect()
}

/// The notebook split's invariants on a written folder with `heldout` users in each held-out part.
fn check_split(dir: &Path, heldout: usize) {
    let st = read_stats(dir).unwrap().unwrap();
    let d = Dataset::load(dir).unwrap();
    let n_train = st.users - 2 * heldout;
    assert_eq!(st.heldout_users, heldout);
    assert_eq!(d.train.rows(), n_train);
    assert_eq!(
        (d.validation.first_uid as usize, d.validation.fold_in.rows()),
        (n_train, heldout)
    );
    assert_eq!(
        (d.test.first_uid as usize, d.test.fold_in.rows()),
        (n_train + heldout, heldout)
    );
    let n_items = read_ids(&dir.join("unique_sid.txt")).unwrap().len() as u32;
    let train = read_clicks(&dir.join("train.csv"), n_items as usize).unwrap();
    // unique_sid is exactly the items of training clicks.
    let train_items: BTreeSet<u32> = train.iter().map(|c| c.1).collect();
    assert_eq!(train_items.len() as u32, n_items);
    assert!(train.iter().all(|&(u, _)| (u as usize) < n_train));
    let mut total = train.len();
    for (tr, te, lo) in [
        ("validation_tr.csv", "validation_te.csv", n_train),
        ("test_tr.csv", "test_te.csv", n_train + heldout),
    ] {
        let (tr, te) = (
            read_clicks(&dir.join(tr), n_items as usize).unwrap(),
            read_clicks(&dir.join(te), n_items as usize).unwrap(),
        );
        total += tr.len() + te.len();
        let mut per_user = BTreeMap::<u32, (usize, usize)>::new();
        for &(u, s) in &tr {
            assert!((lo..lo + heldout).contains(&(u as usize)) && s < n_items);
            per_user.entry(u).or_default().0 += 1;
        }
        for &(u, s) in &te {
            assert!((lo..lo + heldout).contains(&(u as usize)) && s < n_items);
            per_user.entry(u).or_default().1 += 1;
        }
        // split_train_test_proportion: int(0.2 · n) of each user with ≥ 5 clicks held out.
        for (u, (a, b)) in per_user {
            let n = a + b;
            let expected = if n >= 5 { (0.2 * n as f64) as usize } else { 0 };
            assert_eq!(b, expected, "uid {u}: {a} fold-in, {b} held out");
        }
    }
    // Held-out users lose only their clicks on items no training user clicked.
    assert!(total <= st.clicks);
}

#[test]
fn ml20m_preset_keeps_ratings_of_four_and_up_and_users_with_five_clicks() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ratings.csv");
    let rows = ml20m_fixture(&input);
    let out = dir.path().join("pro_sg");
    prepare("ml-20m", &input, &out, &["--heldout-users", "10"]);
    let (users, items, clicks) = reference(&rows, 3.5, 0, 5);
    let st = read_stats(&out).unwrap().unwrap();
    assert_eq!(
        (st.users, st.items, st.clicks),
        (users.len(), items, clicks)
    );
    let got: BTreeSet<String> = read_ids(&out.join("unique_uid.txt"))
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(got, users);
    assert!(got.contains("1001") && got.contains("1003") && !got.contains("1002"));
    let config = st.config.unwrap();
    assert_eq!((config.threshold, config.min_user_clicks), (3.5, 5));
    check_split(&out, 10);
}

#[test]
fn netflix_preset_reads_a_training_set_folder_with_the_ml20m_thresholds() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("training_set");
    let rows = netflix_fixture(&input);
    let out = dir.path().join("pro_sg");
    prepare(
        "netflix",
        &input,
        &out,
        &["--heldout-users", "10", "--skip-invalid"],
    );
    let (users, items, clicks) = reference(&rows, 3.5, 0, 5);
    let st = read_stats(&out).unwrap().unwrap();
    assert_eq!(st.input_rows, rows.len());
    assert_eq!(st.skipped_lines, 1);
    assert_eq!(
        (st.users, st.items, st.clicks),
        (users.len(), items, clicks)
    );
    let got: BTreeSet<String> = read_ids(&out.join("unique_uid.txt"))
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(got, users);
    check_split(&out, 10);
}

#[test]
fn msd_preset_keeps_songs_with_200_listeners_then_users_with_20_songs() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("train_triplets.txt");
    let rows = msd_fixture(&input);
    let out = dir.path().join("pro_sg");
    prepare(
        "msd",
        &input,
        &out,
        &["--heldout-users", "20", "--skip-invalid"],
    );
    let (users, items, clicks) = reference(&rows, 0.0, 200, 20);
    // The fixture reaches both sides of both thresholds.
    let (all_users, all_items, _) = reference(&rows, 0.0, 0, 0);
    assert!(items < all_items && users.len() < all_users.len() && users.len() > 100);
    let st = read_stats(&out).unwrap().unwrap();
    assert_eq!(st.skipped_lines, 1);
    assert_eq!(
        (st.users, st.items, st.clicks),
        (users.len(), items, clicks)
    );
    let got: BTreeSet<String> = read_ids(&out.join("unique_uid.txt"))
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(got, users);
    let config = st.config.unwrap();
    assert_eq!(
        (
            config.min_item_clicks,
            config.min_user_clicks,
            config.threshold
        ),
        (200, 20, 0.0)
    );
    check_split(&out, 20);
}

#[test]
fn every_preset_number_is_overridden_by_its_flag() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("train_triplets.txt");
    let rows = msd_fixture(&input);
    let out = dir.path().join("pro_sg");
    let flags = [
        "--skip-invalid",
        "--heldout-users",
        "15",
        "--threshold",
        "2",
        "--min-item-clicks",
        "150",
        "--min-user-clicks",
        "12",
        "--seed",
        "7",
    ];
    prepare("msd", &input, &out, &flags);
    let st = read_stats(&out).unwrap().unwrap();
    let (users, items, clicks) = reference(&rows, 2.0, 150, 12);
    assert_eq!(
        (st.users, st.items, st.clicks),
        (users.len(), items, clicks)
    );
    let c = st.config.unwrap();
    assert_eq!(
        (c.threshold, c.min_item_clicks, c.min_user_clicks, c.seed),
        (2.0, 150, 12, 7)
    );
    check_split(&out, 15);
}

#[test]
fn each_preset_writes_the_same_files_on_its_fixed_input() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    ml20m_fixture(&p.join("ratings.csv"));
    netflix_fixture(&p.join("training_set"));
    msd_fixture(&p.join("train_triplets.txt"));
    let runs = [
        ("ml-20m", "ratings.csv", "10"),
        ("netflix", "training_set", "10"),
        ("msd", "train_triplets.txt", "20"),
    ];
    let got: Vec<Vec<String>> = runs
        .iter()
        .map(|&(preset, input, heldout)| {
            let out = p.join(preset);
            prepare(
                preset,
                &p.join(input),
                &out,
                &["--heldout-users", heldout, "--skip-invalid"],
            );
            hashes(&out)
        })
        .collect();
    assert_eq!(got, [EXPECTED_ML20M, EXPECTED_NETFLIX, EXPECTED_MSD]);
}

const EXPECTED_ML20M: [&str; 7] = [
    "48d6adbfc81ce7a0c0e04e14787599dda41e87c937f81dc5599fba85850acc9b",
    "51667ca8dffa82d73b86e01c1e0740eaab6b612480a140fa3fbf7254200c0b4a",
    "7668269993680d3da3a0ee84b0d753a62a6d773270c4234de02cdf6380beb53f",
    "ecf091dc11de665c29561e3492701443e525102d3da26e85f779785986edf780",
    "6b8959073322a43f4e5f3bb783852c1e23291b44f18458a80740ba8d50d45dbb",
    "fee9eca297ce54303ddaa83b633ecd665a5e6ab0efcab2e4a8649dbc56f1d927",
    "012c3b5eddb5bb63ae8df4ad28e2849e1a4519caeec66f9dbd78cf2d56b9a59c",
];
const EXPECTED_NETFLIX: [&str; 7] = [
    "93f6e5def74d7e939b6daa541a8a7ce2ec2a628107ea47bad4c740b1739a17ab",
    "25770d478e5653ef8cbf8a99b22b1e7c0bcc5cb24a354807e2ffa1ef6a33df76",
    "03d06eb59b677255e7e7909e13c2b07241415d70d741b7834c727e6e5bd7eda7",
    "c60ab5903fd1087dabfa6246f4e1db622a99b0f9569a413c1247e804db4c0507",
    "abbd1b4f9aaaf95c41e85fbdf99cb41f0aa6e72173909fe6d7fcb09869ea8112",
    "f024be8cc2994dc3b3a0ee80c34c22b787d51723a179b3dc79927e35fdb79b04",
    "2c56d16a636ce83fa0536443558b408714893a59a3d373c6a0a0d46265628552",
];
const EXPECTED_MSD: [&str; 7] = [
    "036fecb2bed35c6b39044df68d9f2d3ceaef2cdb8010aac7637b0d4847b4af5e",
    "8d385f554feb2b6246d5b712f895b9503033d5246d03389fa1defd25c378cf2b",
    "2cad8c672b99b1085e088de8c9e4b38d8cbe3fc065bae9a8dcb86c76602d2a0f",
    "4acc100fd2538e775cca5d9d54cf662f8045188bd100987b575d222ffde48798",
    "deccd6196e029549402bdebab32df6abc834239665b56da8b3f0e0246a8ea450",
    "fd4c91cc230c9c8659966b77520a8ac8376bcf7173a9b1b2ed945dd956cad6bd",
    "b5768902595d845d82852f688d1c9d7b8d32b33d7a6d1240c54de8751b4ee1fb",
];

#[test]
fn stats_prints_table1_of_the_preset_beside_the_folders_figures() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("train_triplets.txt");
    msd_fixture(&input);
    let out = dir.path().join("pro_sg");
    prepare(
        "msd",
        &input,
        &out,
        &["--heldout-users", "20", "--skip-invalid"],
    );
    let st = read_stats(&out).unwrap().unwrap();
    let stats = |extra: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_vae"))
            .args(["data", "stats"])
            .arg(&out)
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success());
        String::from_utf8(o.stdout).unwrap()
    };
    let text = stats(&[]);
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.contains("paper, Table 1"))
        .collect();
    let row = |name: &str| {
        table
            .iter()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} row in:\n{text}"))
            .split_whitespace()
            .skip(name.split_whitespace().count())
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert!(text.contains("paper, Table 1 (msd)"), "{text}");
    assert_eq!(row("users"), [st.users.to_string(), "571,355".into()]);
    assert_eq!(row("items"), [st.items.to_string(), "41,140".into()]);
    assert_eq!(row("clicks")[1], "33.6M");
    assert_eq!(row("density")[1], "0.143%");
    assert_eq!(row("held-out users"), ["20", "50,000"]);
    let other = stats(&["--preset", "netflix"]);
    assert!(other.contains("paper, Table 1 (netflix)") && other.contains("463,435"));
}

#[test]
fn duplicate_ratings_count_twice_toward_the_user_threshold_as_pandas_counts_rows() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ratings.csv");
    let mut text = String::from("userId,movieId,rating,timestamp\n");
    for u in 1..=12 {
        for i in 1..=6 {
            text += &format!("{u},{i},5.0,0\n");
        }
    }
    // Four distinct movies, one rated twice: five rows, as `groupby('userId').size()` counts them.
    for i in [1, 2, 3, 4, 4] {
        text += &format!("99,{i},4.0,0\n");
    }
    std::fs::write(&input, text).unwrap();
    let out = dir.path().join("pro_sg");
    prepare("ml-20m", &input, &out, &["--heldout-users", "2"]);
    let uids = read_ids(&out.join("unique_uid.txt")).unwrap();
    assert_eq!(uids.len(), 13);
    assert!(uids.iter().any(|u| u == "99"));
}
