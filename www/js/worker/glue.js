// wasm-bindgen's JavaScript for the core this worker is handed: the threaded core's
// (pkg/threads/) when the page started the worker with `?threads=N` (see core.js), else the
// single-threaded core's. The two export the same classes and functions. Both are imported
// statically (the wasm comes from the page, not from these): a worker that awaited a dynamic
// import before setting `onmessage` would miss the page's first messages.
import * as single from '../../pkg/genlab.js';
import * as threaded from '../../pkg/threads/genlab.js';

/** The pool size the page asked for: 0 for the single-threaded core. */
export const threads = Number(new URLSearchParams(self.location.search).get('threads')) || 0;

/** The core's module namespace (its default export instantiates the compiled core). */
export const glue = threads ? threaded : single;
