//! The Netflix Prize data: `training_set/mv_*.txt` (one file per movie) or the same ratings in the
//! four `combined_data_*.txt` files. A line `MovieID:` heads that movie's ratings, one
//! `CustomerID,Rating,Date` per line (`README` of the prize data).

use std::io::BufRead;
use std::path::{Path, PathBuf};

use super::LoadOptions;
use crate::data::error::{DataError, Result};
use crate::data::lines::{finite, utf8, Lines};
use crate::data::ratings::Ratings;

/// Reads one Netflix Prize rating file. The date is checked (`YYYY-MM-DD`) but not kept: the paper's
/// protocol (§4.1) ignores time, and 100M timestamps would add 0.8 GB to the table.
pub(super) fn read<R: BufRead>(reader: R, file: &str, opts: &LoadOptions) -> Result<Ratings> {
    let mut lines = Lines::new(reader, file);
    let mut out = Ratings::new(true);
    // The movie whose header was read last; `None` before the first and after a malformed one, so
    // that no rating is ever attributed to the wrong movie.
    let mut movie: Option<String> = None;
    while let Some((no, bytes)) = lines.next_line()? {
        if bytes.is_empty() {
            continue;
        }
        let row = match parse_line(file, no, bytes) {
            Ok(Line::Header(id)) => {
                movie = Some(id.to_string());
                continue;
            }
            Ok(Line::Rating(user, rating)) => match &movie {
                Some(m) => Ok((user, m, rating)),
                None => Err(DataError::parse(
                    file,
                    no,
                    "expected a \"MovieID:\" header line before this rating",
                )),
            },
            Err(e) => {
                if bytes.ends_with(b":") {
                    movie = None;
                }
                Err(e)
            }
        };
        match row {
            Ok((user, m, rating)) => out.push(file, no, user, m, Some(rating))?,
            Err(_) if opts.skip_invalid => out.skipped += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

enum Line<'a> {
    /// `MovieID:`
    Header(&'a str),
    /// `CustomerID,Rating,Date`
    Rating(&'a str, f64),
}

fn parse_line<'a>(file: &str, no: usize, bytes: &'a [u8]) -> Result<Line<'a>> {
    let line = utf8(file, no, bytes)?;
    match line.strip_suffix(':') {
        Some(id) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(Line::Header(id))
        }
        Some(_) => Err(DataError::parse(
            file,
            no,
            format!("expected a movie header \"MovieID:\", found {line:?}"),
        )),
        None => rating_row(file, no, line).map(|(user, rating)| Line::Rating(user, rating)),
    }
}

/// `CustomerID,Rating,Date`: the customer and the rating.
fn rating_row<'a>(file: &str, no: usize, line: &'a str) -> Result<(&'a str, f64)> {
    let fields: Vec<&str> = line.split(',').collect();
    let [user, rating, date] = fields[..] else {
        return Err(DataError::parse(
            file,
            no,
            format!(
                "expected 3 fields \"CustomerID,Rating,Date\", found {}",
                fields.len()
            ),
        ));
    };
    if user.is_empty() || !user.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DataError::parse(
            file,
            no,
            format!("expected an integer CustomerID, found {user:?}"),
        ));
    }
    let rating = finite(file, no, rating, "rating")?;
    let d = date.as_bytes();
    let is_date = d.len() == 10
        && d.iter().enumerate().all(|(k, &b)| {
            if k == 4 || k == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !is_date {
        return Err(DataError::parse(
            file,
            no,
            format!("expected a date YYYY-MM-DD, found {date:?}"),
        ));
    }
    Ok((user, rating))
}

/// Whether `name` is one of the prize's rating files (`mv_0000001.txt`, `combined_data_1.txt`).
pub(super) fn is_rating_file(name: &str) -> bool {
    name.ends_with(".txt") && (name.starts_with("mv_") || name.starts_with("combined_data_"))
}

/// The rating files in `dir`, sorted by name (movie order for `mv_*`, which are zero-padded). The
/// Kaggle folder's `probe.txt` and `qualifying.txt` have the same headers but no ratings and are
/// left out.
pub(super) fn rating_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| DataError::io(dir, e))? {
        let entry = entry.map_err(|e| DataError::io(dir, e))?;
        let path = entry.path();
        let name = entry.file_name();
        if path.is_file() && name.to_str().is_some_and(is_rating_file) {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(DataError::Format {
            file: dir.display().to_string(),
            message: "a folder given as input must hold Netflix Prize rating files \
                      (mv_*.txt or combined_data_*.txt)"
                .into(),
        });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use crate::data::load::{load, load_files, Format, LoadOptions};
    use crate::data::ratings::Ratings;

    fn rows(r: &Ratings) -> Vec<(String, String, f64)> {
        let ratings = r.rating.as_ref().unwrap();
        (0..r.len())
            .map(|k| {
                let u = r.users.get(r.user[k]).to_string();
                (u, r.items.get(r.item[k]).to_string(), ratings[k])
            })
            .collect()
    }

    fn owned(v: &[(&str, &str, f64)]) -> Vec<(String, String, f64)> {
        v.iter()
            .map(|&(u, i, r)| (u.to_string(), i.to_string(), r))
            .collect()
    }

    #[test]
    fn movie_header_applies_to_the_rows_below_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("combined_data_1.txt");
        std::fs::write(
            &p,
            "1:\r\n1488844,3,2005-09-06\r\n822109,5,2005-05-13\r\n2:\r\n1488844,4,2005-09-07\r\n",
        )
        .unwrap();
        let r = load(&p, &Format::Auto, &LoadOptions::default()).unwrap();
        assert_eq!(
            rows(&r),
            owned(&[
                ("1488844", "1", 3.0),
                ("822109", "1", 5.0),
                ("1488844", "2", 4.0)
            ])
        );
        assert_eq!((r.users.len(), r.items.len()), (2, 2));
        assert!(r.timestamp.is_none());
    }

    #[test]
    fn several_netflix_files_make_one_table_with_shared_ids() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("mv_0000001.txt");
        let b = dir.path().join("mv_0000002.txt");
        std::fs::write(&a, "1:\n7,5,2005-01-01\n8,4,2005-01-02\n").unwrap();
        std::fs::write(&b, "2:\n8,2,2005-01-03\n7,4,2005-01-04\n").unwrap();
        let r = load_files(&[a, b], &Format::Auto, &LoadOptions::default()).unwrap();
        assert_eq!(
            rows(&r),
            owned(&[
                ("7", "1", 5.0),
                ("8", "1", 4.0),
                ("8", "2", 2.0),
                ("7", "2", 4.0)
            ])
        );
        assert_eq!((r.users.len(), r.items.len()), (2, 2));
    }

    #[test]
    fn a_folder_stands_for_its_netflix_rating_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("mv_0000002.txt"), "2:\n8,2,2005-01-03\n").unwrap();
        std::fs::write(dir.path().join("mv_0000001.txt"), "1:\n7,5,2005-01-01\n").unwrap();
        // The Kaggle folder's probe file has headers but no ratings: it must not be read.
        std::fs::write(dir.path().join("probe.txt"), "1:\n7\n").unwrap();
        let files = crate::data::load::input_files(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_str().unwrap().to_string())
            .collect();
        assert_eq!(names, ["mv_0000001.txt", "mv_0000002.txt"]);
        let empty = tempfile::tempdir().unwrap();
        let err = crate::data::load::input_files(&[empty.path().to_path_buf()]).unwrap_err();
        assert!(err.to_string().contains("mv_*.txt"), "{err}");
    }

    #[test]
    fn malformed_netflix_lines_are_errors_naming_file_and_line() {
        let cases = [
            ("7,5,2005-01-01\n", 1, "expected a \"MovieID:\" header"),
            ("1:\n7,5\n", 2, "expected 3 fields"),
            ("1:\n7,five,2005-01-01\n", 2, "expected a number as rating"),
            ("1:\n7,5,01/01/2005\n", 2, "expected a date YYYY-MM-DD"),
            ("1:\nx7,5,2005-01-01\n", 2, "expected an integer CustomerID"),
            ("1:\n7,5,2005-01-01\nm2:\n", 3, "expected a movie header"),
        ];
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("combined_data_1.txt");
        for (text, line, needle) in cases {
            std::fs::write(&p, text).unwrap();
            let err = load(&p, &Format::NetflixPrize, &LoadOptions::default())
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(&format!("combined_data_1.txt:{line}: {needle}")),
                "{text:?}: {err}"
            );
        }
    }

    #[test]
    fn skip_invalid_never_gives_a_rating_to_the_movie_before_a_bad_header() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("combined_data_1.txt");
        std::fs::write(
            &p,
            "1:\n7,5,2005-01-01\nbad:\n8,4,2005-01-02\n9,4,2005-01-02\n3:\n8,1,2005-01-03\n",
        )
        .unwrap();
        let r = load(&p, &Format::Auto, &LoadOptions { skip_invalid: true }).unwrap();
        assert_eq!(rows(&r), owned(&[("7", "1", 5.0), ("8", "3", 1.0)]));
        assert_eq!(r.skipped, 3);
    }

    #[test]
    fn duplicate_netflix_ratings_are_kept_as_two_rows_as_pandas_keeps_them() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("combined_data_1.txt");
        std::fs::write(&p, "1:\n7,5,2005-01-01\n7,4,2005-02-01\n").unwrap();
        let r = load(&p, &Format::Auto, &LoadOptions::default()).unwrap();
        assert_eq!(rows(&r), owned(&[("7", "1", 5.0), ("7", "1", 4.0)]));
    }
}
