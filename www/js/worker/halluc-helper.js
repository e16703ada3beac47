// A helper worker of the hallucination sampler: it holds its own copy of the lab's session (the
// same config and weights) and samples the whole chunks the lab's worker asks for. Each chunk
// has its own random stream, so a run is the same however its chunks are shared out. With the
// threaded core it samples on its own thread: it starts no pool of its own.
//
// In:  {type:'start', module, config, weights, steps}  (the compiled wasm; weights null for the exact denoiser)
//      {type:'chunk', index}                   → {type:'chunk', index, flat}
// Out on failure: {type:'error', message}
import { glue } from './glue.js';

const { default: init, HallucLab } = glue;

let lab = null;
let queue = Promise.resolve();
onmessage = ({ data }) => {
  queue = queue.then(async () => {
    if (data.type === 'start') {
      await init({ module_or_path: data.module });
      lab = new HallucLab(JSON.stringify(data.config));
      if (data.weights) lab.loadWeights(data.weights, data.steps);
    } else if (data.type === 'chunk') {
      const flat = lab.sampleChunkAt(data.index);
      postMessage({ type: 'chunk', index: data.index, flat }, [flat.buffer]);
    }
  }).catch((err) => postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
};
