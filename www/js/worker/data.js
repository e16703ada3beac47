// The Data view in the worker: a density's session, its samples streamed in chunks, and its
// density on a grid.
import { glue } from './glue.js';

const { DataLab, datasetCatalog, defaultDataConfig } = glue;

export default {
  /** The datasets the labs offer, and the Data view's default config. */
  catalog: () => ({ catalog: JSON.parse(datasetCatalog()), defaults: JSON.parse(defaultDataConfig()) }),

  open(config) {
    const lab = new DataLab(JSON.stringify(config));
    return [lab, { config: JSON.parse(lab.configJson()), dim: lab.dim(), extent: lab.extent(), analytic: lab.analytic() }];
  },

  calls: [],

  streams: {
    /** Every remaining sample, `chunk` at a time. */
    async sample(session, { id, chunk = 20000 }, worker) {
      const total = session.remaining();
      let produced = 0;
      for (;;) {
        const points = session.nextChunk(chunk);
        produced += points.length / session.dim();
        const done = session.remaining() === 0;
        worker.post({ type: 'samples', id, points, produced, total, done }, [points.buffer]);
        if (done) return;
        if (await worker.cancelled(id, { produced })) return;
      }
    },

    async density(session, { id, extent, w, h }, worker) {
      const values = session.densityGrid(extent[0], extent[1], extent[2], extent[3], w, h);
      worker.post({ type: 'density', id, values, w, h }, [values.buffer]);
    },
  },
};
