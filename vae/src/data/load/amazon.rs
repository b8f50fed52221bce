//! Amazon review data (McAuley et al.): the 5-core JSON-lines files (`reviewerID`, `asin`, `overall`,
//! `unixReviewTime`) and the ratings-only CSV (`user,item,rating,timestamp`, no header).

use std::borrow::Cow;
use std::io::BufRead;

use serde::Deserialize;

use super::delimited::{Columns, Spec};
use super::LoadOptions;
use crate::data::error::{DataError, Result};
use crate::data::lines::{utf8, Lines};
use crate::data::ratings::Ratings;

/// `user,item,rating,timestamp`, no header.
pub(super) const CSV: Spec = Spec {
    sep: ",",
    columns: Columns::Positional {
        count: 4,
        user: 0,
        item: 1,
        rating: Some(2),
        timestamp: Some(3),
    },
};

#[derive(Deserialize)]
struct Review<'a> {
    #[serde(rename = "reviewerID", borrow)]
    reviewer: Cow<'a, str>,
    #[serde(borrow)]
    asin: Cow<'a, str>,
    overall: f64,
}

/// Reads one review object per line; other fields are ignored.
pub(super) fn read_json_lines<R: BufRead>(
    reader: R,
    file: &str,
    opts: &LoadOptions,
) -> Result<Ratings> {
    let mut lines = Lines::new(reader, file);
    let mut out = Ratings::new(true);
    while let Some((no, bytes)) = lines.next_line()? {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let review = utf8(file, no, bytes).and_then(|line| {
            serde_json::from_str::<Review>(line).map_err(|e| {
                DataError::parse(
                    file,
                    no,
                    format!("expected a JSON object with reviewerID, asin and overall: {e}"),
                )
            })
        });
        match review {
            Ok(r) => out.push(file, no, &r.reviewer, &r.asin, Some(r.overall))?,
            Err(_) if opts.skip_invalid => out.skipped += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::data::load::{load, Format, LoadOptions};

    #[test]
    fn five_core_json_lines_keep_string_ids() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("Books_5.json");
        std::fs::write(
            &p,
            concat!(
                r#"{"reviewerID": "A2SUAM1J3GNN3B", "asin": "0000013714", "overall": 5.0, "unixReviewTime": 1382659200}"#,
                "\n",
                r#"{"overall": 2.0, "asin": "B\u00e9", "reviewerID": "A1", "reviewText": "meh"}"#,
                "\n"
            ),
        )
        .unwrap();
        let r = load(&p, &Format::Auto, &LoadOptions::default()).unwrap();
        assert_eq!(r.users.get(r.user[0]), "A2SUAM1J3GNN3B");
        assert_eq!(r.items.get(r.item[0]), "0000013714");
        assert_eq!(r.items.get(r.item[1]), "Bé");
        assert_eq!(r.rating.unwrap(), vec![5.0, 2.0]);
    }

    #[test]
    fn json_line_without_a_field_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.jsonl");
        std::fs::write(
            &p,
            "{\"reviewerID\":\"A\",\"asin\":\"B\",\"overall\":1}\n{\"asin\":\"B\"}\n",
        )
        .unwrap();
        let err = load(&p, &Format::Auto, &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("x.jsonl:2: expected a JSON object"), "{err}");
        let r = load(&p, &Format::Auto, &LoadOptions { skip_invalid: true }).unwrap();
        assert_eq!((r.len(), r.skipped), (1, 1));
    }

    #[test]
    fn ratings_only_csv_has_no_header() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("Books.csv");
        std::fs::write(&p, "A1,0001,5.0,1234\nA2,0001,3.0,1235\n").unwrap();
        let r = load(&p, &Format::Auto, &LoadOptions::default()).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r.users.get(r.user[1]), "A2");
        assert_eq!(r.items.get(r.item[1]), "0001");
    }
}
