// The thread-scaling workloads, as bench-threads.mjs (native) and bench-threads-page.mjs (in the
// page) name them in their tables: key → [row name, unit].
export const WORKLOADS = {
  w1Train: ['W1 training (MLP 3→256×3→2, batch 1024)', 'steps/s'],
  w1Forward: ['W1 forward over 5,000 points', 'samples/s'],
  siTrain: ['interpolants checkerboard training', 'steps/s'],
  siFrames: ['interpolants checkerboard sampler', 'frames/s'],
  hallucChains: ['hallucination sampling (1d-123, 2,000 chains)', 'chains/s'],
  qlaeMlp: ['QLAE MLP training (shapes3d-qlae)', 'steps/s'],
  qlaeConv: ['QLAE conv training (sprites, [16, 32])', 'steps/s'],
};
