# GenLab build. `make serve` builds the site and serves it; `make test` runs every test.
# Both install what they need on a fresh machine (the wasm target, the pinned
# wasm-bindgen-cli, Debian's Chromium and ChromeDriver, the npm packages).

WASM_BINDGEN_VERSION := 0.2.130
WASM_TARGET := wasm32-unknown-unknown
# Where the single-threaded and the threaded browser cores build (each with patched candle-core).
BROWSER_DIR := target/browser
THREADS_DIR := target/threads
# The core after binaryen's wasm-opt (`make dist`, the notebook widget).
DIST_WASM := target/wasm-opt/genlab_bg.wasm
DIST_THREADS_WASM := target/wasm-opt/threads/genlab_bg.wasm
RUST_SRC := $(shell find src crates -name '*.rs') $(wildcard crates/*/Cargo.toml) $(wildcard www/models/*/*.json) Cargo.toml Cargo.lock .cargo/config.toml
HOST ?= 127.0.0.1
PORT ?= 8080
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
WASM_OPT_FEATURES := --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
	--enable-sign-ext --enable-mutable-globals --enable-multivalue --enable-reference-types
TFJS_FILES := node_modules/@tensorflow/tfjs/dist/tf.min.js \
	node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js \
	node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm \
	node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm \
	node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm

.PHONY: serve build test lint lint-threads nightly test-native test-wasm test-e2e test-notebook widget fuzz bench bench-open gallery dist size tools browser clean

## Build the site (the wasm cores, vendored idb-keyval and fflate, and TF.js for the benchmark page)
## and serve it cross-origin isolated, so that its pages compute on every core (docs/sharing.md).
serve: build target/release/genlab
	target/release/genlab serve --dir www --pkg pkg --host $(HOST) --port $(PORT) --isolate

build: pkg/genlab_bg.wasm pkg/threads/genlab_bg.wasm pkg/vendor/.stamp www/vendor/.stamp

## Every test: lint, native (unit, integration, doc), wasm in headless Chromium, end-to-end,
## and the notebook widget in a headless JupyterLab.
test: lint test-native test-wasm test-e2e test-notebook

## rustfmt, clippy (native, wasm and the threaded core's wasm; warnings are errors) and ESLint
## on the site and tests.
lint: node_modules/.package-lock.json tools lint-threads
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --target $(WASM_TARGET) --lib -- -D warnings
	cargo clippy -p genlab-widget-core -- -D warnings
	node_modules/.bin/eslint .

## The code only the threaded core compiles (atomics), by nightly clippy in that core's folder.
lint-threads: $(THREADS_DIR)/crate/Cargo.toml | tools nightly
	cd $(THREADS_DIR)/crate && CARGO_TARGET_DIR=.. RUSTFLAGS='$(THREADS_RUSTFLAGS)' cargo +$(NIGHTLY) \
		clippy $(BUILD_STD) --profile wasm --target $(WASM_TARGET) --lib --features threads \
		-- -D warnings

test-native:
	cargo test

## The wasm tests build in the browser core's folder (below), so they test the candle it ships.
test-wasm: tools browser $(BROWSER_DIR)/crate/Cargo.toml
	cd $(BROWSER_DIR)/crate && CARGO_TARGET_DIR=.. CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=300 \
		cargo test --profile wasm --target $(WASM_TARGET) --test wasm

test-e2e: build dist browser node_modules/.package-lock.json
	cargo build
	GENLAB_BIN=target/debug/genlab node --test --test-concurrency=1 tests/e2e/*.test.mjs

## The notebook widget in JupyterLab and marimo, from a virtual environment of pinned packages
## (tests/notebook/requirements.txt, installed once into target/notebook-venv).
test-notebook: widget browser node_modules/.package-lock.json
	cargo build
	tests/notebook/venv.sh widget
	target/notebook-venv/bin/python -m unittest tests/notebook/test_widget.py
	GENLAB_BIN=target/debug/genlab node --test --test-concurrency=1 tests/notebook/*.test.mjs

## The notebook widget, the Python package genlab-widget (`pip install ./widget` after this):
## the page bundled for an iframe (tools/widget.mjs), the core, the presets' files, and `_core`,
## the core's config checks as a Python extension (built in the dev profile, which shares the
## tests' compiled dependencies; it only parses configs).
WIDGET_CORE := widget/genlab_widget/_core.abi3.so
WIDGET_PAGE := widget/genlab_widget/static/files.json
widget: $(WIDGET_PAGE) $(WIDGET_CORE)

$(WIDGET_PAGE): $(DIST_WASM) pkg/vendor/.stamp www/vendor/.stamp tools/widget.mjs www/index.html www/css/site.css \
		$(shell find www/js www/models -type f)
	node tools/widget.mjs widget/genlab_widget/static $(DIST_WASM)

$(WIDGET_CORE): $(RUST_SRC) widget/core/Cargo.toml widget/core/src/lib.rs
	cargo rustc -p genlab-widget-core --lib -- -C strip=debuginfo
	cp target/debug/lib_core.so $@

## The seeded fuzz suites (tests/fuzz.rs, and hostile requests to `genlab serve`) at 100x or
## more the cases `make test` runs: before a release.
fuzz:
	GENLAB_FUZZ_CASES=20000 cargo test --release --test fuzz
	GENLAB_FUZZ_CASES=30000 cargo test --release --test serve seeded_fuzz

## Native vs wasm vs TF.js on the shared workload, each lab natively and in the page, thread
## scaling natively and in the page; each prints a table with ratios. The page runs are of the
## site `make dist` ships (bench-open makes it first).
bench: browser target/release/genlab bench-open
	GENLAB_BIN=target/release/genlab node bench/bench.mjs
	GENLAB_BIN=target/release/genlab node bench/bench-si.mjs
	GENLAB_BIN=target/release/genlab node bench/bench-halluc.mjs
	GENLAB_BIN=target/release/genlab node bench/bench-qlae.mjs
	GENLAB_BIN=target/release/genlab node bench/bench-threads.mjs
	GENLAB_BIN=target/release/genlab node bench/bench-threads-page.mjs

## Opening the site as `make dist` builds it: bytes, core downloads and compiles, time to the
## first painted samples, cold and warm, on localhost and at 10 Mbit/s with 40 ms latency.
bench-open: dist browser target/release/genlab
	GENLAB_BIN=target/release/genlab node bench/bench-open.mjs

## Re-makes the presets gallery (www/gallery/: a thumbnail per preset and presets.json).
gallery: build browser target/release/genlab
	GENLAB_BIN=target/release/genlab node tools/gallery.mjs

## A self-contained static folder for any static host (relative paths: a sub-folder works), made
## afresh each time. tools/dist.mjs names the core by its content (pkg/genlab_bg.<hash>.wasm, which
## `genlab serve` lets browsers cache for good) and writes .br/.gz siblings of large text and wasm.
## widget/ holds the notebook widget's module and page, for MyST's {anywidget} directive.
## The wasm goes through binaryen's wasm-opt -O3 from npm (Debian's wasm-opt 108 breaks
## wasm-bindgen's externref table); that takes minutes, so it is redone only when the wasm changes.
dist: build $(DIST_WASM) $(DIST_THREADS_WASM) node_modules/.package-lock.json
	rm -rf dist && mkdir -p dist/pkg/threads
	cp -r www/. dist/ && cp -r pkg/genlab.js pkg/*.d.ts pkg/snippets pkg/vendor dist/pkg/
	cp -r pkg/threads/genlab.js pkg/threads/snippets dist/pkg/threads/
	node tools/widget.mjs dist/widget && cp widget/genlab_widget/widget.js dist/widget/
	node tools/dist.mjs $(DIST_WASM) $(DIST_THREADS_WASM) dist

$(DIST_WASM): pkg/genlab_bg.wasm node_modules/.package-lock.json
	mkdir -p $(dir $@)
	node_modules/.bin/wasm-opt -O3 $(WASM_OPT_FEATURES) pkg/genlab_bg.wasm -o $@

$(DIST_THREADS_WASM): pkg/threads/genlab_bg.wasm node_modules/.package-lock.json
	mkdir -p $(dir $@)
	node_modules/.bin/wasm-opt -O3 $(WASM_OPT_FEATURES) --enable-threads pkg/threads/genlab_bg.wasm -o $@

WASM_FILE ?= pkg/genlab_bg.wasm
size:
	@echo "$(WASM_FILE): $$(stat -c %s $(WASM_FILE)) bytes raw, $$(gzip -9 -c $(WASM_FILE) | wc -c) bytes gzip"

## Both browser cores build candle-core with patches/candle-core-wasm-f32.patch (its CPU kernels
## for the dtypes the labs compute in only: f32, u32, u8; tools/candle-f32-only.py) and
## patches/candle-core-wasm-ops.patch (none for ops no lab calls; tools/candle-unused-ops.py), and
## gemm-common with patches/gemm-common-wasm-simd128.patch (no scalar kernels in a simd128 core).
## Each builds in a folder of its own, DIR/crate, a copy of the manifest and lock file (with the
## patched copies, DIR/<crate>, under [patch.crates-io]) whose src/, crates/, tests/, www/ and
## widget/ link to these, so the native builds and the lock file here stay untouched.
PATCHED_CRATES := candle-core gemm-common
# $(call crate_src,CRATE): the registry's source of CRATE.
crate_src = $(shell cargo metadata --format-version 1 | node -e "const m = JSON.parse(require('fs').readFileSync(0)); \
	console.log(require('path').dirname(m.packages.find((p) => p.name === '$(1)').manifest_path))")
# $(call patched_crate,DIR,PATCHES): makes DIR/crate and, for each of PATCHED_CRATES, DIR/<crate>
# with the PATCHES named after it (patches/<crate>-wasm-….patch), in the order given.
define patched_crate
	rm -rf $(1)/crate $(addprefix $(1)/,$(PATCHED_CRATES)) && mkdir -p $(1)/crate
	$(foreach c,$(PATCHED_CRATES),cp -r "$(call crate_src,$(c))" $(1)/$(c) && \
		for p in $(filter patches/$(c)-wasm-%,$(2)); do patch -s -d $(1)/$(c) -p1 < $$p || exit 1; done;)
	cp Cargo.lock $(1)/crate/
	for d in src crates tests www widget; do ln -s ../../../$$d $(1)/crate/$$d; done
	{ cat Cargo.toml; printf '\n[patch.crates-io]\n'; \
		$(foreach c,$(PATCHED_CRATES),printf '$(c) = { path = "../$(c)" }\n';) } > $(1)/crate/Cargo.toml
endef

BROWSER_WASM := $(BROWSER_DIR)/$(WASM_TARGET)/wasm/genlab.wasm
## Both browser cores rebuild std with the wasm profile, for size (nightly's build-std), and with
## std's `optimize_for_size`: smaller sorts and number formatting, 17 kB less gzip for the threaded
## core; GenLab's sorts are stable or of distinct keys, so no result changes (docs/benchmarks.md).
BUILD_STD := -Z build-std=panic_abort,std -Z build-std-features=optimize_for_size

BROWSER_PATCHES := patches/candle-core-wasm-f32.patch patches/candle-core-wasm-ops.patch \
	patches/gemm-common-wasm-simd128.patch

$(BROWSER_DIR)/crate/Cargo.toml: Cargo.toml Cargo.lock $(BROWSER_PATCHES)
	$(call patched_crate,$(BROWSER_DIR),$(BROWSER_PATCHES))

pkg/genlab_bg.wasm: $(RUST_SRC) $(BROWSER_DIR)/crate/Cargo.toml | tools nightly
	cd $(BROWSER_DIR)/crate && CARGO_TARGET_DIR=.. cargo +$(NIGHTLY) build $(BUILD_STD) --profile wasm \
		--target $(WASM_TARGET) --lib
	wasm-bindgen --target web --out-dir pkg $(BROWSER_WASM)

## The threaded core (pkg/threads/), for cross-origin isolated pages: atomics and shared memory,
## so std is rebuilt by nightly's build-std (rust-src). Setting RUSTFLAGS drops .cargo/config.toml's,
## so they are repeated. candle-core also gets patches/candle-core-wasm-threads.patch (its
## elementwise ops and thread count use rayon's pool).
NIGHTLY ?= nightly
THREADS_WASM := $(THREADS_DIR)/$(WASM_TARGET)/wasm/genlab.wasm
THREADS_RUSTFLAGS := -C target-feature=+atomics,+bulk-memory,+mutable-globals,+simd128 \
	-C link-arg=--max-memory=4294967296 --cfg getrandom_backend="wasm_js"
# wasm-bindgen's threads need the memory shared and imported, and the TLS symbols exported.
THREADS_LINK_ARGS := -C link-arg=--shared-memory -C link-arg=--import-memory \
	-C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size \
	-C link-arg=--export=__tls_align -C link-arg=--export=__tls_base
THREADS_PATCHES := $(BROWSER_PATCHES) patches/candle-core-wasm-threads.patch

$(THREADS_DIR)/crate/Cargo.toml: Cargo.toml Cargo.lock $(THREADS_PATCHES)
	$(call patched_crate,$(THREADS_DIR),$(THREADS_PATCHES))

## Nightly with rust-src, for build-std.
nightly:
	@rustup toolchain list | grep -q '^$(NIGHTLY)' || rustup toolchain install $(NIGHTLY) --profile minimal
	@rustup component list --toolchain $(NIGHTLY) --installed | grep -q '^rust-src' || \
		rustup component add rust-src --toolchain $(NIGHTLY)

pkg/threads/genlab_bg.wasm: $(RUST_SRC) $(THREADS_DIR)/crate/Cargo.toml | tools nightly
	cd $(THREADS_DIR)/crate && CARGO_TARGET_DIR=.. RUSTFLAGS='$(THREADS_RUSTFLAGS)' cargo +$(NIGHTLY) \
		rustc $(BUILD_STD) --profile wasm --target $(WASM_TARGET) -p genlab --lib --features threads \
		-- $(THREADS_LINK_ARGS)
	rm -rf pkg/threads
	wasm-bindgen --target web --remove-name-section --out-dir pkg/threads $(THREADS_WASM)

pkg/vendor/.stamp: node_modules/.package-lock.json
	mkdir -p pkg/vendor && cp $(TFJS_FILES) pkg/vendor/ && touch $@

## The site's own npm modules (ES modules, copied as they are): IndexedDB storage, deflate.
www/vendor/.stamp: node_modules/.package-lock.json
	mkdir -p www/vendor
	cp node_modules/idb-keyval/dist/index.js www/vendor/idb-keyval.js
	cp node_modules/fflate/esm/browser.js www/vendor/fflate.js
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

target/release/genlab: $(RUST_SRC)
	cargo build --release

## The wasm target, clippy, rustfmt and the wasm-bindgen CLI at exactly the version Cargo.toml pins.
tools:
	@grep -q '^wasm-bindgen = "=$(WASM_BINDGEN_VERSION)"' Cargo.toml || \
		{ echo "Cargo.toml must pin wasm-bindgen = \"=$(WASM_BINDGEN_VERSION)\" (the CLI version)"; exit 1; }
	@rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	@rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	@[ "$$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $(WASM_BINDGEN_VERSION)" ] || \
		cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --force

## Debian's Chromium and ChromeDriver for the browser tests.
browser:
	@[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] || \
		{ $(SUDO) apt-get update && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver; }

clean:
	cargo clean
	rm -rf pkg dist node_modules www/vendor widget/genlab_widget/static $(WIDGET_CORE)
