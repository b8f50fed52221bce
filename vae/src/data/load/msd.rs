//! The Million Song Dataset's Taste Profile subset (Echo Nest): `train_triplets.txt`, 48M lines of
//! `user<TAB>song<TAB>play_count`, no header.

use super::delimited::{Columns, Spec};

/// `user \t song \t play_count`. The play count is kept as the row's rating so that a preset can say
/// what counts as a click (the paper: every listened song, i.e. a count above 0) and a flag can change it.
pub(super) const TRIPLETS: Spec = Spec {
    sep: "\t",
    columns: Columns::Positional {
        count: 3,
        user: 0,
        item: 1,
        rating: Some(2),
        timestamp: None,
    },
};

#[cfg(test)]
mod tests {
    use crate::data::load::{load, Format, LoadOptions};

    const U1: &str = "b80344d063b5ccb3212f76538f3d9e43d87dca9e";
    const U2: &str = "85c1f87fea955d09b4bec2e36aee110927aab665";

    #[test]
    fn triplets_keep_long_string_ids_and_play_counts() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("train_triplets.txt");
        std::fs::write(
            &p,
            format!("{U1}\tSOAKIMP12A8C130995\t1\n{U1}\tSOAPDEY12A81C210A9\t12\n{U2}\tSOAKIMP12A8C130995\t2\n"),
        )
        .unwrap();
        let r = load(&p, &Format::Auto, &LoadOptions::default()).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r.users.get(r.user[2]), U2);
        assert_eq!(r.items.get(r.item[1]), "SOAPDEY12A81C210A9");
        assert_eq!(r.item[0], r.item[2]);
        assert_eq!(r.rating.unwrap(), vec![1.0, 12.0, 2.0]);
        assert!(r.timestamp.is_none());
    }

    #[test]
    fn malformed_triplets_are_errors_naming_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("train_triplets.txt");
        for (text, needle) in [
            (
                format!("{U1}\tSOA\t1\n{U1}\tSOB\n"),
                "train_triplets.txt:2: expected 3 fields separated by \"\\t\", found 2",
            ),
            (
                format!("{U1}\tSOA\tmany\n"),
                "train_triplets.txt:1: expected a number as rating, found \"many\"",
            ),
            (
                format!("{U1}\t\t3\n"),
                "train_triplets.txt:1: expected a non-empty user and item id",
            ),
        ] {
            std::fs::write(&p, &text).unwrap();
            let err = load(&p, &Format::MsdTriplets, &LoadOptions::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{text:?}: {err}");
        }
        std::fs::write(&p, format!("{U1}\tSOA\t1\nbroken line\n{U2}\tSOA\t3\n")).unwrap();
        let r = load(&p, &Format::Auto, &LoadOptions { skip_invalid: true }).unwrap();
        assert_eq!((r.len(), r.skipped), (2, 1));
    }
}
