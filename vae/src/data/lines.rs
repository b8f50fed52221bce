//! Line-by-line reading with a reused buffer and 1-based line numbers for error messages, and the
//! checks of single fields that name the line.

use std::io::BufRead;

use super::error::{DataError, Result};

/// The UTF-8 byte order mark, which Windows editors put at the start of a text file.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `bytes` without a leading byte order mark.
pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(BOM).unwrap_or(bytes)
}

/// Lines of a text stream, `\n` or `\r\n` terminated, without their terminator; a byte order mark
/// at the start of the stream is not part of the first line.
pub(crate) struct Lines<R> {
    reader: R,
    file: String,
    buf: Vec<u8>,
    line: usize,
}

impl<R: BufRead> Lines<R> {
    pub(crate) fn new(reader: R, file: &str) -> Self {
        Lines {
            reader,
            file: file.to_string(),
            buf: Vec::with_capacity(256),
            line: 0,
        }
    }

    /// The file name used in errors.
    pub(crate) fn file(&self) -> &str {
        &self.file
    }

    /// The next line's number and bytes, or `None` at the end of the stream.
    pub(crate) fn next_line(&mut self) -> Result<Option<(usize, &[u8])>> {
        self.buf.clear();
        let n = self
            .reader
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| DataError::Io {
                path: self.file.clone().into(),
                source: e,
            })?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        let mut end = self.buf.len();
        if end > 0 && self.buf[end - 1] == b'\n' {
            end -= 1;
        }
        if end > 0 && self.buf[end - 1] == b'\r' {
            end -= 1;
        }
        let start = if self.line == 1 && self.buf.starts_with(BOM) {
            BOM.len()
        } else {
            0
        };
        Ok(Some((self.line, &self.buf[start..end])))
    }
}

/// `bytes` as UTF-8, or an error naming the line.
pub(crate) fn utf8<'a>(file: &str, line: usize, bytes: &'a [u8]) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| {
        DataError::parse(
            file,
            line,
            format!(
                "expected UTF-8 text, found an invalid byte at column {}",
                e.valid_up_to() + 1
            ),
        )
    })
}

/// `field` as a finite number, or an error naming the line and `what` the field is. Rust's parser
/// accepts `NaN`, `inf` and `1e999` (infinite), none of which is a rating or a time.
pub(crate) fn finite(file: &str, line: usize, field: &str, what: &str) -> Result<f64> {
    match field.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        Ok(_) => Err(DataError::parse(
            file,
            line,
            format!("expected a finite number as {what}, found {field:?}"),
        )),
        Err(_) => Err(DataError::parse(
            file,
            line,
            format!("expected a number as {what}, found {field:?}"),
        )),
    }
}
