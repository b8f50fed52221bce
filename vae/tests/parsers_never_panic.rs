//! Every parser meets arbitrary bytes and answers `Ok` or `Err`, never a panic.

use proptest::prelude::*;
use vae::data::load::detect;
use vae::data::{
    cache, load_reader, pro_sg, split, DelimitedFormat, Format, Heldout, LoadOptions, Ratings,
    SplitConfig,
};

fn formats() -> Vec<(Format, &'static str)> {
    vec![
        (Format::Auto, "ratings.csv"),
        (Format::Auto, "x.unknown"),
        (Format::MovielensCsv, "ratings.csv"),
        (Format::MovielensDat, "ratings.dat"),
        (Format::MovielensUdata, "u.data"),
        (Format::RecboleInter, "a.inter"),
        (Format::AmazonJson, "a.json"),
        (Format::AmazonCsv, "a.csv"),
        (Format::NetflixPrize, "combined_data_1.txt"),
        (Format::MsdTriplets, "train_triplets.txt"),
        (Format::Auto, "mv_0000001.txt"),
        (
            Format::Delimited(DelimitedFormat {
                sep: "::".into(),
                user: "u".into(),
                item: "i".into(),
                rating: Some("r".into()),
            }),
            "a.txt",
        ),
    ]
}

/// Bytes that look like rating files often enough to reach deep into the parsers.
fn ratingish() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"userId,movieId,rating,timestamp\n".to_vec()),
        Just(b"user_id:token\titem_id:token\trating:float\n".to_vec()),
        Just(b"u::i::r\n".to_vec()),
        Just(b"uid,sid\n".to_vec()),
        Just(b"17:\n1488844,3,2005-09-06\n".to_vec()),
        Just(b"{\"reviewerID\":\"a\",\"asin\":\"b\",\"overall\":5}\n".to_vec()),
        prop::collection::vec(
            prop::sample::select(b"0123456789,:\t\n.-e\"{}\xff\r ".to_vec()),
            0..20
        ),
        prop::collection::vec(any::<u8>(), 0..20),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn loaders_never_panic_on_arbitrary_bytes(bytes in ratingish(), skip in any::<bool>()) {
        for (format, name) in formats() {
            let _ = load_reader(bytes.as_slice(), name, &format, &LoadOptions { skip_invalid: skip });
        }
        let _ = detect("ratings.csv", &bytes);
    }

    #[test]
    fn pro_sg_readers_never_panic_on_arbitrary_bytes(bytes in ratingish()) {
        let _ = pro_sg::read_clicks_from(bytes.as_slice(), "train.csv", 1000);
        let _ = pro_sg::read_ids_from(bytes.as_slice(), "unique_sid.txt");
    }

    #[test]
    fn cache_decoder_never_panics_on_arbitrary_bytes(mut bytes in prop::collection::vec(prop_oneof![Just(0u8), Just(1), Just(2), any::<u8>()], 0..400)) {
        let _ = cache::decode(&bytes, b"");
        // With a valid magic, an empty fingerprint and a valid checksum the decoder parses the body.
        let mut framed = b"VAECSR01".to_vec();
        framed.extend_from_slice(&0u64.to_le_bytes());
        framed.append(&mut bytes);
        let sum = <sha2::Sha256 as sha2::Digest>::digest(&framed);
        framed.extend_from_slice(&sum);
        let _ = cache::decode(&framed, b"");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn split_of_any_small_table_is_an_error_or_keeps_its_invariants(
        rows in prop::collection::vec((0u8..30, 0u8..40, 0u8..11), 0..1200),
        heldout in 0usize..8,
    ) {
        let mut r = Ratings::new(true);
        for (u, i, x) in rows {
            r.push("f", 0, &u.to_string(), &format!("i{i}"), Some(f64::from(x) / 2.0)).unwrap();
        }
        let config = SplitConfig { heldout: Heldout::Users(heldout), ..SplitConfig::default() };
        if let Ok(s) = split(&r, &config) {
            let n_items = s.unique_sid.len() as u32;
            let n_train = (s.counts.users - 2 * heldout) as u32;
            prop_assert!(s.train.iter().all(|&(u, i)| u < n_train && i < n_items));
            for part in [&s.validation_tr, &s.validation_te] {
                prop_assert!(part.iter().all(|&(u, i)| (n_train..n_train + heldout as u32).contains(&u) && i < n_items));
            }
            for part in [&s.test_tr, &s.test_te] {
                prop_assert!(part.iter().all(|&(u, i)| u >= n_train + heldout as u32 && i < n_items));
            }
            prop_assert_eq!(s.unique_uid.len(), s.counts.users);
        }
    }
}
