// The benchmark page: times W1 (bench-protocol.js) in GenLab's wasm core and in TF.js's wasm
// backend, one after the other, and publishes the figures on `window.benchResults` for
// bench/bench.mjs and the tests.
//
// By default each runtime computes where the labs do, off the page's main thread: GenLab's core
// in a lab worker (the single-threaded core, in a page that is not cross-origin isolated), TF.js
// in a worker of its own (bench-tfjs-worker.js). `?main` runs both on the page's main thread
// instead, where TF.js is loaded by the page's classic UMD scripts (the global `tf`).
//
// `?threads=N` runs only GenLab's threaded core, in a lab worker with a pool of N threads (the page
// must be cross-origin isolated); `?tfjsThreads=N`, only TF.js's threaded-SIMD backend, in its worker.
import init, { Bench } from '../pkg/genlab.js';
import { BATCH, FORWARD_POINTS, SEED, SIZES, WARMUP, runProtocol } from './bench-protocol.js';
import { runTfjs, setUpTfjs } from './bench-tfjs.js';
import { coreThreads } from './core.js';
import { LabWorker } from './lab-worker.js';

/** GenLab's optimizer on W1, as the core's bench sets it (src/bench.rs). */
const GENLAB_OPTIMIZER = 'AdamW(lr=1e-3, weight_decay=0.01)';

const statusEl = document.getElementById('status');
const table = document.getElementById('results');

function setStatus(text, kind = '') {
  statusEl.textContent = text;
  statusEl.className = kind;
}

/** A positive integer from the query string, or `fallback`. */
function intParam(params, name, fallback) {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`?${name}= must be a positive integer, got "${raw}"`);
  return n;
}

/** Shows `text` and lets the page repaint it; called between phases, never inside a timed loop. */
async function phase(text) {
  setStatus(text);
  await new Promise((resolve) => setTimeout(resolve, 0));
}

// ---------------------------------------------------------------------------------------------
// GenLab (candle → wasm)

/** GenLab's single-threaded core on the page's main thread (`?main`). */
async function runGenlabOnMainThread(steps, reps) {
  setStatus('Running GenLab wasm: loading…');
  await init();
  const bench = new Bench(SEED);
  try {
    const r = await runProtocol('GenLab wasm', {
      trainStep: () => bench.trainStep(),
      forward: () => bench.forward(),
    }, steps, reps, phase);
    return { ...r, threads: 1, optimizer: GENLAB_OPTIMIZER };
  } finally {
    bench.free();
  }
}

/**
 * GenLab's core in a lab worker, as the labs train: the single-threaded core, or in a cross-origin
 * isolated page the threaded one (whose pool only a worker may start). `threads`, when given, is
 * the pool size the page must have picked (`?threads=N`).
 */
async function runGenlabInWorker(steps, reps, threads = null) {
  setStatus('Running GenLab wasm in a lab worker: loading…');
  const worker = new LabWorker();
  try {
    const { threads: pool } = await worker.request({ type: 'catalog' });
    if (threads !== null && pool !== threads) throw new Error(`the core computes on ${pool} threads, not the ${threads} asked for`);
    await worker.request({ type: 'configure', lab: 'bench', config: { seed: SEED } });
    // coreThreads is 0 for the single-threaded core, which computes on one
    const label = coreThreads ? `GenLab wasm, threaded core (${pool} thread${pool === 1 ? '' : 's'})` : 'GenLab wasm in a lab worker';
    const { result } = await worker.request({ type: 'protocol', label, steps, reps }, ({ type, text }) => type === 'phase' && setStatus(text));
    return { label, result: { ...result, threads: pool, core: coreThreads ? 'threaded' : 'single-threaded', optimizer: GENLAB_OPTIMIZER } };
  } finally {
    worker.close();
  }
}

// ---------------------------------------------------------------------------------------------
// TF.js (wasm backend)

/**
 * TF.js in its own worker (bench-tfjs-worker.js) on `threads` threads: `models` is a list of
 * 'plain' (the model as TF.js users write it) and 'explicit' (explicit transposes in the dense
 * layers' gradient). Resolves to the worker's `done` message.
 */
function runTfjsInWorker(steps, reps, { threads = 1, models }) {
  const worker = new Worker(new URL('./bench-tfjs-worker.js', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onmessage = ({ data }) => {
      if (data.type === 'phase') setStatus(data.text);
      else if (data.type === 'done') resolve(data);
      else reject(new Error(data.message));
    };
    worker.onerror = (e) => reject(new Error(`the TF.js worker failed to start: ${e.message || 'no message (a script failed to load?)'}`));
    worker.postMessage({ steps, reps, threads, models });
  }).finally(() => worker.terminate());
}

// ---------------------------------------------------------------------------------------------
// The page

const fmt = (v, digits = 0) => v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function showTable(rows) {
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const [name, r] of rows) {
    const tr = document.createElement('tr');
    for (const text of [name, fmt(r.stepsPerSec, 2), fmt(r.samplesPerSec), r.firstLoss.toFixed(4), r.finalLoss.toFixed(4)]) {
      const td = document.createElement(tr.children.length === 0 ? 'th' : 'td');
      td.textContent = text;
      if (tr.children.length === 0) td.scope = 'row';
      tr.append(td);
    }
    body.append(tr);
  }
  table.hidden = false;
}

async function main() {
  const params = new URLSearchParams(location.search);
  const steps = intParam(params, 'steps', 30);
  const reps = intParam(params, 'reps', 10);
  document.getElementById('protocol').textContent =
    `This run: ${WARMUP} warm-up steps and forwards, then ${steps} timed training steps and ${reps} timed forward passes per runtime.`;

  if (params.has('threads')) return runThreadedGenlab(intParam(params, 'threads', 1), steps, reps);
  const tfjsThreads = intParam(params, 'tfjsThreads', 1);
  if (tfjsThreads > 1) return runThreadedTfjs(tfjsThreads, steps, reps);
  return params.has('main') ? runOnMainThread(steps, reps) : runInWorkers(steps, reps);
}

/** The default: GenLab in a lab worker, then both TF.js models in a worker of their own. */
async function runInWorkers(steps, reps) {
  const { label, result: genlab } = await runGenlabInWorker(steps, reps);
  const rows = [[label, genlab]];
  showTable(rows);
  setStatus('Running TF.js wasm in a worker: loading…');
  const tfjs = await runTfjsInWorker(steps, reps, { models: ['plain', 'explicit'] });
  const { plain, explicit } = tfjs.results;
  rows.push([`TF.js ${plain.backend} in a worker (1 thread)`, plain], [`TF.js ${explicit.backend} in a worker (1 thread), explicit transposes`, explicit]);
  showTable(rows);
  done(genlab, plain, explicit);
  finish({ genlab, tfjs: plain, tfjsExplicitTranspose: explicit }, tfjs.tensorsLeft, steps, reps, 'workers');
}

/** `?main`: both runtimes on the page's main thread, one after the other. */
async function runOnMainThread(steps, reps) {
  // Fail before the long GenLab run if TF.js's scripts did not load.
  if (!globalThis.tf?.wasm) throw new Error('TF.js did not load (expected /pkg/vendor/tf.min.js and tf-backend-wasm.min.js)');
  const genlab = await runGenlabOnMainThread(steps, reps);
  const rows = [['GenLab wasm (main thread)', genlab]];
  showTable(rows);
  setStatus('Running TF.js wasm: loading…');
  const setup = await setUpTfjs();
  const threadText = `${setup.threads} thread${setup.threads === 1 ? '' : 's'}`;
  const tfjs = await runTfjs('TF.js wasm', setup, steps, reps, { phase });
  rows.push([`TF.js ${tfjs.backend} (main thread, ${threadText})`, tfjs]);
  showTable(rows);
  const tfjsExplicit = await runTfjs('TF.js wasm, explicit transposes', setup, steps, reps, { explicitTranspose: true, phase });
  rows.push([`TF.js ${tfjs.backend} (main thread, ${threadText}), explicit transposes`, tfjsExplicit]);
  showTable(rows);
  done(genlab, tfjs, tfjsExplicit);
  finish({ genlab, tfjs, tfjsExplicitTranspose: tfjsExplicit }, setup.tf.memory().numTensors, steps, reps, 'main thread');
}

/** The closing status: GenLab's ratios to both TF.js models. */
function done(genlab, tfjs, tfjsExplicit) {
  const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
  setStatus(`Done. GenLab wasm / TF.js wasm: train ${ratio(genlab.stepsPerSec, tfjs.stepsPerSec)} `
    + `(${ratio(genlab.stepsPerSec, tfjsExplicit.stepsPerSec)} against explicit transposes), `
    + `forward ${ratio(genlab.samplesPerSec, tfjs.samplesPerSec)} (${ratio(genlab.samplesPerSec, tfjsExplicit.samplesPerSec)}).`, 'done');
}

/**
 * Publishes a run's `results` with what every run reports, for bench/bench.mjs and the tests:
 * `tensorsLeft` is what TF.js still holds after its runs (0, unless it leaked), `where` where the
 * runtimes computed.
 */
function finish(results, tensorsLeft, steps, reps, where) {
  window.benchResults = {
    ...results,
    tfjsTensorsLeft: tensorsLeft,
    where,
    protocol: { steps, reps, warmup: WARMUP, batch: BATCH, forwardPoints: FORWARD_POINTS, sizes: SIZES },
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    userAgent: navigator.userAgent,
    done: true,
  };
}

/** `?tfjsThreads=N`: only TF.js with explicit transposes (the fair peer) on N threads, in its worker. */
async function runThreadedTfjs(threads, steps, reps) {
  // the worker refuses threads in a page that is not cross-origin isolated (setUpTfjs)
  setStatus(`Running TF.js wasm on ${threads} threads in a worker: loading…`);
  const tfjs = await runTfjsInWorker(steps, reps, { threads, models: ['explicit'] });
  const { explicit } = tfjs.results;
  // TF.js reports the threads its pool really has, which may be fewer than asked
  const label = `TF.js ${explicit.backend} in a worker, explicit transposes (${threads} threads asked, ${explicit.threads} reported)`;
  showTable([[label, explicit]]);
  setStatus('Done.', 'done');
  finish({ tfjsExplicitTranspose: { ...explicit, requestedThreads: threads } }, tfjs.tensorsLeft, steps, reps, 'workers');
}

/** `?threads=N`: only GenLab's threaded core, in a lab worker whose pool has N threads. */
async function runThreadedGenlab(threads, steps, reps) {
  if (!globalThis.crossOriginIsolated) {
    throw new Error(`GenLab on ${threads} threads needs a cross-origin isolated page (genlab serve --isolate)`);
  }
  const { label, result: genlab } = await runGenlabInWorker(steps, reps, threads);
  showTable([[label, genlab]]);
  setStatus('Done.', 'done');
  finish({ genlab }, undefined, steps, reps, 'workers');
}

main().catch((e) => {
  const message = e instanceof Error ? e.message : String(e);
  console.error('benchmark failed:', e);
  setStatus(`Benchmark failed: ${message}`, 'error');
  window.benchResults = { error: message, done: true };
});
