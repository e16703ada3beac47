// The benchmark's timing protocol, the same on the bench page's main thread (GenLab's
// single-threaded core, TF.js) and in a lab worker (GenLab's threaded core, whose pool only a
// worker may start): warm-up steps and forwards, then timed training steps and forwards.

/** Points in the timed forward pass. */
export const FORWARD_POINTS = 5000;
export const WARMUP = 3;

/**
 * Runs the protocol on one runtime: `trainStep()` → loss, `forward()` → anything, both synchronous
 * and complete when they return. Warm-up steps count towards the loss curve (firstLoss is the
 * loss before any update) but not towards the timing. `phase(text)` is awaited between phases
 * (never inside a timed loop), so a page can show the status.
 */
export async function runProtocol(label, { trainStep, forward }, steps, reps, phase = async () => {}) {
  const losses = [];
  await phase(`Running ${label}: warming up…`);
  for (let i = 0; i < WARMUP; i++) losses.push(trainStep());
  for (let i = 0; i < WARMUP; i++) forward();

  await phase(`Running ${label}: ${steps} training steps…`);
  let t0 = performance.now();
  for (let i = 0; i < steps; i++) losses.push(trainStep());
  const trainMs = performance.now() - t0;

  await phase(`Running ${label}: ${reps} forward passes over ${FORWARD_POINTS.toLocaleString('en-US')} points…`);
  let checksum = 0;
  t0 = performance.now();
  for (let i = 0; i < reps; i++) checksum += forward();
  const forwardMs = performance.now() - t0;

  for (const l of losses) {
    if (!Number.isFinite(l)) throw new Error(`${label}: non-finite training loss ${l}`);
  }
  if (!Number.isFinite(checksum)) throw new Error(`${label}: non-finite forward output`);
  return {
    stepsPerSec: steps / (trainMs / 1000),
    samplesPerSec: (reps * FORWARD_POINTS) / (forwardMs / 1000),
    firstLoss: losses[0],
    finalLoss: losses[losses.length - 1],
    trainMs,
    forwardMs,
  };
}
