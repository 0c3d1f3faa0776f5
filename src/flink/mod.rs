//! The Flink vocabulary every stage speaks, at the bottom of the crate: configuration as
//! data and Flink's flat string forms ([`config`]), `flinkVersion` values ([`version`]),
//! memory strings and Kubernetes quantities ([`quantity`]), option readers with Flink's
//! parsing of booleans, doubles and durations ([`options`]), Flink's memory model
//! ([`memory_model`]) and Java's number formatting ([`java`]). Nothing here knows about
//! documents, specs or Kubernetes objects.

pub mod config;
pub mod image;
pub mod java;
pub mod keys;
pub mod memory_model;
pub mod options;
pub mod quantity;
pub mod version;
