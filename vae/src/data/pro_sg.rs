//! The notebook's `pro_sg` folder: `unique_sid.txt`, `train.csv`, `validation_tr.csv`,
//! `validation_te.csv`, `test_tr.csv`, `test_te.csv` (each `uid,sid`, 0-based), plus our
//! `unique_uid.txt` and `stats.json` ([`SplitStats`]). Written exactly as pandas' `to_csv(index=False)`
//! writes them, and read back from any folder that holds at least the notebook's six files.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::error::{DataError, Result};
use super::lines::{utf8, Lines};
use super::preset::Preset;
use super::split::{Click, Split, SplitConfig};
use super::synth::SynthConfig;

/// The notebook's five click files, in the order validation and test are loaded.
pub const CLICK_FILES: [&str; 5] = [
    "train.csv",
    "validation_tr.csv",
    "validation_te.csv",
    "test_tr.csv",
    "test_te.csv",
];

/// Writes `split` into `dir` (created if missing), with `stats` as `stats.json`.
pub fn write(dir: &Path, split: &Split, stats: &SplitStats) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
    write_lines(&dir.join("unique_sid.txt"), &split.unique_sid)?;
    write_lines(&dir.join("unique_uid.txt"), &split.unique_uid)?;
    let parts = [
        &split.train,
        &split.validation_tr,
        &split.validation_te,
        &split.test_tr,
        &split.test_te,
    ];
    for (name, clicks) in CLICK_FILES.iter().zip(parts) {
        write_clicks(&dir.join(name), clicks)?;
    }
    write_stats(dir, stats)
}

/// Figures of a split, as the notebook prints them and more; written to `stats.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitStats {
    /// `"vae-cf"`, or `"synthetic"` for `vae data synth`.
    pub protocol: String,
    /// The paper's data set whose preprocessing (or, for synthetic data, shape) this is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<Preset>,
    /// The parameters of a `vae-cf` split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<SplitConfig>,
    /// The parameters of a synthetic data set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synth: Option<SynthConfig>,
    /// Rating rows read.
    pub input_rows: usize,
    /// Malformed lines skipped under `--skip-invalid`.
    pub skipped_lines: usize,
    /// Clicks ("watching events") left after filtering.
    pub clicks: usize,
    /// Of those, clicks on a (user, item) pair the user clicked before. The notebook keeps them as
    /// separate rows (pandas never deduplicates), so we do; the click matrices count them (2.0 for
    /// a pair clicked twice, as the notebook's `csr_matrix` sums them).
    #[serde(default)]
    pub repeated_clicks: usize,
    /// Users left after filtering.
    pub users: usize,
    /// Items left after filtering (all users' clicks).
    pub items: usize,
    /// `clicks / (users · items)`.
    pub sparsity: f64,
    /// Training users.
    pub train_users: usize,
    /// Users in each of validation and test.
    pub heldout_users: usize,
    /// Items of training users' clicks: the columns of every click matrix (`unique_sid`).
    pub n_items: usize,
    /// Rows of `train.csv`.
    pub train_clicks: usize,
    /// Rows of `validation_tr.csv`.
    pub validation_tr_clicks: usize,
    /// Rows of `validation_te.csv`.
    pub validation_te_clicks: usize,
    /// Rows of `test_tr.csv`.
    pub test_tr_clicks: usize,
    /// Rows of `test_te.csv`.
    pub test_te_clicks: usize,
}

impl SplitStats {
    /// The stats of a `vae-cf` split made with `config`, of the data set `preset` if one.
    pub fn vae_cf(split: &Split, config: &SplitConfig, preset: Option<Preset>) -> Self {
        Self::of(split, "vae-cf", preset, Some(config.clone()), None)
    }

    /// The stats of synthetic data drawn with `config`, shaped as `preset` if one.
    pub fn synthetic(split: &Split, config: &SynthConfig, preset: Option<Preset>) -> Self {
        Self::of(split, "synthetic", preset, None, Some(config.clone()))
    }

    fn of(
        split: &Split,
        protocol: &str,
        preset: Option<Preset>,
        config: Option<SplitConfig>,
        synth: Option<SynthConfig>,
    ) -> Self {
        let c = &split.counts;
        SplitStats {
            protocol: protocol.into(),
            preset,
            config,
            synth,
            input_rows: c.input_rows,
            skipped_lines: c.skipped_lines,
            clicks: c.clicks,
            repeated_clicks: c.repeated_clicks,
            users: c.users,
            items: c.items,
            sparsity: c.clicks as f64 / (c.users as f64 * c.items as f64),
            train_users: c.train_users,
            heldout_users: c.heldout_users,
            n_items: split.unique_sid.len(),
            train_clicks: split.train.len(),
            validation_tr_clicks: split.validation_tr.len(),
            validation_te_clicks: split.validation_te.len(),
            test_tr_clicks: split.test_tr.len(),
            test_te_clicks: split.test_te.len(),
        }
    }
}

/// Writes `stats.json`.
pub fn write_stats(dir: &Path, stats: &SplitStats) -> Result<()> {
    let path = dir.join("stats.json");
    let text = serde_json::to_string_pretty(stats)
        .map_err(|e| DataError::Invalid(format!("stats not serialisable: {e}")))?;
    std::fs::write(&path, text + "\n").map_err(|e| DataError::io(&path, e))
}

/// Reads `stats.json` if the folder has one (the notebook's folders do not).
pub fn read_stats(dir: &Path) -> Result<Option<SplitStats>> {
    let path = dir.join("stats.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| DataError::Format {
                file: path.display().to_string(),
                message: format!("expected the stats written by `vae data prepare`: {e}"),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(DataError::io(&path, e)),
    }
}

fn create(path: &Path) -> Result<BufWriter<File>> {
    File::create(path)
        .map(|f| BufWriter::with_capacity(1 << 20, f))
        .map_err(|e| DataError::io(path, e))
}

/// One id per line, as `f.write('%s\n' % sid)`.
pub(crate) fn write_lines(path: &Path, lines: &[String]) -> Result<()> {
    let mut w = create(path)?;
    for l in lines {
        writeln!(w, "{l}").map_err(|e| DataError::io(path, e))?;
    }
    w.flush().map_err(|e| DataError::io(path, e))
}

/// `uid,sid` header then one click per line, as `to_csv(index=False)`.
pub(crate) fn write_clicks(path: &Path, clicks: &[Click]) -> Result<()> {
    let mut w = create(path)?;
    let io = |e| DataError::io(path, e);
    w.write_all(b"uid,sid\n").map_err(io)?;
    for &(u, s) in clicks {
        writeln!(w, "{u},{s}").map_err(io)?;
    }
    w.flush().map_err(io)
}

/// Reads `unique_sid.txt` (or any one-id-per-line file).
pub fn read_ids(path: &Path) -> Result<Vec<String>> {
    let f = File::open(path).map_err(|e| DataError::io(path, e))?;
    read_ids_from(BufReader::new(f), &path.display().to_string())
}

/// Reads one id per line from `reader` (named `file` in errors). The line number is the id's index,
/// so empty lines are errors, and so is a repeated id: two columns would stand for one item.
pub fn read_ids_from<R: BufRead>(reader: R, file: &str) -> Result<Vec<String>> {
    let mut lines = Lines::new(reader, file);
    let mut ids = Vec::new();
    let mut first_line = HashMap::new();
    while let Some((no, bytes)) = lines.next_line()? {
        let id = utf8(file, no, bytes)?;
        if id.is_empty() {
            return Err(DataError::parse(
                file,
                no,
                "expected an id, found an empty line",
            ));
        }
        if let Some(first) = first_line.insert(id.to_string(), no) {
            return Err(DataError::parse(
                file,
                no,
                format!("id {id:?} repeats line {first}: each id must appear once"),
            ));
        }
        ids.push(id.to_string());
    }
    Ok(ids)
}

/// Reads a `uid,sid` click file whose `sid`s index `n_items` items.
pub fn read_clicks(path: &Path, n_items: usize) -> Result<Vec<Click>> {
    let f = File::open(path).map_err(|e| DataError::io(path, e))?;
    read_clicks_from(
        BufReader::with_capacity(1 << 20, f),
        &path.display().to_string(),
        n_items,
    )
}

/// Reads `uid,sid` clicks from `reader` (named `file` in errors): a header line naming the columns,
/// then two non-negative integers per line, each `sid` below `n_items` (the lines of
/// `unique_sid.txt`); checked here, where the line of a bad one is still known.
pub fn read_clicks_from<R: BufRead>(reader: R, file: &str, n_items: usize) -> Result<Vec<Click>> {
    let mut lines = Lines::new(reader, file);
    let header = match lines.next_line()? {
        Some((_, h)) => h.to_vec(),
        None => {
            return Err(DataError::parse(
                file,
                1,
                "expected the header \"uid,sid\", found an empty file",
            ))
        }
    };
    if header != b"uid,sid" {
        return Err(DataError::parse(
            file,
            1,
            format!(
                "expected the header \"uid,sid\", found {:?}",
                String::from_utf8_lossy(&header)
            ),
        ));
    }
    let mut clicks = Vec::new();
    while let Some((no, bytes)) = lines.next_line()? {
        if bytes.is_empty() {
            continue;
        }
        let parsed = bytes
            .iter()
            .position(|&b| b == b',')
            .and_then(|c| Some((parse_u32(&bytes[..c])?, parse_u32(&bytes[c + 1..])?)));
        match parsed {
            Some((_, sid)) if sid as usize >= n_items => {
                return Err(DataError::parse(
                    file,
                    no,
                    format!("item index {sid} is not below the {n_items} items of unique_sid.txt"),
                ))
            }
            Some(click) => clicks.push(click),
            None => {
                return Err(DataError::parse(
                    file,
                    no,
                    format!(
                        "expected \"uid,sid\" (two integers below 2^32), found {:?}",
                        String::from_utf8_lossy(bytes)
                    ),
                ))
            }
        }
    }
    Ok(clicks)
}

fn parse_u32(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 10 {
        return None;
    }
    let mut v: u64 = 0;
    for &d in b {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(d - b'0');
    }
    u32::try_from(v).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clicks_round_trip_through_the_csv_format() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("train.csv");
        write_clicks(&p, &[(0, 3), (0, 1), (4294967295, 0)]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "uid,sid\n0,3\n0,1\n4294967295,0\n"
        );
        assert_eq!(
            read_clicks(&p, 4).unwrap(),
            vec![(0, 3), (0, 1), (u32::MAX, 0)]
        );
    }

    #[test]
    fn malformed_click_lines_are_errors_naming_the_line() {
        for (text, needle) in [
            ("uid,sid\n1,2\n1;2\n", "x.csv:3: expected \"uid,sid\""),
            ("uid,sid\n-1,2\n", "x.csv:2:"),
            ("uid,sid\n4294967296,2\n", "x.csv:2:"),
            ("sid,uid\n", "x.csv:1: expected the header"),
            ("", "x.csv:1: expected the header"),
        ] {
            let err = read_clicks_from(text.as_bytes(), "x.csv", 10)
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{text:?}: {err}");
        }
    }

    #[test]
    fn ids_file_refuses_a_repeated_id_naming_both_lines() {
        let err = read_ids_from("a\nb\nc\nb\n".as_bytes(), "unique_sid.txt")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "unique_sid.txt:4: id \"b\" repeats line 2: each id must appear once"
        );
    }

    #[test]
    fn ids_file_rejects_empty_lines() {
        assert_eq!(read_ids_from("a\nb\n".as_bytes(), "u").unwrap(), ["a", "b"]);
        assert!(read_ids_from("a\n\nb\n".as_bytes(), "u").is_err());
    }
}
