//! Shared by the property tests: how many cases to run, and where the corpus lives.
#![allow(dead_code)]

use std::path::PathBuf;

use proptest::test_runner::Config;

/// `cases` per property, so the whole set stays within a few seconds of a debug build; a
/// `PROPTEST_CASES` in the environment wins, for a longer run.
pub fn config(cases: u32) -> Config {
    let from_env = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok());
    Config {
        cases: from_env.unwrap_or(cases),
        ..Config::default()
    }
}

/// A file of the hand-made corpus, `tests/corpus/<rel>`.
pub fn corpus(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(rel)
}

/// Whether `escaped` is `original` with only `extra` characters inserted (so a person
/// reads the same text).
pub fn only_inserts(original: &str, escaped: &str, extra: char) -> bool {
    let mut want = original.chars().peekable();
    for c in escaped.chars() {
        if want.peek() == Some(&c) {
            want.next();
        } else if c != extra {
            return false;
        }
    }
    want.next().is_none()
}
