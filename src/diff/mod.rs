//! Comparing a rendering with committed output, object by object and field by field, for
//! reviewing what a spec change does (`flink-render diff`, the WASM preview's "what
//! changes"). Pure data in, data out: [`diff_objects`] compares, [`report`] words it.
//!
//! - Objects are matched by kind, namespace and name ([`ObjectKey`]); an object only on one
//!   side is [`ObjectDiff::Added`] or [`ObjectDiff::Removed`].
//! - Fields are compared recursively and reported by path
//!   (`spec.template.spec.containers[flink-main-container].resources.limits.memory`). Lists
//!   whose items all have a unique `name` (containers, env, volumes, ports) are matched by
//!   name, as Kubernetes merges them; other lists of objects by position; lists of scalars
//!   (`args`) are compared whole.
//! - Multi-line strings (the Flink configuration file in the ConfigMap) can be shown line by
//!   line with [`line_changes`].
//! - With the new rendering's configuration origins ([`because::Because`]), the report says
//!   which keys of a configuration changed, from where, and which keys rolled a workload.

#[cfg(feature = "provenance")]
pub mod because;
mod compare;
pub mod json_patch;
mod report;

pub use compare::{FieldChange, Line, ObjectDiff, ObjectKey, diff_objects, line_changes, parse_objects};
pub use report::report;
#[cfg(feature = "provenance")]
pub use report::report_because;
