// The chunks of one hallucination sampling run, shared between the lab's worker and helper
// workers (`halluc-helper.js`): one per other core, at most `maxHelpers`, none for a run of a few
// small chunks. Chunks are independent (each has its own random stream), so the run is the same
// however they are shared out.

import { siteWorker } from '../site.js';
import { threads } from './glue.js';

/**
 * Each helper keeps two chunks in flight, so it never waits while the lab's worker samples;
 * when none are left to hand out, the lab's worker takes a helper's waiting one (the helper's
 * copy is then ignored). A helper that fails gives its chunks back. Results come out in order.
 */
export class ChunkPool {
  constructor(count, module, config, weights, steps, maxHelpers) {
    this.count = count;
    // this worker samples the first (smallest) chunk itself, so the first samples come at once
    this.retry = count > 0 ? [0] : [];
    this.next = Math.min(1, count);
    this.ready = new Map();
    this.appended = 0;
    this.used = new Set();
    this.wake = null;
    const helpers = count > 4 && typeof Worker === 'function' ? Math.min(maxHelpers, (navigator.hardwareConcurrency ?? 1) - 1) : 0;
    this.helpers = Array.from({ length: Math.max(0, helpers) }, (_, h) => this.startHelper(h, module, config, weights, steps));
    for (const helper of this.helpers) this.feed(helper);
  }

  startHelper(h, module, config, weights, steps) {
    // the helper needs the glue of the core it is handed (glue.js)
    const worker = siteWorker(threads ? `js/worker/halluc-helper.js?threads=${threads}` : 'js/worker/halluc-helper.js');
    const helper = { h, worker, inflight: [] };
    worker.onmessage = ({ data }) => {
      if (data.type === 'chunk') {
        helper.inflight = helper.inflight.filter((i) => i !== data.index);
        if (this.deliver(data.index, data.flat)) this.used.add(h);
        this.feed(helper);
      } else {
        this.retire(helper);
      }
      this.wake?.();
    };
    worker.onerror = () => { this.retire(helper); this.wake?.(); };
    worker.postMessage({ type: 'start', module, config, weights, steps });
    return helper;
  }

  /** Sends a helper chunks until it has two in flight. */
  feed(helper) {
    while (!helper.retired && helper.inflight.length < 2 && this.next < this.count) {
      const index = this.next++;
      helper.inflight.push(index);
      helper.worker.postMessage({ type: 'chunk', index });
    }
  }

  /** A failed helper: its chunks go back to be sampled here. */
  retire(helper) {
    if (helper.retired) return;
    helper.retired = true;
    helper.worker.terminate();
    this.retry.push(...helper.inflight);
    helper.inflight = [];
  }

  /** The next chunk for this worker to sample, or null when every chunk is out. */
  claim() {
    while (this.retry.length) {
      const index = this.retry.shift();
      if (this.missing(index)) return index;
    }
    if (this.next < this.count) return this.next++;
    // take a chunk a helper has not started (the second in its queue)
    for (const helper of this.helpers) {
      if (helper.inflight.length > 1) return helper.inflight.pop();
    }
    return null;
  }

  /** Whether chunk `index` is neither appended nor waiting its turn. */
  missing(index) {
    return index >= this.appended && !this.ready.has(index);
  }

  /** Keeps a finished chunk unless a copy came first; whether it was kept. */
  deliver(index, flat) {
    if (!this.missing(index)) return false;
    this.ready.set(index, flat);
    return true;
  }

  /** Resolves when a helper answers (or after a moment, so a cancel is seen). */
  progress() {
    return new Promise((resolve) => {
      this.wake = resolve;
      setTimeout(resolve, 50);
    });
  }

  /** The finished chunks that come next in order, taken out of the pool. */
  *inOrder() {
    while (this.ready.has(this.appended)) {
      const flat = this.ready.get(this.appended);
      this.ready.delete(this.appended);
      yield [this.appended++, flat];
    }
  }

  finished() {
    return this.appended >= this.count;
  }

  /** How many workers sampled chunks of the run: this one and the helpers that delivered. */
  workers() {
    return 1 + this.used.size;
  }

  stop() {
    for (const helper of this.helpers) helper.worker.terminate();
  }
}
