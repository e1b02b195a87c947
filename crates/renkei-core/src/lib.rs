//! renkei's domain, pure: what users paste, who receives an event, how a notice is
//! rendered per provider, and the timing rules (rate limits, retries) the worker obeys.
//! Nothing here performs I/O, so every rule is unit-tested directly.

pub mod ids;
pub mod import;
pub mod model;
pub mod ratelimit;
pub mod render;
pub mod retry;
pub mod routing;
pub mod text;
