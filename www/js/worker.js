// The module worker that owns the wasm instance. The page never runs model code: it posts
// small typed messages and receives Float32Arrays (transferred, not copied).
//
// In:  {type:'catalog', id}                      → {type:'catalog', id, catalog, defaults, presets, hallucPresets, qlaePresets}
//      {type:'configure', id, lab, config}      → {type:'configured', id, config, …the lab's facts (see `sessions`)}
//      {type:'run', id, k}                      → {type:'progress', id, step, total, loss}… then {type:'ran', id, steps, loss}
//      {type:'sample', id, chunk}               → {type:'samples', id, points, produced, total, done}…
//      {type:'density', id, extent, w, h}       → {type:'density', id, values, w, h}
//      {type:'train', id, k, chunk, refreshEvery, epsilon} → {type:'progress', id, step, done, total, losses, seconds, particles?}…
//                                               then {type:'ran', id, step}; losses: one entry per step, the lab's
//                                               progress ({drift, score} · a number · {total, reconstruction, …})
//      {type:'play', id, from, points, epsilon, arrows} → {type:'frame', id, index, particles, drift, exact}… then {type:'played', id, index}
//      {type:'diffuse', id, helpers}            → {type:'diffused', id, points, variance, labels, sampled, total}… then {type:'sampled', id, report, workers}
//      {type:'call', id, method, args}          → {type:'result', id, result}   (see CALLS: a typed array, a small object,
//                                               or an object of named typed arrays)
//      {type:'recursive', id, config, generations} → {type:'generation', id, filter, generation, rate, lineages}… then {type:'recursed', id, lineages}
//      {type:'snapshot', id}                    → {type:'snapshot', id, weights, trained}
//      {type:'epsilon', value}                  sets the SDE noise of a running 'play' at once
//      {type:'cancel'}                          → the running request ends with {type:'cancelled', id}
//      {type:'panic'}                           (test hook: a deliberate Rust panic)
// Out on failure: {type:'error', id, message} for a bad request (the session is kept);
//                 {type:'fatal', message} when the wasm instance died (the page restarts us).
// Relative, so the site also works from a sub-folder of any static host (`make dist`).
import init, {
  Bench, DataLab, HallucLab, HallucRecursion, InterpolantLab, QlaeLab, datasetCatalog, debugPanic, defaultDataConfig, hallucPresets, interpolantPresets, qlaePresets,
} from '../pkg/genlab.js';
import { ChunkPool } from './chunk-pool.js';

// Compiled here so helper workers instantiate the same compiled module (`ChunkPool`): compiling
// their own made them start cold (measured: 2 workers 1.3× faster than 1, against 1.6× now).
const wasmUrl = new URL('../pkg/genlab_bg.wasm', import.meta.url);
const compiled = WebAssembly.compileStreaming(fetch(wasmUrl))
  // a host that serves wasm without its MIME type
  .catch(async () => WebAssembly.compile(await (await fetch(wasmUrl)).arrayBuffer()));
const ready = compiled.then((module) => init({ module_or_path: module }));
let session = null;
let cancelRequested = false;
/** The SDE noise ε while particles move; the page sets it live with {type:'epsilon'}. */
let liveEpsilon = 0;
let dead = false;

/** Yields to the event loop so a cancel message can land between chunks. */
const channel = new MessageChannel();
const pending = [];
channel.port1.onmessage = () => pending.shift()?.();
const yieldToEvents = () => new Promise((resolve) => { pending.push(resolve); channel.port2.postMessage(0); });

/** Yields; when a cancel landed meanwhile, reports it (with `state`) and returns true. */
async function cancelledAfterYield(id, state) {
  await yieldToEvents();
  if (!cancelRequested) return false;
  postMessage({ type: 'cancelled', id, ...state });
  return true;
}

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
  si(config) {
    const lab = new InterpolantLab(JSON.stringify(config));
    return [lab, {
      config: JSON.parse(lab.configJson()), dim: lab.dim(), extent: lab.extent(), grid: lab.grid(),
      hasExact: lab.hasExact(), learned: lab.learned(), particles: lab.particles(),
    }];
  },
  halluc(config) {
    const lab = new HallucLab(JSON.stringify(config));
    return [lab, { config: JSON.parse(lab.configJson()), dim: lab.dim(), extent: lab.extent(), learned: lab.learned(), modes: lab.modes() }];
  },
  qlae(config) {
    const lab = new QlaeLab(JSON.stringify(config));
    return [lab, {
      config: JSON.parse(lab.configJson()), factors: lab.factors(), latents: lab.latents(), channels: lab.channels(), size: lab.size(),
    }];
  },
  /** The benchmark workload (MLP 3→256×3→2), the training session the tests drive. */
  bench(config) {
    return [new Bench(config?.seed ?? 0), { config }];
  },
};

const handlers = {
  async catalog({ id }) {
    postMessage({
      type: 'catalog', id, catalog: JSON.parse(datasetCatalog()), defaults: JSON.parse(defaultDataConfig()),
      presets: JSON.parse(interpolantPresets()), hallucPresets: JSON.parse(hallucPresets()), qlaePresets: JSON.parse(qlaePresets()),
    });
  },

  /**
   * Interpolants, hallucinations, latent quantization: `k` training steps in chunks, streaming the losses; every `refreshEvery`
   * steps the particles are carried through the whole grid again so the target visibly forms.
   */
  async train({ id, k, chunk = 10, refreshEvery = 0, epsilon = 0 }) {
    cancelRequested = false;
    const started = performance.now();
    let done = 0;
    while (done < k) {
      const n = Math.min(chunk, k - done);
      const losses = session.train(n);
      done += n;
      const reply = { type: 'progress', id, step: session.trainedSteps(), done, total: k, losses, seconds: (performance.now() - started) / 1000 };
      if (refreshEvery && session.resetParticles && (done % refreshEvery < n || done === k)) {
        session.resetParticles();
        session.advance(1e9, epsilon);
        reply.particles = session.particles();
      }
      postMessage(reply, reply.particles ? [reply.particles.buffer] : []);
      if (await cancelledAfterYield(id, { step: session.trainedSteps() })) return;
    }
    postMessage({ type: 'ran', id, step: session.trainedSteps() });
  },

  /**
   * Interpolants: carries the particles along the grid one step per frame message, from grid
   * index `from` (with `points`) or from fresh start points; ε is read live at every step.
   * `arrows` (points) asks for the drift there at each frame.
   */
  async play({ id, from = null, points = null, epsilon = 0, arrows = null }) {
    cancelRequested = false;
    liveEpsilon = epsilon;
    if (points) session.setParticles(points, from);
    else session.resetParticles();
    const grid = session.grid();
    const frame = () => {
      const index = session.index();
      const particles = session.particles();
      const { drift = null, exact = null } = arrows ? session.drift(grid[index], arrows) : {};
      postMessage({ type: 'frame', id, index, particles, drift, exact }, [particles, drift, exact].filter(Boolean).map((a) => a.buffer));
    };
    if (!points) frame();
    while (session.advance(1, liveEpsilon) === 1) {
      frame();
      if (await cancelledAfterYield(id, { index: session.index() })) return;
    }
    postMessage({ type: 'played', id, index: session.index() });
  },

  /**
   * Hallucinations: a fresh sampling run, streamed chunk by chunk (each chunk is whole reverse
   * chains, so finished samples appear as they come); ends with the detection report and how
   * many workers sampled. Helper workers on the other cores sample chunks too (see `ChunkPool`).
   */
  async diffuse({ id, helpers = 3 }) {
    cancelRequested = false;
    session.startSampling();
    const config = JSON.parse(session.configJson());
    const weights = session.learned() ? session.weights() : null;
    const pool = new ChunkPool(session.chunkCount(), await compiled, config, weights, session.trainedSteps(), helpers);
    try {
      for (;;) {
        const index = pool.claim();
        if (index !== null) pool.deliver(index, session.sampleChunkAt(index));
        else await pool.progress();
        for (const [i, flat] of pool.inOrder()) {
          const { points, variance, labels } = session.appendChunk(i, flat);
          postMessage({ type: 'diffused', id, points, variance, labels, sampled: session.sampled(), total: config.n }, [points.buffer, variance.buffer, labels.buffer]);
        }
        if (pool.finished()) break;
        if (await cancelledAfterYield(id, { sampled: session.sampled() })) return;
      }
      postMessage({ type: 'sampled', id, report: session.report(), workers: pool.workers() });
    } finally {
      pool.stop();
    }
  },

  /** A method of the session that answers at once (see CALLS). */
  async call({ id, method, args = [] }) {
    if (!CALLS.includes(method)) throw new Error(`unknown call “${method}”`);
    const result = session[method](...args);
    // a typed array, or an object of named ones (a wasm result is the worker's to give away)
    const arrays = ArrayBuffer.isView(result) ? [result] : Object.values(result ?? {}).filter((v) => ArrayBuffer.isView(v));
    const transfer = arrays.map((a) => a.buffer);
    postMessage({ type: 'result', id, result }, transfer);
  },

  /**
   * Recursive training (hallucinations lab) on `config`, one generation at a time: a
   * 'generation' message after each ({filter, generation, rate, lineages}), then 'recursed'.
   */
  async recursive({ id, config, generations }) {
    cancelRequested = false;
    const run = new HallucRecursion(JSON.stringify(config), generations);
    try {
      for (let step = run.nextGeneration(); step !== undefined; step = run.nextGeneration()) {
        postMessage({ type: 'generation', id, ...step, lineages: run.lineages() });
        if (await cancelledAfterYield(id, {})) return;
      }
      postMessage({ type: 'recursed', id, lineages: run.lineages() });
    } finally {
      run.free();
    }
  },

  /** The trained weights with the step count they were trained to, taken together. */
  async snapshot({ id }) {
    const weights = session.weights();
    postMessage({ type: 'snapshot', id, weights, trained: session.trainedSteps() }, [weights.buffer]);
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
      if (await cancelledAfterYield(id, { step })) return;
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
      if (await cancelledAfterYield(id, { produced })) return;
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

/** Session methods the page may `call`. */
const CALLS = [
  'drift', 'metrics', 'fieldError', 'weights', 'loadWeights', 'frameSteps', 'frame', 'trajectory', 'report', 'density',
  'evaluate', 'reconstructions', 'traversal', 'traversalValues', 'latentsOf', 'decode', 'usage', 'heldOutFactors', 'heldOutLatents',
];

// Requests run one after another; cancel and ε are handled at once.
let queue = Promise.resolve();
onmessage = ({ data }) => {
  if (data.type === 'cancel') { cancelRequested = true; return; }
  if (data.type === 'epsilon') { liveEpsilon = data.value; return; }
  queue = queue.then(async () => {
    if (dead) return;
    try {
      await ready;
      const handler = handlers[data.type];
      if (!handler) throw new Error(`unknown message “${data.type}”`);
      if (['run', 'sample', 'density', 'train', 'play', 'call', 'diffuse', 'snapshot'].includes(data.type) && !session) throw new Error('no session: configure first');
      await handler(data);
    } catch (err) {
      fail(data.id, err);
    }
  });
};
