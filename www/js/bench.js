// The benchmark page: times W1 (bench-protocol.js) in GenLab's wasm core and in TF.js's wasm
// backend and publishes the figures on `window.benchResults` for bench/bench.mjs and the tests.
//
// By default each runtime computes where the labs do, off the page's main thread: GenLab's core
// in a lab worker (the single-threaded core, in a page that is not cross-origin isolated), TF.js
// in a worker of its own (bench-tfjs-worker.js). `?main` runs both on the page's main thread
// instead, where TF.js is loaded by the page's classic UMD scripts (the global `tf`).
//
// `?rounds=N` alternates the runtimes N times (GenLab, then TF.js, in each round) and reports
// each runtime's median speed and the median of the rounds' ratios: this machine's speed drifts
// by a quarter within minutes, which swung a ratio of runtimes timed once each, one after the other.
//
// `?threads=N` runs only GenLab's threaded core, in a lab worker with a pool of N threads (the page
// must be cross-origin isolated); `?tfjsThreads=N`, only TF.js's threaded-SIMD backend, in its worker.
import init, { Bench } from '../pkg/genlab.js';
import { BATCH, FORWARD_POINTS, SEED, SIZES, WARMUP, medianOf, roundRatio, runProtocol } from './bench-protocol.js';
import { runTfjs, setUpTfjs } from './bench-tfjs.js';
import { coreThreads } from './core.js';
import { LabWorker } from './lab-worker.js';

/** GenLab's optimizer on W1, as the core's bench sets it (src/bench.rs). */
const GENLAB_OPTIMIZER = 'AdamW(lr=1e-3, weight_decay=0.01)';

const statusEl = document.getElementById('status');
/** Which round runs now (`?rounds=N`), said before each phase. */
let roundText = '';
const table = document.getElementById('results');

function setStatus(text, kind = '') {
  statusEl.textContent = kind ? text : `${roundText}${text}`;
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

/** GenLab's single-threaded core on the page's main thread (`?main`): `run(steps, reps)` times it. */
async function genlabOnMainThread() {
  setStatus('Running GenLab wasm: loading…');
  await init();
  const bench = new Bench(SEED);
  return {
    run: async (steps, reps) => {
      const r = await runProtocol('GenLab wasm', {
        trainStep: () => bench.trainStep(),
        forward: () => bench.forward(),
      }, steps, reps, phase);
      return { ...r, threads: 1, optimizer: GENLAB_OPTIMIZER };
    },
    close: () => bench.free(),
  };
}

/**
 * GenLab's core in a lab worker, as the labs train: the single-threaded core, or in a cross-origin
 * isolated page the threaded one (whose pool only a worker may start). `threads`, when given, is
 * the pool size the page must have picked (`?threads=N`). `run(steps, reps)` times it; its bench
 * session trains on from one run to the next.
 */
async function genlabInWorker(threads = null) {
  setStatus('Running GenLab wasm in a lab worker: loading…');
  const worker = new LabWorker();
  try {
    const { threads: pool } = await worker.request({ type: 'catalog' });
    if (threads !== null && pool !== threads) throw new Error(`the core computes on ${pool} threads, not the ${threads} asked for`);
    await worker.request({ type: 'configure', lab: 'bench', config: { seed: SEED } });
    // coreThreads is 0 for the single-threaded core, which computes on one
    const label = coreThreads ? `GenLab wasm, threaded core (${pool} thread${pool === 1 ? '' : 's'})` : 'GenLab wasm in a lab worker';
    return {
      label,
      run: async (steps, reps) => {
        const { result } = await worker.request({ type: 'protocol', label, steps, reps }, ({ type, text }) => type === 'phase' && setStatus(text));
        return { ...result, threads: pool, core: coreThreads ? 'threaded' : 'single-threaded', optimizer: GENLAB_OPTIMIZER };
      },
      close: () => worker.close(),
    };
  } catch (err) {
    worker.close();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// TF.js (wasm backend)

/**
 * TF.js in its own worker (bench-tfjs-worker.js) on `threads` threads. `run(steps, reps, models)`
 * times the models, a list of 'plain' (the model as TF.js users write it) and 'explicit' (explicit
 * transposes in the dense layers' gradient), and resolves to the worker's `done` message.
 */
function tfjsInWorker(threads = 1) {
  const worker = new Worker(new URL('./bench-tfjs-worker.js', import.meta.url), { type: 'module' });
  let pending = null;
  worker.onmessage = ({ data }) => {
    if (data.type === 'phase') setStatus(data.text);
    else if (data.type === 'done') pending?.resolve(data);
    else pending?.reject(new Error(data.message));
  };
  worker.onerror = (e) => pending?.reject(new Error(`the TF.js worker failed to start: ${e.message || 'no message (a script failed to load?)'}`));
  return {
    run: (steps, reps, models) => new Promise((resolve, reject) => {
      pending = { resolve, reject };
      worker.postMessage({ steps, reps, threads, models });
    }),
    close: () => worker.terminate(),
  };
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
  const rounds = intParam(params, 'rounds', 1);
  document.getElementById('protocol').textContent =
    `This run: ${WARMUP} warm-up steps and forwards, then ${steps} timed training steps and ${reps} timed forward passes per runtime`
    + (rounds > 1 ? `, in each of ${rounds} rounds that alternate the runtimes (medians shown).` : '.');

  if (params.has('threads')) return runThreadedGenlab(intParam(params, 'threads', 1), steps, reps);
  const tfjsThreads = intParam(params, 'tfjsThreads', 1);
  if (tfjsThreads > 1) return runThreadedTfjs(tfjsThreads, steps, reps);
  return params.has('main') ? runOnMainThread(steps, reps, rounds) : runInWorkers(steps, reps, rounds);
}

/**
 * Runs `round()` (→ {genlab, tfjs, tfjsExplicitTranspose}, each runtime timed once) `rounds` times
 * and combines them: each runtime's first round (its losses) with its median speeds and every
 * round's speeds, and GenLab's median ratios to both TF.js models over the rounds. `show(rows)`
 * shows the medians so far.
 */
async function alternate(rounds, round, show) {
  const runs = [];
  for (let i = 0; i < rounds; i++) {
    roundText = rounds > 1 ? `Round ${i + 1} of ${rounds}. ` : '';
    runs.push(await round());
    show(combine(runs));
  }
  roundText = '';
  return combine(runs);
}

function combine(runs) {
  const of = (key) => runs.map((r) => r[key]);
  const results = Object.fromEntries(Object.keys(runs[0]).map((key) => [key, medianOf(of(key))]));
  const ratios = {
    genlabOverTfjs: roundRatio(of('genlab'), of('tfjs')),
    genlabOverTfjsExplicitTranspose: roundRatio(of('genlab'), of('tfjsExplicitTranspose')),
  };
  return { results, ratios };
}

/** The default: GenLab in a lab worker, then both TF.js models in a worker of their own, `rounds` times. */
async function runInWorkers(steps, reps, rounds) {
  const genlab = await genlabInWorker();
  const tfjs = tfjsInWorker();
  let tensorsLeft;
  try {
    const show = ({ results: r }) => showTable([
      [genlab.label, r.genlab],
      [`TF.js ${r.tfjs.backend} in a worker (1 thread)`, r.tfjs],
      [`TF.js ${r.tfjs.backend} in a worker (1 thread), explicit transposes`, r.tfjsExplicitTranspose],
    ]);
    const { results, ratios } = await alternate(rounds, async () => {
      const ours = await genlab.run(steps, reps);
      const theirs = await tfjs.run(steps, reps, ['plain', 'explicit']);
      tensorsLeft = theirs.tensorsLeft;
      return { genlab: ours, tfjs: theirs.results.plain, tfjsExplicitTranspose: theirs.results.explicit };
    }, show);
    done(ratios);
    finish({ ...results, ratios }, tensorsLeft, steps, reps, rounds, 'workers');
  } finally {
    genlab.close();
    tfjs.close();
  }
}

/** `?main`: both runtimes on the page's main thread, one after the other, `rounds` times. */
async function runOnMainThread(steps, reps, rounds) {
  // Fail before the long GenLab run if TF.js's scripts did not load.
  if (!globalThis.tf?.wasm) throw new Error('TF.js did not load (expected /pkg/vendor/tf.min.js and tf-backend-wasm.min.js)');
  const genlab = await genlabOnMainThread();
  try {
    setStatus('Running TF.js wasm: loading…');
    const setup = await setUpTfjs();
    const threadText = `${setup.threads} thread${setup.threads === 1 ? '' : 's'}`;
    const show = ({ results: r }) => showTable([
      ['GenLab wasm (main thread)', r.genlab],
      [`TF.js ${setup.backend} (main thread, ${threadText})`, r.tfjs],
      [`TF.js ${setup.backend} (main thread, ${threadText}), explicit transposes`, r.tfjsExplicitTranspose],
    ]);
    const { results, ratios } = await alternate(rounds, async () => ({
      genlab: await genlab.run(steps, reps),
      tfjs: await runTfjs('TF.js wasm', setup, steps, reps, { phase }),
      tfjsExplicitTranspose: await runTfjs('TF.js wasm, explicit transposes', setup, steps, reps, { explicitTranspose: true, phase }),
    }), show);
    done(ratios);
    finish({ ...results, ratios }, setup.tf.memory().numTensors, steps, reps, rounds, 'main thread');
  } finally {
    genlab.close();
  }
}

/** The closing status: GenLab's ratios to both TF.js models. */
function done({ genlabOverTfjs: plain, genlabOverTfjsExplicitTranspose: explicit }) {
  const x = (r) => `${r.toFixed(2)}×`;
  setStatus(`Done. GenLab wasm / TF.js wasm: train ${x(plain.train)} (${x(explicit.train)} against explicit transposes), `
    + `forward ${x(plain.forward)} (${x(explicit.forward)}).`, 'done');
}

/**
 * Publishes a run's `results` with what every run reports, for bench/bench.mjs and the tests:
 * `tensorsLeft` is what TF.js still holds after its runs (0, unless it leaked), `where` where the
 * runtimes computed.
 */
function finish(results, tensorsLeft, steps, reps, rounds, where) {
  window.benchResults = {
    ...results,
    tfjsTensorsLeft: tensorsLeft,
    where,
    protocol: { steps, reps, rounds, warmup: WARMUP, batch: BATCH, forwardPoints: FORWARD_POINTS, sizes: SIZES },
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    userAgent: navigator.userAgent,
    done: true,
  };
}

/** `?tfjsThreads=N`: only TF.js with explicit transposes (the fair peer) on N threads, in its worker. */
async function runThreadedTfjs(threads, steps, reps) {
  // the worker refuses threads in a page that is not cross-origin isolated (setUpTfjs)
  setStatus(`Running TF.js wasm on ${threads} threads in a worker: loading…`);
  const tfjs = tfjsInWorker(threads);
  try {
    const { results: { explicit }, tensorsLeft } = await tfjs.run(steps, reps, ['explicit']);
    // TF.js reports the threads its pool really has, which may be fewer than asked
    const label = `TF.js ${explicit.backend} in a worker, explicit transposes (${threads} threads asked, ${explicit.threads} reported)`;
    showTable([[label, explicit]]);
    setStatus('Done.', 'done');
    finish({ tfjsExplicitTranspose: { ...explicit, requestedThreads: threads } }, tensorsLeft, steps, reps, 1, 'workers');
  } finally {
    tfjs.close();
  }
}

/** `?threads=N`: only GenLab's threaded core, in a lab worker whose pool has N threads. */
async function runThreadedGenlab(threads, steps, reps) {
  if (!globalThis.crossOriginIsolated) {
    throw new Error(`GenLab on ${threads} threads needs a cross-origin isolated page (genlab serve --isolate)`);
  }
  const genlab = await genlabInWorker(threads);
  try {
    const result = await genlab.run(steps, reps);
    showTable([[genlab.label, result]]);
    setStatus('Done.', 'done');
    finish({ genlab: result }, undefined, steps, reps, 1, 'workers');
  } finally {
    genlab.close();
  }
}

main().catch((e) => {
  const message = e instanceof Error ? e.message : String(e);
  console.error('benchmark failed:', e);
  setStatus(`Benchmark failed: ${message}`, 'error');
  window.benchResults = { error: message, done: true };
});
