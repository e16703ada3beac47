// The benchmark workload in the worker (MLP 3→256×3→2): the training session the tests drive
// one step at a time.
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
  },
};
