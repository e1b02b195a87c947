//! Rendering a notice in each provider's notation, with user text escaped.

pub mod chatwork;
