// TF.js's side of the benchmark (W1 on its wasm backend), for the bench page's main thread and
// for its TF.js worker (bench-tfjs-worker.js). TF.js is the global `tf`, loaded from
// /pkg/vendor/ as UMD scripts by whichever of the two runs it: never a CDN.
import { BATCH, FORWARD_POINTS, SEED, SIZES, runProtocol } from './bench-protocol.js';

/**
 * TF.js's wasm backend on `threads` threads: 1 picks the single-threaded SIMD binary even where
 * SharedArrayBuffer exists; more pick its threaded-SIMD binary, which needs a cross-origin
 * isolated page. The count is fixed when the backend starts, so each count is its own page load.
 */
export async function setUpTfjs(threads = 1) {
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

/**
 * Times the W1 protocol on TF.js (`setup` from {@link setUpTfjs}); `phase(text)` is awaited between
 * phases. Throws if the timed run leaks tensors.
 */
export async function runTfjs(label, setup, steps, reps, { explicitTranspose = false, phase = async () => {} } = {}) {
  await phase(`Running ${label}: building the model…`);
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
