//! The `genlab` command; everything lives in `genlab::cli`.
#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    genlab::cli::main()
}

/// The command is native only; this keeps `cargo test --target wasm32-unknown-unknown` building.
#[cfg(target_arch = "wasm32")]
fn main() {}
