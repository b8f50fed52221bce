//! The digests a checkpoint carries in its safetensors `__metadata__`, so that a damaged file (a
//! flipped bit, a partial copy, an edit) is refused instead of trusted:
//!
//! - `sha256.{name}`: SHA-256 of tensor `name`'s bytes as stored (little-endian f32), in hex;
//! - `sha256.__metadata__`: SHA-256 of the other metadata entries, as the JSON object of their keys
//!   in sorted order (`{"epoch":"7","step":"0"}`: serde_json's compact form of a `BTreeMap`).
//!
//! SHA-256 rather than a faster hash so that anyone can check a file with `hashlib` alone
//! (docs/checkpoints.md shows how). Both are plain metadata strings: `safetensors.torch.load_file`
//! reads the file as before.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The prefix of every digest key; metadata keys with it are the checkpoint's own.
pub const PREFIX: &str = "sha256.";
/// The key of the metadata's own digest.
pub const METADATA_KEY: &str = "sha256.__metadata__";

/// The metadata key of tensor `name`'s digest.
pub fn tensor_key(name: &str) -> String {
    format!("{PREFIX}{name}")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of `values` stored as little-endian f32, in hex.
pub fn of_values(values: &[f32]) -> String {
    let mut h = Sha256::new();
    for block in values.chunks(1 << 14) {
        let bytes: Vec<u8> = block.iter().flat_map(|v| v.to_le_bytes()).collect();
        h.update(&bytes);
    }
    hex(&h.finalize())
}

/// SHA-256 of a tensor's stored bytes, in hex.
pub fn of_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// SHA-256 of the metadata entries that are not digests, in hex.
pub fn of_metadata(metadata: &BTreeMap<String, String>) -> String {
    let own: BTreeMap<&String, &String> = metadata
        .iter()
        .filter(|(k, _)| !k.starts_with(PREFIX))
        .collect();
    of_bytes(&serde_json::to_vec(&own).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tensor_digest_is_the_sha256_of_its_little_endian_bytes() {
        // 1.0f32 and -2.0f32 as stored: 00 00 80 3f, 00 00 00 c0.
        assert_eq!(
            of_values(&[1.0, -2.0]),
            of_bytes(&[0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0])
        );
        // FIPS 180-2's test vector.
        assert_eq!(
            of_bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn the_metadata_digest_ignores_digest_entries_and_sees_every_other_byte() {
        let mut meta = BTreeMap::from([("epoch".to_string(), "7".to_string())]);
        let d = of_metadata(&meta);
        assert_eq!(d, of_bytes(br#"{"epoch":"7"}"#));
        meta.insert(tensor_key("w"), "00".into());
        assert_eq!(of_metadata(&meta), d);
        meta.insert("epoch".into(), "8".into());
        assert_ne!(of_metadata(&meta), d);
    }
}
