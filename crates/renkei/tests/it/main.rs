//! renkei's integration tests: the real node over HTTP against the fake Chatwork, each test
//! on SQLite and on PostgreSQL with a database of its own.

mod fakes;
mod helpers;

mod api;
mod bulk_and_links;
mod chaos;
mod cli;
mod confirmation_links;
mod connections;
mod console;
mod console_api;
mod delivery;
mod demo;
mod durability;
mod fan_out;
mod limits;
mod line_providers;
mod oauth_and_hooks;
mod operations;
mod preview;
mod races;
mod routing;
mod scenarios;
mod self_service;
mod single_node;
mod webhook_providers;
