// The latent-quantization lab in the worker: its session, training, and the pictures and
// scores the page asks for by `call`.
import { glue } from './glue.js';
import { WEIGHT_CALLS, snapshot, train } from './training.js';

const { QlaeLab, qlaePresets } = glue;

export default {
  presets: () => JSON.parse(qlaePresets()),

  open(config) {
    const lab = new QlaeLab(JSON.stringify(config));
    return [lab, {
      config: JSON.parse(lab.configJson()), factors: lab.factors(), latents: lab.latents(), channels: lab.channels(), size: lab.size(),
    }];
  },

  calls: ['evaluate', 'reconstructions', 'traversal', 'traversalValues', 'latentsOf', 'decode', 'usage', 'heldOutFactors', 'heldOutLatents', ...WEIGHT_CALLS],

  streams: { train, snapshot },
};
