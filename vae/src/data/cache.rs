//! The binary cache of a `pro_sg` folder's click matrices (`.vae-cache.bin` inside the folder).
//!
//! It is trusted only when it proves itself: its sha256 must match its contents (else corrupt), and
//! the fingerprint it was built from (name, size and a digest of the bytes of each text file) must
//! match the folder now (else stale). Either failure means the text files are parsed again.

use std::io::{Read, Write};
use std::path::Path;

use autograd::CsrMatrix;
use sha2::{Digest, Sha256};
use xxhash_rust::xxh3::Xxh3;

use super::dataset::{Dataset, HeldoutPair};
use super::error::{DataError, Result};
use super::pro_sg::CLICK_FILES;

/// The cache's file name inside the folder.
pub const CACHE_FILE: &str = ".vae-cache.bin";
// 02: the fingerprint digests the files' bytes (01 held their modification times).
const MAGIC: &[u8; 8] = b"VAECSR02";

/// The text files the cache is made from, in fingerprint order.
fn sources() -> impl Iterator<Item = &'static str> {
    std::iter::once("unique_sid.txt").chain(CLICK_FILES)
}

/// Bytes of one file's fingerprint entry: its name, its size (u64) and its xxh3-128 digest.
fn entry_len(name: &str) -> usize {
    name.len() + 8 + 16
}

/// What the cache depends on: name, size and xxh3-128 digest of each text file's bytes. The bytes,
/// not the modification time: `cp -p` of another folder's files keeps both size and mtime. xxh3
/// costs about 13 ms of CPU on the 112 MB of an ML-20M-shaped folder, which takes 520 ms to parse.
pub fn fingerprint(dir: &Path) -> Result<Vec<u8>> {
    let mut fp = Vec::new();
    let mut buf = vec![0u8; 1 << 20];
    for name in sources() {
        let path = dir.join(name);
        let io = |e| DataError::io(&path, e);
        let mut file = std::fs::File::open(&path).map_err(io)?;
        let (mut hasher, mut len) = (Xxh3::new(), 0u64);
        loop {
            let n = file.read(&mut buf).map_err(io)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            len += n as u64;
        }
        fp.extend_from_slice(name.as_bytes());
        fp.extend_from_slice(&len.to_le_bytes());
        fp.extend_from_slice(&hasher.digest128().to_le_bytes());
    }
    Ok(fp)
}

/// The files whose entries differ between two fingerprints; every file when their layouts differ.
fn changed_files(made_from: &[u8], now: &[u8]) -> Vec<&'static str> {
    let mut at = 0;
    sources()
        .filter(|name| {
            let range = at..at + entry_len(name);
            at = range.end;
            made_from.get(range.clone()) != now.get(range)
        })
        .collect()
}

/// The cached data set, or why it cannot be used.
pub(crate) fn read(dir: &Path, fingerprint: &[u8]) -> std::result::Result<Dataset, String> {
    let bytes = std::fs::read(dir.join(CACHE_FILE)).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "no cache yet".to_string(),
        _ => format!("cache unreadable ({e})"),
    })?;
    decode(&bytes, fingerprint)
}

/// Writes the cache atomically (temporary file, then rename), so a concurrent reader sees the old
/// cache or the new one, never half of one.
pub(crate) fn write(dir: &Path, fingerprint: &[u8], d: &Dataset) -> Result<()> {
    let bytes = encode(fingerprint, d);
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| DataError::io(dir, e))?;
    tmp.write_all(&bytes)
        .map_err(|e| DataError::io(tmp.path(), e))?;
    super::fetch::readable_by_all(tmp.path())?;
    let target = dir.join(CACHE_FILE);
    tmp.persist(&target)
        .map_err(|e| DataError::io(&target, e.error))?;
    Ok(())
}

/// The cache's bytes: magic, fingerprint, payload, then the sha256 of all that.
pub fn encode(fingerprint: &[u8], d: &Dataset) -> Vec<u8> {
    let mut b = MAGIC.to_vec();
    put(&mut b, fingerprint.len() as u64);
    b.extend_from_slice(fingerprint);
    put(&mut b, d.n_items as u64);
    put(&mut b, d.unique_sid.len() as u64);
    for id in &d.unique_sid {
        put(&mut b, id.len() as u64);
        b.extend_from_slice(id.as_bytes());
    }
    for (first, m) in [
        (0, &d.train),
        (d.validation.first_uid, &d.validation.fold_in),
        (d.validation.first_uid, &d.validation.heldout),
        (d.test.first_uid, &d.test.fold_in),
        (d.test.first_uid, &d.test.heldout),
    ] {
        put(&mut b, u64::from(first));
        put(&mut b, m.rows() as u64);
        put(&mut b, m.cols() as u64);
        put(&mut b, m.nnz() as u64);
        m.indptr().iter().for_each(|&p| put(&mut b, p as u64));
        m.indices()
            .iter()
            .for_each(|c| b.extend_from_slice(&c.to_le_bytes()));
        m.values()
            .iter()
            .for_each(|v| b.extend_from_slice(&v.to_le_bytes()));
    }
    let sum = Sha256::digest(&b);
    b.extend_from_slice(&sum);
    b
}

/// Decodes cache bytes built from `fingerprint`; any mismatch, truncation or invalid matrix is an
/// `Err` with the reason, never a panic.
pub fn decode(bytes: &[u8], fingerprint: &[u8]) -> std::result::Result<Dataset, String> {
    if bytes.len() < MAGIC.len() + 32 || &bytes[..MAGIC.len()] != MAGIC {
        return Err("not a cache file of this version".into());
    }
    let (body, sum) = bytes.split_at(bytes.len() - 32);
    if Sha256::digest(body).as_slice() != sum {
        return Err("checksum mismatch (corrupt cache)".into());
    }
    let mut r = Reader(&body[MAGIC.len()..]);
    let fp_len = r.len(1)?;
    let made_from = r.take(fp_len)?;
    if made_from != fingerprint {
        return Err(format!(
            "stale cache: files changed since the cache was made ({})",
            changed_files(made_from, fingerprint).join(", ")
        ));
    }
    let n_items = r.u64()? as usize;
    let n_sid = r.len(8)?;
    let mut unique_sid = Vec::with_capacity(n_sid);
    for _ in 0..n_sid {
        let len = r.len(1)?;
        let id = std::str::from_utf8(r.take(len)?).map_err(|e| e.to_string())?;
        unique_sid.push(id.to_string());
    }
    let mut matrix = || -> std::result::Result<(u32, CsrMatrix<f32>), String> {
        let first = u32::try_from(r.u64()?).map_err(|e| e.to_string())?;
        let rows = r.len(8)?;
        let cols = r.u64()? as usize;
        let nnz = r.len(8)?;
        let indptr = (0..=rows)
            .map(|_| r.u64().map(|p| p as usize))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let indices = r
            .take(nnz * 4)?
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let values = r
            .take(nnz * 4)?
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        // CsrMatrix::new slices rows before it has seen all of indptr, so a decreasing indptr
        // must be refused here first.
        if indptr.windows(2).any(|w| w[0] > w[1]) {
            return Err("row pointers decrease (corrupt cache)".into());
        }
        let m = CsrMatrix::new(rows, cols, indptr, indices, values).map_err(|e| e.to_string())?;
        Ok((first, m))
    };
    let (_, train) = matrix()?;
    let (vf, v_tr) = matrix()?;
    let (_, v_te) = matrix()?;
    let (tf, t_tr) = matrix()?;
    let (_, t_te) = matrix()?;
    Ok(Dataset {
        n_items,
        unique_sid,
        train,
        validation: HeldoutPair {
            first_uid: vf,
            fold_in: v_tr,
            heldout: v_te,
        },
        test: HeldoutPair {
            first_uid: tf,
            fold_in: t_tr,
            heldout: t_te,
        },
    })
}

fn put(b: &mut Vec<u8>, v: u64) {
    b.extend_from_slice(&v.to_le_bytes());
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> std::result::Result<&'a [u8], String> {
        if n > self.0.len() {
            return Err("truncated cache".into());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u64(&mut self) -> std::result::Result<u64, String> {
        let b = self.take(8)?;
        let mut w = [0u8; 8];
        w.copy_from_slice(b);
        Ok(u64::from_le_bytes(w))
    }
    /// A count of items at least `unit` bytes each: bounded by what is left, so a corrupt count can
    /// never make us allocate more than the file's size.
    fn len(&mut self, unit: usize) -> std::result::Result<usize, String> {
        let n = self.u64()?;
        if n.saturating_mul(unit as u64) > self.0.len() as u64 {
            return Err("truncated cache".into());
        }
        Ok(n as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Dataset {
        let m = |rows| {
            CsrMatrix::from_triplets(rows, 3, &[(0, 1, 1.0f32), (rows - 1, 2, 1.0)]).unwrap()
        };
        let pair = |first| HeldoutPair {
            first_uid: first,
            fold_in: m(2),
            heldout: m(2),
        };
        Dataset {
            n_items: 3,
            unique_sid: vec!["a".into(), "b".into(), "c".into()],
            train: m(3),
            validation: pair(3),
            test: pair(5),
        }
    }

    fn reseal(mut b: Vec<u8>) -> Vec<u8> {
        let n = b.len() - 32;
        let sum = Sha256::digest(&b[..n]);
        b[n..].copy_from_slice(&sum);
        b
    }

    #[test]
    fn encode_then_decode_is_the_identity() {
        let d = tiny();
        assert_eq!(decode(&encode(b"fp", &d), b"fp").unwrap(), d);
        assert!(decode(&encode(b"fp", &d), b"other")
            .unwrap_err()
            .contains("stale"));
    }

    #[test]
    fn a_checksummed_cache_with_a_decreasing_row_pointer_is_refused_without_panic() {
        let d = tiny();
        let mut b = encode(b"", &d);
        // The train matrix's indptr starts after magic, fingerprint length, n_items, the ids and
        // the matrix header (first, rows, cols, nnz); make its second entry larger than nnz.
        let at = 8 + 8 + 8 + 8 + 3 * (8 + 1) + 4 * 8 + 8;
        b[at..at + 8].copy_from_slice(&100u64.to_le_bytes());
        assert!(decode(&reseal(b), b"").is_err());
    }
}
