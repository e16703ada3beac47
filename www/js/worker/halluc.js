// The diffusion-hallucinations lab in the worker: its session, training, sampling shared
// with helper workers (`ChunkPool`), and recursive training, which needs no session.
import { glue } from './glue.js';
import { ChunkPool } from './halluc-pool.js';
import { WEIGHT_CALLS, snapshot, train } from './training.js';

const { HallucLab, HallucRecursion, hallucPresets } = glue;

export default {
  presets: () => JSON.parse(hallucPresets()),

  open(config) {
    const lab = new HallucLab(JSON.stringify(config));
    return [lab, { config: JSON.parse(lab.configJson()), dim: lab.dim(), extent: lab.extent(), learned: lab.learned(), modes: lab.modes() }];
  },

  calls: ['frameSteps', 'frame', 'trajectory', 'report', 'density', ...WEIGHT_CALLS],

  streams: {
    train,
    snapshot,

    /**
     * A fresh sampling run, streamed chunk by chunk (each chunk is whole reverse chains, so
     * finished samples appear as they come); ends with the detection report and how many
     * workers sampled. Helper workers on the other cores sample chunks too (see `ChunkPool`).
     */
    async diffuse(session, { id, helpers = 3 }, worker) {
      session.startSampling();
      const config = JSON.parse(session.configJson());
      const weights = session.learned() ? session.weights() : null;
      const pool = new ChunkPool(session.chunkCount(), await worker.compiled, config, weights, session.trainedSteps(), helpers);
      try {
        for (;;) {
          const index = pool.claim();
          if (index !== null) pool.deliver(index, session.sampleChunkAt(index));
          else await pool.progress();
          for (const [i, flat] of pool.inOrder()) {
            const { points, variance, labels } = session.appendChunk(i, flat);
            worker.post({ type: 'diffused', id, points, variance, labels, sampled: session.sampled(), total: config.n }, [points.buffer, variance.buffer, labels.buffer]);
          }
          if (pool.finished()) break;
          if (await worker.cancelled(id, { sampled: session.sampled() })) return;
        }
        worker.post({ type: 'sampled', id, report: session.report(), workers: pool.workers() });
      } finally {
        pool.stop();
      }
    },
  },

  /** Requests that run without the lab's session (in a worker of their own). */
  sessionless: {
    /**
     * Recursive training on `config`, one generation at a time: a 'generation' message after
     * each ({filter, generation, rate, lineages}), then 'recursed'.
     */
    async recursive({ id, config, generations }, worker) {
      const run = new HallucRecursion(JSON.stringify(config), generations);
      try {
        for (let step = run.nextGeneration(); step !== undefined; step = run.nextGeneration()) {
          worker.post({ type: 'generation', id, ...step, lineages: run.lineages() });
          if (await worker.cancelled(id, {})) return;
        }
        worker.post({ type: 'recursed', id, lineages: run.lineages() });
      } finally {
        run.free();
      }
    },
  },
};
