// The GenLab core (pkg/genlab_bg.wasm, 1.9 MB), downloaded and compiled once per page. Every
// worker the page starts is handed this one compiled module and only instantiates it: a worker
// that fetched its own copy made each lab (and each embedded widget) pay the download and the
// compile again. Its body is read through a counting stream (downloads.js): the page shows the
// bytes received in each plot's loading placeholder, still from one download and one compile.
//
// A cross-origin isolated page on a machine with more than one core runs the threaded core
// instead (pkg/threads/): its lab workers compute on a pool of Web Workers sharing the core's
// memory. Only one of the two is downloaded. Both compute the same bits.
import { current, ended, track } from './downloads.js';
import { siteFetch, siteParams } from './site.js';
import { stage } from './startup.js';

// From the site's root, so the site also works from a sub-folder of any static host. `make dist`
// rewrites these names to the cores' content-hashed copies (tools/dist.mjs), which browsers may keep.
const CORE = 'pkg/genlab_bg.wasm';
const THREADED_CORE = 'pkg/threads/genlab_bg.wasm';
/** The most threads a lab's worker computes on: past this, the labs' small products gain nothing. */
export const MAX_THREADS = 16;

/**
 * The threads each lab's worker computes on: 0 for the single-threaded core, else the size of the
 * threaded core's pool. Threads need shared memory, which only a cross-origin isolated page has
 * (COOP/COEP headers; `genlab serve --isolate`). `?threads=N` asks for N (1 to MAX_THREADS) in
 * such a page; without it, one per core the browser reports.
 */
export const coreThreads = pickThreads(siteParams.get('threads'), globalThis.crossOriginIsolated === true, navigator.hardwareConcurrency ?? 1);

/** Why the page does not compute on the `?threads=` it was asked for, or null (see `pickThreads`). */
export const threadsProblem = threadsNotFollowed(siteParams.get('threads'), globalThis.crossOriginIsolated === true);

function asked(value) {
  const n = Number(value ?? NaN);
  return Number.isInteger(n) && n >= 1 && n <= MAX_THREADS ? n : null;
}

function pickThreads(value, isolated, cores) {
  if (!isolated) return 0;
  return asked(value) ?? (cores > 1 ? Math.min(cores, MAX_THREADS) : 0);
}

function threadsNotFollowed(value, isolated) {
  if (value === null) return null;
  const shown = `“threads=${value.slice(0, 20)}”`;
  if (asked(value) === null) return `${shown} is not a thread count (a whole number from 1 to ${MAX_THREADS}); computing on ${coreThreads || 1}.`;
  if (!isolated) return `${shown} needs a cross-origin isolated page (see the docs on sharing); this one computes on 1 thread.`;
  return null;
}

let compiled = null;

/** Resolves to the compiled core (a `WebAssembly.Module`); the first call starts the download. */
export function loadCore() {
  // a failed download is tried again by the next worker that starts (the next view shown)
  compiled ??= compile().catch((err) => {
    stage(`core: failed (${err.message})`);
    compiled = null;
    throw err;
  });
  return compiled;
}

/** Resolves after `ms` milliseconds. */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * On a static host's first visit, coi-serviceworker (which `make dist` adds to the pages) is about
 * to reload the page as a cross-origin isolated one: the single-threaded core would be downloaded
 * for nothing. Waits for that reload, a few seconds at most: a browser that cannot run the service
 * worker (a private window, say) goes on with the single-threaded core. Returns null, not a
 * promise, when there is nothing to wait for.
 */
function isolationReload() {
  const sw = globalThis.navigator?.serviceWorker;
  if (coreThreads || !sw || !globalThis.document?.querySelector('script[src$="coi-serviceworker.js"]')) return null;
  // Served through the service worker, yet not isolated: a browser it cannot isolate. (One that
  // only took control of this page while it loaded is about to reload it.)
  if (sw.controller && servedByServiceWorker()) return null;
  return Promise.race([sw.ready.then(() => true), sleep(3000).then(() => false)])
    .then((active) => active && sleep(5000));
}

/** Whether this page's own navigation went through a service worker. */
function servedByServiceWorker() {
  return (performance.getEntriesByType('navigation')[0]?.workerStart ?? 0) > 0;
}

async function compile() {
  // Without a reload to wait for, the download starts within this call. Behind even an `await` of
  // nothing it started only once main.js's module had run (40–50 ms later, seen in startup.js's
  // record of a cold load).
  const reload = isolationReload();
  if (reload) await reload;
  const core = coreThreads ? THREADED_CORE : CORE;
  stage(`core: downloading ${core}`);
  let response;
  try {
    response = await siteFetch(core);
  } catch (err) {
    throw new Error(`the GenLab core could not be downloaded (${err.message})`, { cause: err });
  }
  if (!response.ok) throw new Error(`the GenLab core could not be downloaded (${core}: HTTP ${response.status})`);
  // the counted copy keeps the headers, so streaming still sees the wasm MIME type; with
  // Content-Encoding the counted bytes are decoded ones and there is no total (see downloads.js)
  response = track(response, 'core');
  // Streaming compiles while the bytes arrive, but only takes the wasm MIME type; a host that
  // serves another one gets the slower path, from the same download.
  const type = response.headers.get('Content-Type')?.split(';')[0].trim().toLowerCase();
  try {
    const module = type === 'application/wasm'
      ? await WebAssembly.compileStreaming(response)
      : await WebAssembly.compile(await response.arrayBuffer());
    stage('core: compiled');
    return module;
  } catch (err) {
    ended(current('core'));
    throw new Error(`the GenLab core could not be loaded (${err.message})`, { cause: err });
  }
}
