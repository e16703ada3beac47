// The benchmark workload in the worker (MLP 3→256×3→2): the training session the tests drive
// one step at a time, and the bench page's timing protocol on the threaded core (`?threads=N`).
import { runProtocol } from '../bench-protocol.js';
import { glue } from './glue.js';

const { Bench } = glue;

export default {
  open(config) {
    return [new Bench(config?.seed ?? 0), { config }];
  },

  calls: [],

  streams: {
    /** `k` training steps, one at a time, yielding between steps so cancel lands. */
    async run(session, { id, k }, worker) {
      let loss = NaN;
      for (let step = 1; step <= k; step++) {
        loss = session.trainStep();
        worker.post({ type: 'progress', id, step, total: k, loss });
        if (await worker.cancelled(id, { step })) return;
      }
      worker.post({ type: 'ran', id, steps: k, loss });
    },

    /** The bench page's protocol (bench-protocol.js), its phases reported as they start. */
    async protocol(session, { id, label, steps, reps }, worker) {
      const fns = { trainStep: () => session.trainStep(), forward: () => session.forward() };
      const result = await runProtocol(label, fns, steps, reps, async (text) => worker.post({ type: 'phase', id, text }));
      worker.post({ type: 'protocol', id, result });
    },
  },
};
