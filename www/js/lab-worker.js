// The page's handle on the worker: numbered requests, streamed replies, and a restart with
// the last config when the wasm instance dies (a Rust panic must not take the page with it).
// The worker starts with the first request, not before: a lab's worker costs nothing until its
// view is shown. It is handed the page's compiled core (`core.js`) rather than fetching its own.
//
// With the threaded core, a pool thread that traps leaves the worker waiting forever, unable to
// say so; the pool thread tells this page on a BroadcastChannel first (src/wasm/watchdog.rs).
import { coreThreads, loadCore } from './core.js';
import { outOfMemory } from './out-of-memory.js';
import { siteWorker } from './site.js';
import { stage } from './startup.js';

/** The lab worker's script, with the threaded core's pool size. */
const workerScript = () => (coreThreads ? `js/worker.js?threads=${coreThreads}` : 'js/worker.js');

/** How many LabWorkers have started, to tell their steps apart in the start's record. */
let count = 0;

/** A worker whose scripts started loading early (`startEarly`), for the first LabWorker to start. */
let early = null;

/**
 * Whether a LabWorker has started. boot.js is `async` and may run after main.js has started its
 * first lab's worker; an early worker then would be a second one, never used.
 */
let started = false;

/**
 * Starts a lab worker loading its scripts while the page's own still load (boot.js): it waits
 * for its core and its requests, and the first LabWorker to start takes it. One that fails to
 * load before then is dropped, and that LabWorker starts its own (which reports why).
 */
export function startEarly() {
  if (early || started) return;
  const worker = siteWorker(workerScript());
  worker.addEventListener('error', () => { if (early === worker) early = null; }, { once: true });
  early = worker;
}

export class LabWorker {
  /** @param {{onFatal?: (message: string) => void}} hooks */
  constructor(hooks = {}) {
    this.hooks = hooks;
    this.nextId = 1;
    this.listeners = new Map();
    this.lastConfigure = null;
    /** The Worker, once a request has started it. */
    this.worker = null;
    /** The channel its pool threads' failures come on (threaded core). */
    this.watchdog = null;
  }

  start() {
    const worker = early ?? siteWorker(workerScript());
    const name = `worker ${++count}`;
    stage(`${name}: ${early ? 'taken, its scripts loading since boot.js' : 'started'}`);
    early = null;
    started = true;
    this.worker = worker;
    this.name = name;
    worker.onmessage = ({ data }) => this.dispatch(data);
    worker.onerror = (e) => this.crash(e.message || 'the worker failed to start');
    const watchdog = coreThreads ? this.watch() : undefined;
    // the worker holds its requests until the core comes (or fails them with why it did not)
    loadCore().then(
      (module) => { stage(`${name}: core sent`); worker.postMessage({ type: 'core', module, watchdog }); },
      (err) => worker.postMessage({ type: 'core', error: err.message }),
    );
  }

  /** Listens for this worker's pool threads failing; returns the channel's name. */
  watch() {
    const name = `genlab-pool-${crypto.randomUUID()}`;
    const channel = new BroadcastChannel(name);
    channel.onmessage = ({ data: { panic, asked, held } }) => {
      if (this.watchdog !== channel) return;
      this.crash(panic ? `The GenLab core crashed (${panic}). Restarting…` : outOfMemory(held, asked));
    };
    this.watchdog = channel;
    return name;
  }

  /** Posts `msg`, starting the worker if this is its first message. */
  post(msg) {
    if (!this.worker) this.start();
    this.worker.postMessage(msg);
  }

  dispatch(msg) {
    if (msg.type === 'stage') return stage(`${this.name}: ${msg.stage}`);
    if (msg.type === 'fatal') return this.crash(msg.message);
    this.listeners.get(msg.id)?.(msg);
  }

  crash(message) {
    stage(`${this.name}: crashed (${message})`);
    for (const listener of this.listeners.values()) listener({ type: 'error', message });
    this.listeners.clear();
    this.hooks.onFatal?.(message);
    this.restart();
  }

  /** Ends the worker; a fresh one starts at once with the last config, else with the next request. */
  restart() {
    this.end();
    if (this.lastConfigure) this.request(this.lastConfigure).catch(() => {});
  }

  /**
   * Sends a request; `onMessage` sees every reply (streams of `samples` and `progress`).
   * Resolves with the final reply (the last `samples`, `ran`, `cancelled`, or any other
   * type); rejects with the worker's error message.
   */
  request(msg, onMessage = () => {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.listeners.set(id, (reply) => {
        if (reply.type === 'error') {
          this.listeners.delete(id);
          reject(new Error(reply.message));
          return;
        }
        onMessage(reply);
        if (reply.type === 'configured') this.lastConfigure = msg;
        const streaming = ['progress', 'frame', 'diffused', 'generation', 'phase'].includes(reply.type) || (reply.type === 'samples' && !reply.done);
        if (!streaming) {
          this.listeners.delete(id);
          resolve(reply);
        }
      });
      this.post({ ...msg, id });
    });
  }

  /** Stops whatever runs now (even inside one long call): a fresh worker takes over. */
  stop() {
    if (!this.worker) return;
    for (const listener of this.listeners.values()) listener({ type: 'error', message: 'stopped' });
    this.listeners.clear();
    this.restart();
  }

  /** Ends the worker for good (its memory and its pool's threads go with it); a request starts a fresh one. */
  close() {
    this.end();
    this.listeners.clear();
    this.lastConfigure = null;
  }

  /** Terminates the worker and closes its pool's channel. */
  end() {
    this.worker?.terminate();
    this.worker = null;
    this.watchdog?.close();
    this.watchdog = null;
  }

  /** Sets the noise ε of a running 'play' at once (it does not wait in the queue). */
  setEpsilon(value) {
    this.worker?.postMessage({ type: 'epsilon', value });
  }

  /** Cancels what runs now; a worker not started yet runs nothing, and is not started for this. */
  cancel() {
    this.worker?.postMessage({ type: 'cancel' });
  }

  /** Test hook: ask the core to panic, in this worker or (`'pool'`) on a thread of its pool. */
  panic(where) {
    this.post({ type: 'panic', where });
  }

  /** Test hook: the core allocates until the tab's memory runs out. */
  exhaust() {
    this.post({ type: 'exhaust' });
  }
}
