//! The `genlab` command; everything lives in `genlab::cli`.

/// An allocation that fails ends the command with a message, not an abort.
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: genlab::cli::Allocator = genlab::cli::Allocator;
#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    genlab::cli::main()
}

/// The command is native only; this keeps `cargo test --target wasm32-unknown-unknown` building.
#[cfg(target_arch = "wasm32")]
fn main() {}
