//! The console's pages over HTTP: getting in, sessions, CSRF, languages, and each
//! section's forms. (The same flows run in a real browser under tests/browser/.)

pub mod browser;

mod bulk;
mod connections;
mod event_types;
mod home;
mod log;
mod preview;
mod settings;
mod sign_in;
