//! The renkei binary's library half: settings, and assembling a node (store, workers, API)
//! so that `renkei serve`, the benchmark and the integration tests start exactly the same thing.

pub mod bench;
pub mod demo;
pub mod node;
pub mod settings;
pub mod signals;
pub mod tenant_cli;
