//! The console's pages over HTTP: getting in, sessions, CSRF, languages, and each
//! section's forms. (The same flows run in a real browser under tests/browser/.)

pub mod browser;

mod bulk;
mod clients;
mod connections;
mod event_types;
mod groups;
mod home;
mod log;
mod member_contacts;
mod member_import;
mod members;
mod preview;
mod settings;
mod sign_in;
