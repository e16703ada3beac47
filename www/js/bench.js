// The benchmark page: times the shared workload (MLP 3→256×3→2, SiLU, MSE, fixed batch of 1024;
// forward over 5,000 points) in GenLab's wasm build and in TF.js's wasm backend, one after the
// other, and publishes the figures on `window.benchResults` for the e2e benchmark and tests.
//
// TF.js is loaded by the page as classic UMD scripts (the global `tf`) from /pkg/vendor/.
//
// `?threads=N` runs only GenLab's threaded core, in a lab worker with a pool of N threads (the page
// must be cross-origin isolated); `?tfjsThreads=N`, only TF.js's threaded-SIMD backend.
import init, { Bench } from '../pkg/genlab.js';
import { FORWARD_POINTS, WARMUP, runProtocol } from './bench-protocol.js';
import { LabWorker } from './lab-worker.js';

const BATCH = 1024;
const SIZES = [3, 256, 256, 256, 2];
const SEED = 0;
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

async function runGenlab(steps, reps) {
  setStatus('Running GenLab wasm: loading…');
  await init();
  const bench = new Bench(SEED);
  try {
    const r = await runProtocol('GenLab wasm', {
      trainStep: () => bench.trainStep(),
      forward: () => bench.forward(),
    }, steps, reps, phase);
    return { ...r, optimizer: GENLAB_OPTIMIZER };
  } finally {
    bench.free();
  }
}

// ---------------------------------------------------------------------------------------------
// TF.js (wasm backend)

/**
 * TF.js's wasm backend on `threads` threads: 1 picks the single-threaded SIMD binary even where
 * SharedArrayBuffer exists; more pick its threaded-SIMD binary, which needs a cross-origin
 * isolated page. The count is fixed when the backend starts, so each count is its own page load.
 */
async function setUpTfjs(threads = 1) {
  const tf = globalThis.tf;
  if (!tf || !tf.wasm) throw new Error('TF.js did not load (expected /pkg/vendor/tf.min.js and tf-backend-wasm.min.js)');
  if (threads > 1 && !globalThis.crossOriginIsolated) {
    throw new Error(`TF.js on ${threads} threads needs a cross-origin isolated page (genlab serve --isolate)`);
  }
  tf.wasm.setWasmPaths(new URL('../pkg/vendor/', import.meta.url).href);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threads > 1);
  tf.wasm.setThreadsCount(threads);
  const ok = await tf.setBackend('wasm');
  if (!ok || tf.getBackend() !== 'wasm') throw new Error(`TF.js wasm backend failed to initialise (backend: ${tf.getBackend()})`);
  await tf.ready();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return { tf, backend: tf.getBackend(), threads: tf.wasm.getThreadsCount(), simd };
}

/**
 * A dense layer y = x·w + b whose gradient transposes its operands explicitly before multiplying.
 * TF.js's own gradient of matMul asks the wasm backend for x·wᵀ and xᵀ·dy with the transpose
 * flags set, which misses XNNPACK's fast path and is ~10–15× slower than an explicit transpose
 * followed by a plain matMul (measured on this workload). Same maths, only the kernels differ.
 */
function explicitTransposeDense(tf) {
  return tf.customGrad((x, w, b, save) => {
    save([x, w]);
    return {
      value: tf.fused.matMul({ a: x, b: w, bias: b }),
      gradFunc: (dy, [xs, ws]) => [
        tf.matMul(dy, tf.transpose(ws)),
        tf.matMul(tf.transpose(xs), dy),
        tf.sum(dy, 0),
      ],
    };
  });
}

/**
 * The MLP with PyTorch's Linear init: weight [in, out] and bias [out], both U(±1/√fan_in).
 * `explicitTranspose` swaps TF.js's built-in matMul gradient for {@link explicitTransposeDense}.
 */
function buildTfModel(tf, { explicitTranspose = false } = {}) {
  const layers = [];
  for (let i = 0; i + 1 < SIZES.length; i++) {
    const [fanIn, fanOut] = [SIZES[i], SIZES[i + 1]];
    const bound = 1 / Math.sqrt(fanIn);
    // Inside tidy so the initial values are released once the variables hold their own copy.
    layers.push(tf.tidy(() => ({
      w: tf.variable(tf.randomUniform([fanIn, fanOut], -bound, bound, 'float32', SEED + 2 * i + 1), true),
      b: tf.variable(tf.randomUniform([fanOut], -bound, bound, 'float32', SEED + 2 * i + 2), true),
    })));
  }
  const dense = explicitTranspose
    ? explicitTransposeDense(tf)
    : (x, w, b) => tf.fused.matMul({ a: x, b: w, bias: b });
  const forward = (x) => {
    let h = x;
    layers.forEach(({ w, b }, i) => {
      h = dense(h, w, b);
      if (i + 1 < layers.length) h = tf.mul(h, tf.sigmoid(h)); // SiLU
    });
    return h;
  };
  const dispose = () => layers.forEach(({ w, b }) => { w.dispose(); b.dispose(); });
  return { forward, dispose, variables: layers.flatMap(({ w, b }) => [w, b]) };
}

async function runTfjs(label, setup, steps, reps, { explicitTranspose = false } = {}) {
  setStatus(`Running ${label}: building the model…`);
  const { tf, backend, threads, simd } = setup;
  const model = buildTfModel(tf, { explicitTranspose });
  const { x, y, points } = tf.tidy(() => {
    const x = tf.randomNormal([BATCH, 3], 0, 1, 'float32', 1001);
    const [x0, x1, x2] = tf.split(x, 3, 1);
    const y = tf.concat([tf.add(tf.sin(x0), tf.mul(x1, x2)), tf.cos(x1)], 1);
    const points = tf.randomNormal([FORWARD_POINTS, 3], 0, 1, 'float32', 1002);
    return { x, y, points };
  });
  const optimizer = tf.train.adam(1e-3);
  const lossFn = () => tf.losses.meanSquaredError(y, model.forward(x));

  const trainStep = () => {
    // minimize() keeps only the cost it returns (the gradients and intermediates are disposed).
    const loss = optimizer.minimize(lossFn, true, model.variables);
    const value = loss.dataSync()[0];
    loss.dispose();
    return value;
  };
  const forward = () => {
    const sum = tf.tidy(() => tf.sum(model.forward(points)));
    const value = sum.dataSync()[0];
    sum.dispose();
    return value;
  };

  try {
    // After one step Adam has made its moment variables: from then on the count must not grow.
    trainStep();
    forward();
    const tensorsBefore = tf.memory().numTensors;
    const r = await runProtocol(label, { trainStep, forward }, steps, reps, phase);
    const tensorsAfter = tf.memory().numTensors;
    if (tensorsAfter !== tensorsBefore) {
      throw new Error(`TF.js leaked tensors: ${tensorsBefore} before the timed run, ${tensorsAfter} after`);
    }
    return {
      ...r, backend, threads, simd, numTensors: tensorsAfter, optimizer: 'Adam(lr=1e-3)',
      matMulGradient: explicitTranspose ? 'explicit transposes' : 'TF.js built-in',
    };
  } finally {
    optimizer.dispose();
    model.dispose();
    tf.dispose([x, y, points]);
  }
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
  // Fail before the long GenLab run if TF.js's scripts did not load.
  if (!globalThis.tf?.wasm) throw new Error('TF.js did not load (expected /pkg/vendor/tf.min.js and tf-backend-wasm.min.js)');
  const tfjsThreads = intParam(params, 'tfjsThreads', 1);
  if (tfjsThreads > 1) return runThreadedTfjs(tfjsThreads, steps, reps);
  const genlab = await runGenlab(steps, reps);
  const rows = [['GenLab wasm (candle)', genlab]];
  showTable(rows);
  setStatus('Running TF.js wasm: loading…');
  const setup = await setUpTfjs();
  const threadText = `${setup.threads} thread${setup.threads === 1 ? '' : 's'}`;
  const tfjs = await runTfjs('TF.js wasm', setup, steps, reps);
  rows.push([`TF.js ${tfjs.backend} (${threadText})`, tfjs]);
  showTable(rows);
  const tfjsExplicit = await runTfjs('TF.js wasm, explicit transposes', setup, steps, reps, { explicitTranspose: true });
  rows.push([`TF.js ${tfjs.backend} (${threadText}), explicit transposes`, tfjsExplicit]);
  showTable(rows);

  const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
  setStatus(`Done. GenLab wasm / TF.js wasm: train ${ratio(genlab.stepsPerSec, tfjs.stepsPerSec)} `
    + `(${ratio(genlab.stepsPerSec, tfjsExplicit.stepsPerSec)} against explicit transposes), `
    + `forward ${ratio(genlab.samplesPerSec, tfjs.samplesPerSec)}.`, 'done');
  finish({ genlab, tfjs, tfjsExplicitTranspose: tfjsExplicit }, setup, steps, reps);
}

/** Publishes a run's `results` with what every run reports, for bench/bench.mjs and the tests. */
function finish(results, setup, steps, reps) {
  window.benchResults = {
    ...results,
    // Everything the TF.js runs made has been disposed: this should be 0.
    tfjsTensorsLeft: setup?.tf.memory().numTensors,
    protocol: { steps, reps, warmup: WARMUP, batch: BATCH, forwardPoints: FORWARD_POINTS, sizes: SIZES },
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    userAgent: navigator.userAgent,
    done: true,
  };
}

/** `?tfjsThreads=N`: only TF.js with explicit transposes (the fair peer) on N threads. */
async function runThreadedTfjs(threads, steps, reps) {
  setStatus(`Running TF.js wasm on ${threads} threads: loading…`);
  const setup = await setUpTfjs(threads);
  const label = `TF.js ${setup.backend}, explicit transposes (${threads} threads asked, ${setup.threads} reported)`;
  const tfjsExplicit = await runTfjs(label, setup, steps, reps, { explicitTranspose: true });
  showTable([[label, tfjsExplicit]]);
  setStatus('Done.', 'done');
  // TF.js reports the threads its pool really has, which may be fewer than asked
  finish({ tfjsExplicitTranspose: { ...tfjsExplicit, requestedThreads: threads } }, setup, steps, reps);
}

/** `?threads=N`: only GenLab's threaded core, in a lab worker whose pool has N threads. */
async function runThreadedGenlab(threads, steps, reps) {
  if (!globalThis.crossOriginIsolated) {
    throw new Error(`GenLab on ${threads} threads needs a cross-origin isolated page (genlab serve --isolate)`);
  }
  setStatus(`Running GenLab wasm on ${threads} threads: loading…`);
  const worker = new LabWorker();
  const { threads: pool } = await worker.request({ type: 'catalog' });
  if (pool !== threads) throw new Error(`the core computes on ${pool} threads, not the ${threads} asked for`);
  await worker.request({ type: 'configure', lab: 'bench', config: { seed: SEED } });
  const label = `GenLab wasm, threaded core (${threads} thread${threads === 1 ? '' : 's'})`;
  const { result } = await worker.request({ type: 'protocol', label, steps, reps }, ({ type, text }) => type === 'phase' && setStatus(text));
  const genlab = { ...result, threads, optimizer: GENLAB_OPTIMIZER };
  showTable([[label, genlab]]);
  setStatus('Done.', 'done');
  finish({ genlab }, null, steps, reps);
}

main().catch((e) => {
  const message = e instanceof Error ? e.message : String(e);
  console.error('benchmark failed:', e);
  setStatus(`Benchmark failed: ${message}`, 'error');
  window.benchResults = { error: message, done: true };
});
