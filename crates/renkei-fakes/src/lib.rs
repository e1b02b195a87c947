//! Faithful fake chat providers for renkei's tests, benchmarks and local demos.
//!
//! A fake that always answers 200 tests nothing: each fake here reproduces its provider's
//! response shapes, credential errors, rate limits and failure modes, and records every
//! request so a test can assert what was sent, in order.

pub mod chatwork;
pub mod common;
pub mod google_chat;
pub mod keys;
pub mod line;
pub mod line_works;
pub mod slack;
pub mod teams;
