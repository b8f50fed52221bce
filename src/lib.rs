//! Integration tests and benches live in tests/ and benches/.
