// TF.js in a worker of its own, as GenLab's core runs in a lab worker: the bench page compares the
// two where the labs compute, off the page's main thread. Each request, {steps, reps, threads,
// models: ['plain' | 'explicit', …]}, is answered with {type: 'phase', text}… then {type: 'done',
// results: {plain?, explicit?}, tensorsLeft} or {type: 'error', message}. The backend starts with
// the first request's `threads` (TF.js fixes them then): the page's rounds reuse it.
//
// The UMD scripts set the global `tf` when they find no module system (a module worker has none).
import '../pkg/vendor/tf.min.js';
import '../pkg/vendor/tf-backend-wasm.min.js';
import { runTfjs, setUpTfjs } from './bench-tfjs.js';

const post = (message) => self.postMessage(message);

let started = null;

self.onmessage = async ({ data: { steps, reps, threads, models } }) => {
  try {
    started ??= setUpTfjs(threads);
    const setup = await started;
    const phase = async (text) => post({ type: 'phase', text });
    const results = {};
    for (const model of models) {
      const label = model === 'explicit' ? 'TF.js wasm in a worker, explicit transposes' : 'TF.js wasm in a worker';
      results[model] = await runTfjs(label, setup, steps, reps, { explicitTranspose: model === 'explicit', phase });
    }
    post({ type: 'done', results, tensorsLeft: setup.tf.memory().numTensors });
  } catch (e) {
    post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
};
