// The benchmark's workload (W1) and timing protocol, the same wherever a runtime runs: GenLab in
// a lab worker (as the labs train) or on the page's main thread, TF.js in a worker of its own or
// on the main thread. Warm-up steps and forwards, then timed training steps and forwards; runs
// alternated in rounds combine into medians (the bench page and bench/bench.mjs alike).

/** W1: an MLP 3→256→256→256→2 with SiLU, trained on a fixed batch, with an MSE loss. */
export const SIZES = [3, 256, 256, 256, 2];
export const BATCH = 1024;
export const SEED = 0;
/** Points in the timed forward pass. */
export const FORWARD_POINTS = 5000;
/**
 * Untimed steps and forwards first. V8 compiles wasm fast and tiers hot code up later; a lab
 * worker's core, compiled by the page and handed over, tiers up later than a core compiled where
 * it runs: over 3 warm-up steps it trained W1 at 0.8× its speed, over 10 at its full speed.
 */
export const WARMUP = 10;

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

/** The median of `values`. */
export function median(values) {
  const sorted = values.toSorted((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * One runtime's results over alternated rounds as one: the first round's (its losses), with the
 * median speeds and every round's speeds.
 */
export function medianOf(runs) {
  return {
    ...runs[0],
    stepsPerSec: median(runs.map((r) => r.stepsPerSec)),
    samplesPerSec: median(runs.map((r) => r.samplesPerSec)),
    rounds: runs.map(({ stepsPerSec, samplesPerSec }) => ({ stepsPerSec, samplesPerSec })),
  };
}

/**
 * The median over the rounds of a / b, for training and the forward (`a[i]` and `b[i]` ran in
 * round i): each round's runtimes ran side by side, so the machine's drift cannot swing it.
 */
export function roundRatio(a, b) {
  return {
    train: median(a.map((x, i) => x.stepsPerSec / b[i].stepsPerSec)),
    forward: median(a.map((x, i) => x.samplesPerSec / b[i].samplesPerSec)),
  };
}
