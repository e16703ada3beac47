// The module worker that owns the wasm instance. The page never runs model code: it posts
// small typed messages and receives Float32Arrays (transferred, not copied).
//
// In:  {type:'catalog', id}                      → {type:'catalog', id, catalog, defaults}
//      {type:'configure', id, lab, config}      → {type:'configured', id, config, dim, extent, analytic}
//      {type:'run', id, k}                      → {type:'progress', id, step, total, loss}… then {type:'ran', id, steps, loss}
//      {type:'sample', id, chunk}               → {type:'samples', id, points, produced, total, done}…
//      {type:'density', id, extent, w, h}       → {type:'density', id, values, w, h}
//      {type:'cancel'}                          → the running request ends with {type:'cancelled', id}
//      {type:'panic'}                           (test hook: a deliberate Rust panic)
// Out on failure: {type:'error', id, message} for a bad request (the session is kept);
//                 {type:'fatal', message} when the wasm instance died (the page restarts us).
// Relative, so the site also works from a sub-folder of any static host (`make dist`).
import init, { Bench, DataLab, datasetCatalog, debugPanic, defaultDataConfig } from '../pkg/genlab.js';

const ready = init();
let session = null;
let cancelRequested = false;
let dead = false;

/** Yields to the event loop so a cancel message can land between chunks. */
const channel = new MessageChannel();
const pending = [];
channel.port1.onmessage = () => pending.shift()?.();
const yieldToEvents = () => new Promise((resolve) => { pending.push(resolve); channel.port2.postMessage(0); });

function fail(id, err) {
  const message = err instanceof Error ? err.message : String(err);
  // A trap (RuntimeError) means the instance's memory can no longer be trusted.
  if (err instanceof WebAssembly.RuntimeError) {
    dead = true;
    postMessage({ type: 'fatal', message: `The GenLab core crashed (${message}). Restarting…` });
  } else {
    postMessage({ type: 'error', id, message });
  }
}

/** Each lab's session constructor: config → [session, fields of the 'configured' reply]. */
const sessions = {
  data(config) {
    const lab = new DataLab(JSON.stringify(config));
    return [lab, { config: JSON.parse(lab.configJson()), dim: lab.dim(), extent: lab.extent(), analytic: lab.analytic() }];
  },
  /** The benchmark workload (MLP 3→256×3→2), the training session the tests drive. */
  bench(config) {
    return [new Bench(config?.seed ?? 0), { config }];
  },
};

const handlers = {
  async catalog({ id }) {
    postMessage({ type: 'catalog', id, catalog: JSON.parse(datasetCatalog()), defaults: JSON.parse(defaultDataConfig()) });
  },

  async configure({ id, lab, config }) {
    const make = sessions[lab];
    if (!make) throw new Error(`unknown lab “${lab}”`);
    const [next, reply] = make(config);
    session?.free();
    session = next;
    postMessage({ type: 'configured', id, ...reply });
  },

  /** k training steps, one at a time, yielding between steps so cancel and settings land. */
  async run({ id, k }) {
    if (!session.trainStep) throw new Error('this lab has no training steps');
    cancelRequested = false;
    let loss = NaN;
    for (let step = 1; step <= k; step++) {
      loss = session.trainStep();
      postMessage({ type: 'progress', id, step, total: k, loss });
      await yieldToEvents();
      if (cancelRequested) {
        postMessage({ type: 'cancelled', id, step });
        return;
      }
    }
    postMessage({ type: 'ran', id, steps: k, loss });
  },

  async sample({ id, chunk = 20000 }) {
    cancelRequested = false;
    const total = session.remaining();
    let produced = 0;
    for (;;) {
      const points = session.nextChunk(chunk);
      produced += points.length / session.dim();
      const done = session.remaining() === 0;
      postMessage({ type: 'samples', id, points, produced, total, done }, [points.buffer]);
      if (done) return;
      await yieldToEvents();
      if (cancelRequested) {
        postMessage({ type: 'cancelled', id, produced });
        return;
      }
    }
  },

  async density({ id, extent, w, h }) {
    const values = session.densityGrid(extent[0], extent[1], extent[2], extent[3], w, h);
    postMessage({ type: 'density', id, values, w, h }, [values.buffer]);
  },

  async panic() {
    debugPanic();
  },
};

// Requests run one after another; cancel is handled at once.
let queue = Promise.resolve();
onmessage = ({ data }) => {
  if (data.type === 'cancel') { cancelRequested = true; return; }
  queue = queue.then(async () => {
    if (dead) return;
    try {
      await ready;
      const handler = handlers[data.type];
      if (!handler) throw new Error(`unknown message “${data.type}”`);
      if (['run', 'sample', 'density'].includes(data.type) && !session) throw new Error('no session: configure first');
      await handler(data);
    } catch (err) {
      fail(data.id, err);
    }
  });
};
