//! The `flink-render` binary: a thin shell over the library (see `cli`).

mod cli;

/// mimalloc instead of the system allocator: a render allocates many small objects
/// (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::run()
}
