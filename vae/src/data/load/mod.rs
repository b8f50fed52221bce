//! Streaming loaders for rating files: MovieLens (`ratings.csv`, `ratings.dat`, `u.data`), RecBole
//! atomic `.inter` files, Amazon reviews (5-core JSON lines, ratings-only CSV), the Netflix Prize
//! files, the Million Song Dataset's Taste Profile triplets and any delimited file with named columns.
//! Each reads line by line into a [`Ratings`] table in file order.

mod amazon;
mod delimited;
mod movielens;
mod msd;
mod netflix;
mod recbole;

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use delimited::DelimitedFormat;

use super::error::{DataError, Result};
use super::lines::strip_bom;
use super::ratings::Ratings;

/// A rating file's layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Format {
    /// Tell from the file name and first line.
    Auto,
    /// MovieLens `ratings.csv` (ml-20m, ml-25m, ml-latest): header `userId,movieId,rating,timestamp`.
    MovielensCsv,
    /// MovieLens `ratings.dat` (ml-1m, ml-10m): `user::item::rating::timestamp`, no header.
    MovielensDat,
    /// MovieLens-100k `u.data`: tab-separated `user item rating timestamp`, no header.
    MovielensUdata,
    /// A RecBole atomic `.inter` file: tab-separated, typed header (`user_id:token item_id:token ...`).
    RecboleInter,
    /// Amazon reviews, one JSON object per line (`reviewerID`, `asin`, `overall`).
    AmazonJson,
    /// Amazon ratings-only CSV: `user,item,rating,timestamp`, no header.
    AmazonCsv,
    /// Netflix Prize `mv_*.txt` / `combined_data_*.txt`: `MovieID:` lines heading `user,rating,date` rows.
    NetflixPrize,
    /// The Million Song Dataset's Taste Profile `train_triplets.txt`: `user\tsong\tplay_count`.
    MsdTriplets,
    /// Any delimited file with a header naming its columns.
    Delimited(DelimitedFormat),
}

/// How strictly to read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadOptions {
    /// Skip and count malformed lines instead of failing on the first (`--skip-invalid`).
    pub skip_invalid: bool,
}

/// Reads the rating file at `path`.
pub fn load(path: &Path, format: &Format, opts: &LoadOptions) -> Result<Ratings> {
    let name = path.display().to_string();
    let open = || File::open(path).map_err(|e| DataError::io(path, e));
    let format = match format {
        Format::Auto => {
            let mut first = Vec::new();
            BufReader::new(open()?)
                .take(64 * 1024)
                .read_until(b'\n', &mut first)
                .map_err(|e| DataError::io(path, e))?;
            refuse_empty(&name, &first)?;
            detect(&name, strip_bom(&first))?
        }
        f => f.clone(),
    };
    load_reader(
        BufReader::with_capacity(1 << 20, open()?),
        &name,
        &format,
        opts,
    )
}

/// Reads rating records from `reader`; `file` names it in errors. [`Format::Auto`] looks at `file`'s
/// name and the stream's first line.
pub fn load_reader<R: BufRead>(
    mut reader: R,
    file: &str,
    format: &Format,
    opts: &LoadOptions,
) -> Result<Ratings> {
    let head = reader
        .fill_buf()
        .map_err(|e| DataError::io(Path::new(file), e))?;
    refuse_empty(file, head)?;
    match format {
        Format::Auto => {
            let first = strip_bom(head).split(|&b| b == b'\n').next().unwrap_or(&[]);
            let format = detect(file, first)?;
            load_reader(reader, file, &format, opts)
        }
        Format::MovielensCsv => delimited::read(reader, file, &movielens::CSV, opts),
        Format::MovielensDat => delimited::read(reader, file, &movielens::DAT, opts),
        Format::MovielensUdata => delimited::read(reader, file, &movielens::UDATA, opts),
        Format::RecboleInter => delimited::read(reader, file, &recbole::INTER, opts),
        Format::AmazonCsv => delimited::read(reader, file, &amazon::CSV, opts),
        Format::AmazonJson => amazon::read_json_lines(reader, file, opts),
        Format::NetflixPrize => netflix::read(reader, file, opts),
        Format::MsdTriplets => delimited::read(reader, file, &msd::TRIPLETS, opts),
        Format::Delimited(f) => delimited::read(
            reader,
            file,
            &delimited::Spec {
                sep: &f.sep,
                columns: delimited::Columns::Named {
                    user: &f.user,
                    item: &f.item,
                    rating: f.rating.as_deref(),
                    timestamp: None,
                    strip_types: false,
                },
            },
            opts,
        ),
    }
}

/// Reads several rating files of one format into one table, in the order given (ids shared across
/// files); each file's format is detected on its own under [`Format::Auto`].
pub fn load_files(paths: &[PathBuf], format: &Format, opts: &LoadOptions) -> Result<Ratings> {
    let mut all: Option<Ratings> = None;
    for path in paths {
        let r = load(path, format, opts)?;
        match &mut all {
            None => all = Some(r),
            Some(a) => a.append(&r, &path.display().to_string())?,
        }
    }
    all.ok_or_else(|| DataError::Invalid("no input file given".into()))
}

/// The rating files that `paths` stand for: a file stands for itself, a folder for the Netflix Prize
/// rating files in it (`training_set/` holds 17,770 of them, too many for a command line).
pub fn input_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            files.extend(netflix::rating_files(p)?);
        } else {
            files.push(p.clone());
        }
    }
    Ok(files)
}

/// A file with no bytes (or a byte order mark alone) has no ratings whatever its format: say so,
/// rather than that its format is unknown or that filtering left nothing.
fn refuse_empty(file: &str, head: &[u8]) -> Result<()> {
    if strip_bom(head).is_empty() {
        return Err(DataError::Format {
            file: file.to_string(),
            message: "empty file: expected rating lines".into(),
        });
    }
    Ok(())
}

/// Tells a file's format from its name and first line.
pub fn detect(file: &str, first_line: &[u8]) -> Result<Format> {
    let name = Path::new(file)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(file)
        .to_ascii_lowercase();
    let first = String::from_utf8_lossy(first_line);
    let first = first.trim_end();
    let unknown = |why: &str| {
        DataError::Format {
        file: file.to_string(),
        message: format!(
            "{why}; pass --format (movielens-csv, movielens-dat, movielens-udata, recbole-inter, \
             amazon-json, amazon-csv, netflix-prize, msd-triplets) or --format delimited with --sep/--user-col/--item-col"
        ),
    }
    };
    if name.ends_with(".gz") || name.ends_with(".zip") {
        return Err(unknown(
            "compressed input is not read directly, decompress it first",
        ));
    }
    if name.ends_with(".inter") {
        return Ok(Format::RecboleInter);
    }
    if name.ends_with(".data") {
        return Ok(Format::MovielensUdata);
    }
    if name.ends_with(".dat") {
        return Ok(Format::MovielensDat);
    }
    if name.ends_with(".json") || name.ends_with(".jsonl") || first.starts_with('{') {
        return Ok(Format::AmazonJson);
    }
    let header = first
        .strip_suffix(':')
        .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()));
    if netflix::is_rating_file(&name) || header {
        return Ok(Format::NetflixPrize);
    }
    if name.ends_with(".txt") && (name.contains("triplets") || first.split('\t').count() == 3) {
        return Ok(Format::MsdTriplets);
    }
    if name.ends_with(".csv") {
        if first.starts_with("userId,") {
            return Ok(Format::MovielensCsv);
        }
        let fields: Vec<&str> = first.split(',').collect();
        if fields.len() == 4 && fields[2].trim().parse::<f64>().is_ok() {
            return Ok(Format::AmazonCsv);
        }
        return Err(unknown(
            "a CSV file that is neither MovieLens nor Amazon ratings",
        ));
    }
    Err(unknown("cannot tell the format from the file name"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_recognises_each_format_from_name_and_first_line() {
        let cases: [(&str, &str, Format); 10] = [
            (
                "ml-20m/ratings.csv",
                "userId,movieId,rating,timestamp",
                Format::MovielensCsv,
            ),
            (
                "ml-1m/ratings.dat",
                "1::1193::5::978300760",
                Format::MovielensDat,
            ),
            (
                "ml-100k/u.data",
                "196\t242\t3\t881250949",
                Format::MovielensUdata,
            ),
            (
                "ml-100k.inter",
                "user_id:token\titem_id:token",
                Format::RecboleInter,
            ),
            (
                "Books_5.json",
                "{\"reviewerID\": \"A\"}",
                Format::AmazonJson,
            ),
            ("Books.csv", "A1,0001,5.0,1234", Format::AmazonCsv),
            ("reviews.txt", "{\"asin\": \"B\"}", Format::AmazonJson),
            ("training_set/mv_0000001.txt", "1:", Format::NetflixPrize),
            ("netflix.txt", "4500:", Format::NetflixPrize),
            (
                "train_triplets.txt",
                "b80344d063b5ccb3212f76538f3d9e43d87dca9e\tSOAKIMP12A8C130995\t1",
                Format::MsdTriplets,
            ),
        ];
        for (file, first, expected) in cases {
            assert_eq!(detect(file, first.as_bytes()).unwrap(), expected, "{file}");
        }
    }

    #[test]
    fn detect_refuses_an_unknown_or_compressed_file_and_says_what_to_pass() {
        for file in ["data.bin", "ratings.csv.gz", "odd.csv"] {
            let err = detect(file, b"a,b").unwrap_err().to_string();
            assert!(err.contains("--format"), "{err}");
        }
    }

    /// JSON has no NaN or infinity, and serde_json refuses an overflowing `1e999`: that case guards
    /// the Amazon reviews without a check of their own.
    #[test]
    fn every_loader_refuses_nan_and_infinite_numbers_naming_the_line() {
        let json = |overall: &str| {
            format!(
                "{{\"reviewerID\":\"A\",\"asin\":\"B\",\"overall\":5}}\n\
                 {{\"reviewerID\":\"A\",\"asin\":\"C\",\"overall\":{overall}}}\n"
            )
        };
        let generic = Format::Delimited(DelimitedFormat {
            sep: ";".into(),
            user: "u".into(),
            item: "i".into(),
            rating: Some("r".into()),
        });
        let cases = [
            (
                "ratings.csv",
                Format::Auto,
                "userId,movieId,rating,timestamp\n1,2,4,0\n1,3,NaN,0\n".to_string(),
                3,
            ),
            (
                "ratings.dat",
                Format::Auto,
                "1::2::4::0\n1::3::inf::0\n".into(),
                2,
            ),
            (
                "u.data",
                Format::Auto,
                "1\t2\t4\t0\n1\t3\t-infinity\t0\n".into(),
                2,
            ),
            (
                "u.data",
                Format::Auto,
                "1\t2\t4\t0\n1\t3\t4\tinf\n".into(),
                2,
            ),
            (
                "a.inter",
                Format::Auto,
                "user_id:token\titem_id:token\trating:float\n1\t1\t3\n1\t2\t1e999\n".into(),
                3,
            ),
            (
                "Books.csv",
                Format::Auto,
                "A,1,5.0,0\nA,2,nan,0\n".into(),
                2,
            ),
            (
                "train_triplets.txt",
                Format::Auto,
                "u\ts\t1\nu\tt\tNaN\n".into(),
                2,
            ),
            (
                "combined_data_1.txt",
                Format::Auto,
                "1:\n7,5,2005-01-01\n8,inf,2005-01-01\n".into(),
                3,
            ),
            ("Books_5.json", Format::Auto, json("1e999"), 2),
            ("x.txt", generic, "u;i;r\na;b;1\na;c;NaN\n".into(), 3),
        ];
        for (file, format, text, line) in cases {
            let read = |skip_invalid| {
                load_reader(
                    text.as_bytes(),
                    file,
                    &format,
                    &LoadOptions { skip_invalid },
                )
            };
            let err = read(false).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("{file}:{line}: ")),
                "{text:?}: {err}"
            );
            let r = read(true).unwrap();
            assert_eq!((r.len(), r.skipped), (1, 1), "{text:?}");
        }
    }

    #[test]
    fn a_byte_order_mark_is_stripped_before_detection_and_parsing() {
        for (file, text) in [
            (
                "ratings.csv",
                "userId,movieId,rating,timestamp\n1,2,4.0,0\n",
            ),
            ("u.data", "1\t2\t4\t0\n"),
            (
                "Books_5.json",
                "{\"reviewerID\":\"1\",\"asin\":\"2\",\"overall\":4}\n",
            ),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(file);
            std::fs::write(&path, format!("\u{feff}{text}")).unwrap();
            let r = load(&path, &Format::Auto, &LoadOptions::default()).unwrap();
            assert_eq!((r.users.get(0), r.items.get(0)), ("1", "2"), "{file}");
        }
    }

    #[test]
    fn an_empty_file_is_called_empty_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ratings.csv");
        for (text, format) in [
            ("", Format::Auto),
            ("\u{feff}", Format::Auto),
            ("", Format::MovielensDat),
        ] {
            std::fs::write(&path, text).unwrap();
            let err = load(&path, &format, &LoadOptions::default())
                .unwrap_err()
                .to_string();
            assert_eq!(
                err,
                format!("{}: empty file: expected rating lines", path.display())
            );
        }
    }

    #[test]
    fn auto_on_a_reader_uses_the_first_line() {
        let r = load_reader(
            "userId,movieId,rating,timestamp\n1,2,4.0,0\n".as_bytes(),
            "ratings.csv",
            &Format::Auto,
            &LoadOptions::default(),
        )
        .unwrap();
        assert_eq!(r.len(), 1);
    }
}
