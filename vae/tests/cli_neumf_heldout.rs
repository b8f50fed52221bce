//! `vae train --model neumf --protocol heldout`: NeuMF on Mult-VAE's split, measured as Mult-VAE is,
//! resumable bit for bit, and comparable user by user with a Mult-VAE run (`vae compare`).

mod common;

use common::{fails_saying, ok, synth, vae};
use std::path::Path;

fn neumf(data: &str, out: &Path, epochs: &str) -> Vec<String> {
    let args = [
        "train",
        "--model",
        "neumf",
        "--protocol",
        "heldout",
        "--data",
        data,
        "--epochs",
        epochs,
        "--batch-size",
        "512",
        "--k",
        "ndcg@10,recall@5",
        "--out",
        out.to_str().unwrap(),
    ];
    args.iter().map(|s| s.to_string()).collect()
}

fn run(args: &[String]) -> String {
    ok(&vae(&args.iter().map(String::as_str).collect::<Vec<_>>()))
}

#[test]
fn neumf_on_held_out_users_resumes_bit_for_bit_and_compares_with_a_dae_run() {
    let dir = tempfile::tempdir().unwrap();
    let data = synth(dir.path());
    let (straight, resumed) = (dir.path().join("straight"), dir.path().join("resumed"));
    let stdout = run(&neumf(&data, &straight, "3"));
    assert!(stdout.contains("best.test.ndcg@10"), "{stdout}");
    run(&neumf(&data, &resumed, "2"));
    ok(&vae(&[
        "train",
        "--data",
        &data,
        "--epochs",
        "3",
        "--resume",
        resumed.to_str().unwrap(),
    ]));
    for f in [
        "metrics.jsonl",
        "last.safetensors",
        "best.safetensors",
        "results.json",
        "test_users.csv",
    ] {
        let read = |run: &Path| std::fs::read(run.join(f)).unwrap();
        assert!(read(&straight) == read(&resumed), "{f} differs");
    }
    // Validation metrics under their names, test metrics beside them, every epoch.
    let log = std::fs::read_to_string(straight.join("metrics.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 3);
    assert!(log
        .lines()
        .all(|l| l.contains("\"ndcg@10\"") && l.contains("\"test.recall@5\"")));
    // The test users are the split's, by uid: a Mult-DAE run on the same split pairs with them.
    let dae = dir.path().join("dae");
    ok(&vae(&[
        "train",
        "--model",
        "dae",
        "--data",
        &data,
        "--epochs",
        "1",
        "--k",
        "ndcg@10,recall@5",
        "--out",
        dae.to_str().unwrap(),
    ]));
    let header = |run: &Path| {
        let text = std::fs::read_to_string(run.join("test_users.csv")).unwrap();
        let uids: Vec<String> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect();
        (text.lines().next().unwrap().to_string(), uids)
    };
    assert_eq!(header(&straight), header(&dae));
    let compared = ok(&vae(&[
        "compare",
        dae.to_str().unwrap(),
        straight.to_str().unwrap(),
    ]));
    assert!(compared.contains("20 users"), "{compared}");
}

#[test]
fn held_out_protocol_flags_are_checked_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let data = synth(dir.path());
    let out = dir.path().join("run");
    let o = out.to_str().unwrap();
    fails_saying(
        &vae(&[
            "train", "--model", "gmf", "--data", &data, "--k", "ndcg@10", "--out", o,
        ]),
        &["--k lists the metrics of --protocol heldout"],
    );
    fails_saying(
        &vae(&[
            "train",
            "--model",
            "mlp",
            "--protocol",
            "heldout",
            "--data",
            &data,
            "--k",
            "recall@5",
            "--out",
            o,
        ]),
        &["--k recall@5", "ndcg@K"],
    );
    fails_saying(
        &vae(&[
            "train",
            "--model",
            "neumf",
            "--protocol",
            "heldout",
            "--eval",
            "full",
            "--data",
            &data,
            "--out",
            o,
        ]),
        &["--eval ranks the held-out item of --protocol implicit, not of --protocol heldout"],
    );
    let ratings = dir.path().join("ratings.csv");
    std::fs::write(&ratings, "user,item,rating\n1,2,5\n").unwrap();
    fails_saying(
        &vae(&[
            "train",
            "--model",
            "neumf",
            "--protocol",
            "heldout",
            "--data",
            ratings.to_str().unwrap(),
            "--out",
            o,
        ]),
        &["ratings.csv: --protocol heldout reads a split folder"],
    );
}
