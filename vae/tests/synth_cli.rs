//! `vae data synth` on a tiny configuration writes a `pro_sg` folder that loads with the asked shape.

use std::process::Command;

use vae::data::Dataset;

#[test]
fn tiny_synth_folder_loads_with_the_requested_shape() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("synth");
    let status = Command::new(env!("CARGO_BIN_EXE_vae"))
        .args(["data", "synth", "--out", out.to_str().unwrap()])
        .args(["--users", "120", "--heldout-users", "10", "--items", "50"])
        .args(["--mean-clicks", "9", "--seed", "3"])
        .status()
        .unwrap();
    assert!(status.success());
    let d = Dataset::load(&out).unwrap();
    assert_eq!((d.train.rows(), d.n_items), (100, 50));
    assert_eq!(
        (d.validation.first_uid, d.validation.fold_in.rows()),
        (100, 10)
    );
    assert_eq!((d.test.first_uid, d.test.heldout.rows()), (110, 10));
    let row_clicks = |r: usize| d.train.indptr()[r + 1] - d.train.indptr()[r];
    assert!((0..100).all(|r| row_clicks(r) >= 5));
}

#[test]
fn synth_shape_msd_floors_users_at_twenty_songs_and_records_the_shape() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("synth");
    let status = Command::new(env!("CARGO_BIN_EXE_vae"))
        .args([
            "data",
            "synth",
            "--shape",
            "msd",
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--users", "200", "--heldout-users", "20", "--items", "300"])
        .status()
        .unwrap();
    assert!(status.success());
    let st = vae::data::pro_sg::read_stats(&out).unwrap().unwrap();
    assert_eq!(st.preset, Some(vae::data::Preset::Msd));
    let c = st.synth.unwrap();
    // The flags given override the shape; the rest is MSD's (58.8 clicks a user, at least 20).
    assert_eq!((c.users, c.items, c.heldout_users), (200, 300, 20));
    assert_eq!((c.mean_clicks, c.min_clicks), (58.8, 20));
    let d = Dataset::load(&out).unwrap();
    let row_clicks = |r: usize| d.train.indptr()[r + 1] - d.train.indptr()[r];
    assert!((0..160).all(|r| row_clicks(r) >= 20));
}
