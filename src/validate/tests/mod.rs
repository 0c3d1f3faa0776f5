//! Tests of the rules through the whole compile.

mod deployment;
mod session_job;
