//! The engine behind every delimited format: one record per line, fields split by a fixed separator
//! (no quoting: none of the supported rating files quotes its fields), columns found by position or
//! by header name. Also the user-facing `--format delimited` with named columns.

use std::io::BufRead;

use serde::{Deserialize, Serialize};

use super::LoadOptions;
use crate::data::error::{DataError, Result};
use crate::data::lines::{finite, utf8, Lines};
use crate::data::ratings::Ratings;

/// A delimited file with a header line naming its columns (`--format delimited`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DelimitedFormat {
    /// Field separator, one or more characters (`,`, `\t`, `::`).
    pub sep: String,
    /// Header name of the user column.
    pub user: String,
    /// Header name of the item column.
    pub item: String,
    /// Header name of the rating column; without one every row is a click.
    pub rating: Option<String>,
}

/// Where the user, item and rating fields are.
pub(crate) enum Columns<'a> {
    /// A headerless file with exactly `count` fields per line.
    Positional {
        count: usize,
        user: usize,
        item: usize,
        rating: Option<usize>,
        timestamp: Option<usize>,
    },
    /// A file whose first line names the columns; with `strip_types`, a name's `:type` suffix (RecBole's
    /// `user_id:token`) is ignored. The timestamp column is read when the header has it.
    Named {
        user: &'a str,
        item: &'a str,
        rating: Option<&'a str>,
        timestamp: Option<&'a str>,
        strip_types: bool,
    },
}

/// A delimited format: separator and columns.
pub(crate) struct Spec<'a> {
    pub sep: &'a str,
    pub columns: Columns<'a>,
}

struct Layout {
    count: usize,
    user: usize,
    item: usize,
    rating: Option<usize>,
    timestamp: Option<usize>,
}

/// Reads every record of `reader` (called `file` in errors) laid out as `spec` says.
pub(crate) fn read<R: BufRead>(
    reader: R,
    file: &str,
    spec: &Spec,
    opts: &LoadOptions,
) -> Result<Ratings> {
    if spec.sep.is_empty() {
        return Err(DataError::Invalid("empty field separator".into()));
    }
    let mut lines = Lines::new(reader, file);
    let layout = match spec.columns {
        Columns::Positional {
            count,
            user,
            item,
            rating,
            timestamp,
        } => Layout {
            count,
            user,
            item,
            rating,
            timestamp,
        },
        Columns::Named {
            user,
            item,
            rating,
            timestamp,
            strip_types,
        } => header_layout(
            &mut lines,
            spec.sep,
            [user, item],
            rating,
            timestamp,
            strip_types,
        )?,
    };
    let mut out = Ratings::new(layout.rating.is_some());
    if layout.timestamp.is_some() {
        out = out.with_timestamps();
    }
    while let Some((no, bytes)) = lines.next_line()? {
        if bytes.is_empty() {
            continue;
        }
        match parse_line(file, no, bytes, spec.sep, &layout) {
            Ok((u, i, r, t)) => out.push_timed(file, no, u, i, r, t)?,
            Err(_) if opts.skip_invalid => out.skipped += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

fn header_layout<R: BufRead>(
    lines: &mut Lines<R>,
    sep: &str,
    [user, item]: [&str; 2],
    rating: Option<&str>,
    timestamp: Option<&str>,
    strip_types: bool,
) -> Result<Layout> {
    let file = lines.file().to_string();
    let (no, bytes) = loop {
        match lines.next_line()? {
            None => {
                return Err(DataError::Format {
                    file,
                    message: "empty file: expected a header line".into(),
                })
            }
            Some((_, [])) => continue,
            Some((no, b)) => break (no, b),
        }
    };
    let names: Vec<String> = utf8(&file, no, bytes)?
        .split(sep)
        .map(|n| {
            let n = n.trim();
            let n = if strip_types {
                n.split_once(':').map_or(n, |(name, _)| name)
            } else {
                n
            };
            n.to_string()
        })
        .collect();
    let find = |column: &str| {
        names
            .iter()
            .position(|n| n == column)
            .ok_or_else(|| DataError::MissingColumn {
                file: file.clone(),
                column: column.to_string(),
                found: names.clone(),
            })
    };
    Ok(Layout {
        count: names.len(),
        user: find(user)?,
        item: find(item)?,
        rating: rating.map(find).transpose()?,
        timestamp: timestamp.and_then(|t| names.iter().position(|n| n == t)),
    })
}

type Record<'a> = (&'a str, &'a str, Option<f64>, Option<f64>);

fn parse_line<'a>(
    file: &str,
    no: usize,
    bytes: &'a [u8],
    sep: &str,
    layout: &Layout,
) -> Result<Record<'a>> {
    let line = utf8(file, no, bytes)?;
    // A one-character separator takes `split(char)`, several times faster than a substring search.
    let mut chars = sep.chars();
    let (n, user, item, rating, timestamp) = match (chars.next(), chars.next()) {
        (Some(c), None) => pick(line.split(c), layout),
        _ => pick(line.split(sep), layout),
    };
    if n != layout.count {
        return Err(DataError::parse(
            file,
            no,
            format!(
                "expected {} fields separated by {sep:?}, found {n}",
                layout.count
            ),
        ));
    }
    let (Some(user), Some(item)) = (user, item) else {
        return Err(DataError::parse(
            file,
            no,
            "expected a user and an item field",
        ));
    };
    if user.is_empty() || item.is_empty() {
        return Err(DataError::parse(
            file,
            no,
            "expected a non-empty user and item id",
        ));
    }
    let number =
        |field: Option<&str>, what: &str| field.map(|s| finite(file, no, s, what)).transpose();
    Ok((
        user,
        item,
        number(rating, "rating")?,
        number(timestamp, "timestamp")?,
    ))
}

type Picked<'a> = (
    usize,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

fn pick<'a>(fields: impl Iterator<Item = &'a str>, layout: &Layout) -> Picked<'a> {
    let (mut n, mut user, mut item, mut rating, mut timestamp) = (0, None, None, None, None);
    for (k, f) in fields.enumerate() {
        if k == layout.user {
            user = Some(f);
        }
        if k == layout.item {
            item = Some(f);
        }
        if Some(k) == layout.rating {
            rating = Some(f);
        }
        if Some(k) == layout.timestamp {
            timestamp = Some(f);
        }
        n = k + 1;
    }
    (n, user, item, rating, timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generic(sep: &str, rating: Option<&str>) -> DelimitedFormat {
        DelimitedFormat {
            sep: sep.into(),
            user: "who".into(),
            item: "what".into(),
            rating: rating.map(Into::into),
        }
    }

    #[test]
    fn generic_delimited_finds_columns_by_name_in_any_order() {
        let text = "when;what;who;stars\n1;i1;u1;5\n2;i2;u1;2.5\n";
        let r = super::super::load_reader(
            text.as_bytes(),
            "x.txt",
            &super::super::Format::Delimited(generic(";", Some("stars"))),
            &LoadOptions::default(),
        )
        .unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r.users.get(r.user[1]), "u1");
        assert_eq!(r.items.get(r.item[1]), "i2");
        assert_eq!(r.rating.unwrap(), vec![5.0, 2.5]);
    }

    #[test]
    fn generic_delimited_without_rating_column_makes_every_row_a_click() {
        let text = "who,what\nu,i\n";
        let r = super::super::load_reader(
            text.as_bytes(),
            "x.csv",
            &super::super::Format::Delimited(generic(",", None)),
            &LoadOptions::default(),
        )
        .unwrap();
        assert!(r.rating.is_none());
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn generic_delimited_names_the_missing_column() {
        let err = super::super::load_reader(
            "who,when\nu,1\n".as_bytes(),
            "x.csv",
            &super::super::Format::Delimited(generic(",", None)),
            &LoadOptions::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("no column \"what\""), "{err}");
    }
}
