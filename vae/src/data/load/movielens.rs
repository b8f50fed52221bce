//! MovieLens rating files (GroupLens): `ratings.csv` (ml-20m, ml-25m, ml-latest), `ratings.dat`
//! (ml-1m, ml-10m) and ml-100k's `u.data`.

use super::delimited::{Columns, Spec};

/// `userId,movieId,rating,timestamp` with that header.
pub(super) const CSV: Spec = Spec {
    sep: ",",
    columns: Columns::Named {
        user: "userId",
        item: "movieId",
        rating: Some("rating"),
        timestamp: Some("timestamp"),
        strip_types: false,
    },
};

/// `UserID::MovieID::Rating::Timestamp`, no header.
pub(super) const DAT: Spec = Spec {
    sep: "::",
    columns: Columns::Positional {
        count: 4,
        user: 0,
        item: 1,
        rating: Some(2),
        timestamp: Some(3),
    },
};

/// `user id \t item id \t rating \t timestamp`, no header.
pub(super) const UDATA: Spec = Spec {
    sep: "\t",
    columns: Columns::Positional {
        count: 4,
        user: 0,
        item: 1,
        rating: Some(2),
        timestamp: Some(3),
    },
};

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::data::load::{load, Format, LoadOptions};
    use crate::data::ratings::Ratings;

    fn fixture(dir: &Path, name: &str, text: &[u8]) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn rows(r: &Ratings) -> Vec<(String, String, f64)> {
        let ratings = r.rating.as_ref().unwrap();
        (0..r.len())
            .map(|k| {
                let u = r.users.get(r.user[k]).to_string();
                (u, r.items.get(r.item[k]).to_string(), ratings[k])
            })
            .collect()
    }

    #[test]
    fn ratings_csv_loads_rows_in_file_order() {
        let dir = tempfile::tempdir().unwrap();
        let p = fixture(
            dir.path(),
            "ratings.csv",
            b"userId,movieId,rating,timestamp\r\n1,2,3.5,1112486027\r\n1,29,4.0,1\r\n7,2,5.0,2\r\n",
        );
        let r = load(&p, &Format::Auto, &LoadOptions::default()).unwrap();
        assert_eq!(
            rows(&r),
            [("1", "2", 3.5), ("1", "29", 4.0), ("7", "2", 5.0)].map(|(u, i, x)| (
                u.to_string(),
                i.to_string(),
                x
            ))
        );
        assert_eq!((r.users.len(), r.items.len()), (2, 2));
    }

    #[test]
    fn ratings_dat_splits_on_double_colon() {
        let dir = tempfile::tempdir().unwrap();
        let p = fixture(
            dir.path(),
            "ratings.dat",
            b"1::1193::5::978300760\n2::661::3::978302109\n",
        );
        let r = load(&p, &Format::Auto, &LoadOptions::default()).unwrap();
        assert_eq!(rows(&r)[1], ("2".into(), "661".into(), 3.0));
    }

    #[test]
    fn u_data_splits_on_tabs() {
        let dir = tempfile::tempdir().unwrap();
        let p = fixture(
            dir.path(),
            "u.data",
            b"196\t242\t3\t881250949\n186\t302\t3\t891717742\n",
        );
        let r = load(&p, &Format::Auto, &LoadOptions::default()).unwrap();
        assert_eq!(rows(&r)[0], ("196".into(), "242".into(), 3.0));
        assert_eq!(r.len(), 2);
    }

    #[test]
    fn movielens_files_keep_the_timestamp_of_each_row() {
        let dir = tempfile::tempdir().unwrap();
        let p = fixture(
            dir.path(),
            "u.data",
            b"196\t242\t3\t881250949\n186\t302\t3\t891717742\n",
        );
        let r = load(&p, &Format::Auto, &LoadOptions::default()).unwrap();
        assert_eq!(r.timestamp, Some(vec![881250949.0, 891717742.0]));
        let p = fixture(
            dir.path(),
            "ratings.csv",
            b"userId,movieId,rating,timestamp\n1,2,3.5,1112486027\n",
        );
        let r = load(&p, &Format::Auto, &LoadOptions::default()).unwrap();
        assert_eq!(r.timestamp, Some(vec![1112486027.0]));
        let p = fixture(dir.path(), "ratings.dat", b"1::2::3::later\n");
        let err = load(&p, &Format::Auto, &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("ratings.dat:1: expected a number as timestamp"),
            "{err}"
        );
    }

    #[test]
    fn malformed_line_error_names_file_line_and_expectation() {
        let dir = tempfile::tempdir().unwrap();
        let p = fixture(
            dir.path(),
            "ratings.csv",
            b"userId,movieId,rating,timestamp\n1,2,3.5,0\n1,2\n",
        );
        let err = load(&p, &Format::Auto, &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("ratings.csv:3: expected 4 fields separated by \",\", found 2"),
            "{err}"
        );
    }

    #[test]
    fn non_numeric_rating_and_non_utf8_are_errors_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = fixture(dir.path(), "u.data", b"1\t2\tfive\t0\n");
        let err = load(&p, &Format::Auto, &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("u.data:1: expected a number as rating"),
            "{err}"
        );
        let p = fixture(dir.path(), "ratings.dat", b"1::2::3::0\n\xff::2::3::0\n");
        let err = load(&p, &Format::Auto, &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("ratings.dat:2: expected UTF-8"), "{err}");
    }

    #[test]
    fn skip_invalid_skips_and_counts_malformed_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = fixture(
            dir.path(),
            "u.data",
            b"1\t2\t4\t0\nbad\n1\t3\tx\t0\n\xfe\n2\t2\t5\t0\n",
        );
        let r = load(&p, &Format::Auto, &LoadOptions { skip_invalid: true }).unwrap();
        assert_eq!((r.len(), r.skipped), (2, 3));
    }

    #[test]
    fn missing_header_column_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = fixture(dir.path(), "x.csv", b"userId,itemId,rating\n1,2,3\n");
        let err = load(&p, &Format::MovielensCsv, &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("no column \"movieId\""), "{err}");
    }
}
