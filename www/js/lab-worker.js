// The page's handle on the worker: numbered requests, streamed replies, and a restart with
// the last config when the wasm instance dies (a Rust panic must not take the page with it).

export class LabWorker {
  /** @param {{onFatal?: (message: string) => void}} hooks */
  constructor(hooks = {}) {
    this.hooks = hooks;
    this.nextId = 1;
    this.listeners = new Map();
    this.lastConfigure = null;
    this.start();
  }

  start() {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    this.worker.onmessage = ({ data }) => this.dispatch(data);
    this.worker.onerror = (e) => this.crash(e.message || 'the worker failed to start');
  }

  dispatch(msg) {
    if (msg.type === 'fatal') return this.crash(msg.message);
    this.listeners.get(msg.id)?.(msg);
  }

  crash(message) {
    for (const listener of this.listeners.values()) listener({ type: 'error', message });
    this.listeners.clear();
    this.worker.terminate();
    this.hooks.onFatal?.(message);
    this.start();
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
        const streaming = ['progress', 'frame', 'diffused', 'generation'].includes(reply.type) || (reply.type === 'samples' && !reply.done);
        if (!streaming) {
          this.listeners.delete(id);
          resolve(reply);
        }
      });
      this.worker.postMessage({ ...msg, id });
    });
  }

  /** Stops whatever runs now (even inside one long call): a fresh worker takes over. */
  stop() {
    for (const listener of this.listeners.values()) listener({ type: 'error', message: 'stopped' });
    this.listeners.clear();
    this.worker.terminate();
    this.start();
    if (this.lastConfigure) this.request(this.lastConfigure).catch(() => {});
  }

  /** Sets the noise ε of a running 'play' at once (it does not wait in the queue). */
  setEpsilon(value) {
    this.worker.postMessage({ type: 'epsilon', value });
  }

  cancel() {
    this.worker.postMessage({ type: 'cancel' });
  }

  /** Test hook: ask the core to panic. */
  panic() {
    this.worker.postMessage({ type: 'panic' });
  }
}
