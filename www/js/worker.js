// The module worker that owns the wasm instance. The page never runs model code: it posts
// small typed messages and receives Float32Arrays (transferred, not copied). This file is the
// plumbing (the queue, cancel, ε, errors); each lab's module in worker/ declares its session,
// its streaming requests and the session methods the page may `call`.
//
// In:  {type:'core', module, watchdog} | {type:'core', error}  first, from the page: the compiled core
//                                               (see core.js), or why there is none (every request then fails with it);
//                                               with the threaded core (?threads=N) this worker starts a pool of N
//                                               threads, and `watchdog` names the channel its threads' failures go to
//      {type:'catalog', id}                      → {type:'catalog', id, catalog, defaults, presets: {lab: [preset…]}, threads}
//                                               threads: how many threads the core computes on; answered while the
//                                               threaded core's pool still starts
//      {type:'configure', id, lab, config}      → {type:'configured', id, config, estimate, …the lab's facts (its module's `open`)}
//                                               estimate: {bytes, flopsPerStep, drivers}, what training costs (budget.rs)
//      {type:'call', id, method, args}          → {type:'result', id, result}   (the lab's `calls`: a typed array, a small
//                                               object, or an object of named typed arrays)
//      {type:'epsilon', value}                  sets the SDE noise of a running 'play' at once
//      {type:'cancel'}                          → the running request ends with {type:'cancelled', id, …}
//      {type:'panic'}                           (test hook: a deliberate Rust panic)
//      {type:'exhaust'}                         (test hook: allocates until the memory runs out)
//   The labs' streams (worker/LAB.js), for the configured lab only:
//      si, halluc, qlae: {type:'train', id, k, chunk} → {type:'progress', id, step, done, total, losses, seconds}…
//                                               then {type:'ran', id, step}; losses: one entry per step, the lab's
//                                               progress ({drift, score} · a number · {total, reconstruction, …})
//                        {type:'snapshot', id}  → {type:'snapshot', id, weights, trained}
//      si:     train also takes refreshEvery, epsilon: the progress after each refresh carries `particles`
//              {type:'play', id, from, points, epsilon, arrows} → {type:'frame', id, index, particles, drift, exact}… then {type:'played', id, index}
//      halluc: {type:'diffuse', id, helpers}    → {type:'diffused', id, points, variance, labels, sampled, total}… then {type:'sampled', id, report, workers}
//              {type:'recursive', id, config, generations} (no session needed)
//                                               → {type:'generation', id, filter, generation, rate, lineages}… then {type:'recursed', id, lineages}
//      data:   {type:'sample', id, chunk}       → {type:'samples', id, points, produced, total, done}…
//              {type:'density', id, extent, w, h} → {type:'density', id, values, w, h}
//      bench:  {type:'run', id, k}              → {type:'progress', id, step, total, loss}… then {type:'ran', id, steps, loss}
//              {type:'protocol', id, label, steps, reps} → {type:'phase', id, text}… then {type:'protocol', id, result}
// Out as it starts: {type:'stage', stage}       each step of its start, for the page's record (startup.js).
// Out on failure: {type:'error', id, message} for a bad request (the session is kept);
//                 {type:'fatal', message} when the wasm instance died (the page restarts us).
// Relative, so the site also works from a sub-folder of any static host (`make dist`).
import { outOfMemory } from './out-of-memory.js';
import { glue, threads } from './worker/glue.js';
import bench from './worker/bench.js';
import data from './worker/data.js';
import halluc from './worker/halluc.js';
import qlae from './worker/qlae.js';
import si from './worker/si.js';

const LABS = { data, si, halluc, qlae, bench };
postMessage({ type: 'stage', stage: 'scripts loaded' });
const { default: init, allocationFailure, debugExhaustMemory, debugPanic, memoryBytes } = glue;

// The page compiles the core once and sends it to every worker it starts ({type:'core'}), so
// this worker only instantiates it; helper workers instantiate the same module (`ChunkPool`):
// compiling their own made them start cold (measured: 2 workers 1.3× faster than 1, against 1.6×).
let receiveCore;
const received = new Promise((resolve, reject) => {
  receiveCore = (msg) => (msg.error ? reject(new Error(msg.error)) : resolve(msg));
});
const compiled = received.then(({ module }) => module);
const instantiated = received.then(async ({ module }) => {
  postMessage({ type: 'stage', stage: 'core received' });
  const exports = await init({ module_or_path: module });
  postMessage({ type: 'stage', stage: 'core instantiated' });
  return exports;
});
// The threaded core's pool starts before anything computes: rayon's first use fixes its size.
// Starting its threads took 80–170 ms of a cold page load here, so the catalog, which only reads
// the core's tables, does not wait for them (`beforePool`).
const ready = received.then(async ({ watchdog }) => {
  await instantiated;
  if (!threads) return;
  await glue.initThreadPool(threads);
  glue.watchPool(watchdog);
  postMessage({ type: 'stage', stage: `pool of ${threads} threads started` });
});
/** The configured lab's module and its session. */
let lab = null;
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

/** What the labs' streams get from the plumbing. */
const plumbing = {
  post: (message, transfer = []) => postMessage(message, transfer),
  /** Yields; when a cancel landed meanwhile, reports it (with `state`) and returns true. */
  async cancelled(id, state) {
    await yieldToEvents();
    if (!cancelRequested) return false;
    postMessage({ type: 'cancelled', id, ...state });
    return true;
  },
  epsilon: () => liveEpsilon,
  setEpsilon: (value) => { liveEpsilon = value; },
  /** The compiled wasm module, for helper workers. */
  compiled,
};

function fail(id, err) {
  const message = err instanceof Error ? err.message : String(err);
  // A trap (RuntimeError) means the instance's memory can no longer be trusted.
  if (err instanceof WebAssembly.RuntimeError) {
    dead = true;
    const asked = allocationFailure();
    postMessage({ type: 'fatal', message: asked ? outOfMemory(memoryBytes(), asked) : `The GenLab core crashed (${message}). Restarting…` });
  } else {
    postMessage({ type: 'error', id, message });
  }
}

/** Requests of the worker itself, whatever lab is configured. */
const handlers = {
  async catalog({ id }) {
    const presets = Object.fromEntries(Object.entries(LABS).filter(([, m]) => m.presets).map(([name, m]) => [name, m.presets()]));
    // the pool this worker starts has `threads` threads (its start fails otherwise); asking rayon
    // before the pool has started would fix rayon's pool at one thread
    postMessage({ type: 'catalog', id, ...data.catalog(), presets, threads: threads || glue.coreThreads() });
  },

  async configure({ id, lab: name, config }) {
    const next = Object.hasOwn(LABS, name) ? LABS[name] : null;
    if (!next) throw new Error(`unknown lab “${name}”`);
    const [made, reply] = next.open(config);
    session?.free();
    [lab, session] = [next, made];
    postMessage({ type: 'configured', id, ...reply, estimate: made.estimate?.() ?? null });
  },

  /** A method of the session that answers at once (the lab's `calls`). */
  async call({ id, method, args = [] }) {
    if (!session) throw new Error('no session: configure first');
    if (!lab.calls.includes(method)) throw new Error(`unknown call “${method}”`);
    const result = session[method](...args);
    // a typed array, or an object of named ones (a wasm result is the worker's to give away)
    const arrays = ArrayBuffer.isView(result) ? [result] : Object.values(result ?? {}).filter((v) => ArrayBuffer.isView(v));
    postMessage({ type: 'result', id, result }, arrays.map((a) => a.buffer));
  },

  async panic({ where }) {
    if (where === 'pool') glue.debugPanicInPool();
    else debugPanic();
  },

  async exhaust() {
    debugExhaustMemory();
  },
};

/** Requests that only read the core's tables: they need its instance, not its threads. */
const beforePool = new Set(['catalog']);

/** The streams any lab runs without a session (halluc's recursive training). */
const sessionless = Object.assign({}, ...Object.values(LABS).map((l) => l.sessionless ?? {}));

/** The handler of a lab's request `type`: the configured lab's stream, else a sessionless one. */
function labHandler(type) {
  if (lab && Object.hasOwn(lab.streams, type)) return (msg) => lab.streams[type](session, msg, plumbing);
  if (Object.hasOwn(sessionless, type)) return (msg) => sessionless[type](msg, plumbing);
  const labs = Object.entries(LABS).filter(([, l]) => Object.hasOwn(l.streams, type)).map(([name]) => name);
  if (!labs.length) throw new Error(`unknown message “${type}”`);
  if (!session) throw new Error('no session: configure first');
  throw new Error(`“${type}” is for the ${labs.join(', ')} lab, not this one`);
}

// Requests run one after another; cancel and ε are handled at once.
let queue = Promise.resolve();
onmessage = ({ data: msg }) => {
  if (msg.type === 'core') { receiveCore(msg); return; }
  if (msg.type === 'cancel') { cancelRequested = true; return; }
  if (msg.type === 'epsilon') { liveEpsilon = msg.value; return; }
  queue = queue.then(async () => {
    if (dead) return;
    try {
      await (beforePool.has(msg.type) ? instantiated : ready);
      const handler = Object.hasOwn(handlers, msg.type) ? handlers[msg.type] : labHandler(msg.type);
      // a cancel reaches the request that runs when it lands, not a later one
      cancelRequested = false;
      await handler(msg);
    } catch (err) {
      fail(msg.id, err);
    }
  });
};
