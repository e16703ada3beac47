//! The wasm-bindgen surface: the only code that knows about JavaScript, one module per lab.
//!
//! The wire, the same for every lab:
//! - configs cross as JSON strings, the one form of links, presets and CLI files (the core
//!   validates them, and an error names the field and its allowed range);
//! - small results cross as serde-derived structs through serde-wasm-bindgen: plain objects
//!   with camelCase keys, `None` as `null`, as `JSON.parse` would give;
//! - bulk arrays cross as `Float32Array`s, each under its own name, which the worker
//!   transfers on to the page.
//!
//! Every lab's type has the contract's methods ([`lab_binding!`]); the rest is the lab's own.
use crate::config::{preset_note, PresetNote, CONFIG_VERSION};
use serde::Serialize;
use wasm_bindgen::prelude::*;

mod bench;
mod data;
mod halluc;
mod interpolant;
mod qlae;
mod watchdog;

pub use bench::Bench;
pub use data::DataLab;
pub use halluc::{HallucLab, HallucRecursion};
pub use interpolant::InterpolantLab;
pub use qlae::QlaeLab;

/// The threaded core's `initThreadPool(n)` (a Promise): rayon's pool as n Web Workers. The lab
/// worker awaits it before anything else, since rayon's first use fixes its pool.
#[cfg(feature = "threads")]
pub use wasm_bindgen_rayon::init_thread_pool;

/// How many threads the core computes on: rayon's pool (1 in the single-threaded core).
#[wasm_bindgen(js_name = coreThreads)]
pub fn core_threads() -> usize {
    rayon::current_num_threads()
}

fn js_error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// A small result as a plain JS object (camelCase keys, `None` as `null`).
fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(js_error)
}

/// Bulk arrays as one JS object of named `Float32Array`s.
fn arrays(fields: &[(&str, &[f32])]) -> JsValue {
    let object = js_sys::Object::new();
    for (name, values) in fields {
        let array = js_sys::Float32Array::from(*values);
        js_sys::Reflect::set(&object, &JsValue::from_str(name), &array)
            .expect("a fresh object takes any key");
    }
    object.into()
}

fn json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("GenLab's types serialise")
}

/// `[{name, config, weights, note}]` for a lab's presets, as JSON: `weights` is the shipped
/// file under `models/LAB/` (null when `shipped` says there is none), `note` the learner's
/// words ([`PresetNote`]: `{see, paper, try}`). Configs go through the same serialiser as
/// `configJson`, so f32 values print alike and the page can match a config to its preset.
fn presets_json<C: Serialize, E>(
    presets: &[(&str, &str)],
    lab: &str,
    load: impl Fn(&str) -> Result<C, E>,
    shipped: impl Fn(&str, &C) -> bool,
) -> String {
    #[derive(Serialize)]
    struct Entry<'a, C> {
        name: &'a str,
        config: C,
        weights: Option<String>,
        note: Option<PresetNote>,
    }
    let entries: Vec<Entry<C>> = presets
        .iter()
        .filter_map(|(name, _)| {
            let config = load(name).ok()?;
            let weights =
                shipped(name, &config).then(|| format!("models/{lab}/{name}.safetensors"));
            let note = preset_note(presets, name);
            Some(Entry {
                name,
                config,
                weights,
                note,
            })
        })
        .collect();
    json(&entries)
}

/// The wasm type of one lab's session, with the contract's methods ([`crate::lab::Lab`]):
/// construct from config JSON, `configJson`, `learned`, `trainedSteps`, `train` (one progress
/// object per step), `weights` and `loadWeights` (safetensors bytes).
macro_rules! lab_binding {
    ($(#[$doc:meta])* $name:ident, $session:ty) => {
        $(#[$doc])*
        #[wasm_bindgen]
        pub struct $name {
            session: $session,
        }

        #[wasm_bindgen]
        impl $name {
            /// Validates `config_json`; an error names the field and its allowed range.
            #[wasm_bindgen(constructor)]
            pub fn new(config_json: &str) -> Result<$name, JsError> {
                let config = crate::config::from_json(config_json).map_err(super::js_error)?;
                let session = <$session as crate::lab::Lab>::new(config).map_err(super::js_error)?;
                Ok(Self { session })
            }

            /// The config with every default filled in, as JSON.
            #[wasm_bindgen(js_name = configJson)]
            pub fn config_json(&self) -> String {
                super::json(crate::lab::Lab::config(&self.session))
            }

            /// What training this config costs: `{bytes, flopsPerStep, drivers}`
            /// ([`crate::budget::Estimate`]), so the page can ask before a run a tab cannot hold.
            pub fn estimate(&self) -> Result<JsValue, JsError> {
                let config = crate::lab::Lab::config(&self.session);
                super::to_js(&crate::budget::Budget::estimate(config))
            }

            /// Whether there is anything to train (else the fields or denoiser are exact).
            pub fn learned(&self) -> bool {
                crate::lab::Lab::trainable(&self.session)
            }

            /// Steps trained so far (or recorded with loaded weights).
            #[wasm_bindgen(js_name = trainedSteps)]
            pub fn trained_steps(&self) -> usize {
                crate::lab::Lab::trained_steps(&self.session)
            }

            /// `k` training steps: an array with each step's losses (the lab's progress).
            pub fn train(&mut self, k: usize) -> Result<JsValue, JsError> {
                let progress = crate::lab::Lab::train(&mut self.session, k).map_err(super::js_error)?;
                super::to_js(&progress)
            }

            /// The weights sampling uses, as safetensors bytes.
            pub fn weights(&self) -> Result<Vec<u8>, JsError> {
                crate::lab::Lab::weights(&self.session).map_err(super::js_error)
            }

            /// Loads safetensors weights as `steps` steps of training (shapes must match).
            #[wasm_bindgen(js_name = loadWeights)]
            pub fn load_weights(&mut self, bytes: &[u8], steps: usize) -> Result<(), JsError> {
                crate::lab::Lab::load_weights(&mut self.session, bytes, steps).map_err(super::js_error)
            }
        }
    };
}
use lab_binding;

/// The core's allocator: the default one, remembering the size of an allocation it could not
/// serve. Rust then aborts (a wasm trap); the worker reads [`allocation_failure`] to say the
/// tab ran out of memory instead of "unreachable".
struct Reporting;

static FAILED_ALLOCATION: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged.
unsafe impl std::alloc::GlobalAlloc for Reporting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        noted(std::alloc::System.alloc(layout), layout.size())
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        noted(std::alloc::System.alloc_zeroed(layout), layout.size())
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, size: usize) -> *mut u8 {
        noted(std::alloc::System.realloc(ptr, layout, size), size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        std::alloc::System.dealloc(ptr, layout)
    }
}

/// `ptr`; a null one records `size` as the failed allocation (and, on a pool thread of the
/// threaded core, tells the page, since that thread's trap is not the lab worker's).
fn noted(ptr: *mut u8, size: usize) -> *mut u8 {
    if ptr.is_null() {
        FAILED_ALLOCATION.store(size, std::sync::atomic::Ordering::Relaxed);
        watchdog::pool_thread_failed("", size);
    }
    ptr
}

#[global_allocator]
static ALLOCATOR: Reporting = Reporting;

/// The bytes of the allocation that failed (the instance then trapped), or 0.
#[wasm_bindgen(js_name = allocationFailure)]
pub fn allocation_failure() -> f64 {
    FAILED_ALLOCATION.load(std::sync::atomic::Ordering::Relaxed) as f64
}

/// The wasm memory in bytes now (it only grows).
#[wasm_bindgen(js_name = memoryBytes)]
pub fn memory_bytes() -> f64 {
    (core::arch::wasm32::memory_size(0) * 65536) as f64
}

/// Takes memory 1 GiB at a time until the allocator fails (wasm32 stops at 4 GiB), so the
/// tests can check that the page survives running out of memory. Nothing is written, so the
/// system commits none of it.
#[wasm_bindgen(js_name = debugExhaustMemory)]
pub fn debug_exhaust_memory() -> usize {
    let mut held: Vec<Vec<u8>> = vec![];
    loop {
        held.push(Vec::with_capacity(1 << 30));
        if held.len() > 8 {
            return held.len();
        }
    }
}

#[wasm_bindgen(start)]
fn start() {
    // The threaded core: gemm hands a product to the pool past 3M multiply-adds (its default is
    // 0.6M). On two threads in the page the interpolants' 1,000 × 48 × 48 training products
    // lost (0.86× one thread), and the QLAE MLP's 64 × 256 × 256 ones gained (1.12×).
    #[cfg(target_feature = "atomics")]
    gemm::set_threading_threshold(3 << 20);
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        watchdog::pool_thread_failed(info.payload_as_str().unwrap_or("a panic"), 0);
    }));
}

/// The config schema version this build writes.
#[wasm_bindgen(js_name = configVersion)]
pub fn config_version() -> u32 {
    CONFIG_VERSION
}

/// Panics on purpose, so the tests can check that the page survives a Rust panic.
#[wasm_bindgen(js_name = debugPanic)]
pub fn debug_panic() {
    panic!("deliberate panic requested by the test hook");
}

/// Panics on purpose on a pool thread of the threaded core (rayon runs work from outside its
/// pool on the pool's threads), so the tests can check that the page survives that too. The
/// single-threaded core panics on its one thread.
#[wasm_bindgen(js_name = debugPanicInPool)]
pub fn debug_panic_in_pool() {
    rayon::join(
        || (),
        || panic!("deliberate panic on a pool thread requested by the test hook"),
    );
}
