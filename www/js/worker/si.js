// The stochastic-interpolants lab in the worker: its session, training that carries the
// particles through the whole grid now and then, and playing the particles frame by frame.
import { glue } from './glue.js';
import { WEIGHT_CALLS, snapshot, train } from './training.js';

const { InterpolantLab, interpolantPresets } = glue;

export default {
  presets: () => JSON.parse(interpolantPresets()),

  open(config) {
    const lab = new InterpolantLab(JSON.stringify(config));
    return [lab, {
      config: JSON.parse(lab.configJson()), dim: lab.dim(), extent: lab.extent(), grid: lab.grid(),
      hasExact: lab.hasExact(), learned: lab.learned(), particles: lab.particles(),
    }];
  },

  calls: ['drift', 'metrics', 'fieldError', ...WEIGHT_CALLS],

  streams: {
    /**
     * Training; every `refreshEvery` steps the particles are carried through the whole grid
     * again (with noise `epsilon`) so the target visibly forms.
     */
    train(session, msg, worker) {
      const { refreshEvery = 0, epsilon = 0 } = msg;
      return train(session, msg, worker, (reply, done, n) => {
        if (!refreshEvery || (done % refreshEvery >= n && done !== msg.k)) return [];
        session.resetParticles();
        session.advance(1e9, epsilon);
        reply.particles = session.particles();
        return [reply.particles.buffer];
      });
    },

    /**
     * Carries the particles along the grid one step per frame message, from grid index `from`
     * (with `points`) or from fresh start points; ε is read live at every step. `arrows`
     * (points) asks for the drift there at each frame.
     */
    async play(session, { id, from = null, points = null, epsilon = 0, arrows = null }, worker) {
      worker.setEpsilon(epsilon);
      if (points) session.setParticles(points, from);
      else session.resetParticles();
      const grid = session.grid();
      const frame = () => {
        const index = session.index();
        const particles = session.particles();
        const { drift = null, exact = null } = arrows ? session.drift(grid[index], arrows) : {};
        worker.post({ type: 'frame', id, index, particles, drift, exact }, [particles, drift, exact].filter(Boolean).map((a) => a.buffer));
      };
      if (!points) frame();
      while (session.advance(1, worker.epsilon()) === 1) {
        frame();
        if (await worker.cancelled(id, { index: session.index() })) return;
      }
      worker.post({ type: 'played', id, index: session.index() });
    },

    snapshot,
  },
};
