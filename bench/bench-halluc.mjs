// The hallucination lab's speed: native candle (`genlab halluc bench --json`) against GenLab's
// wasm build in headless Chromium, on the `grid25` preset's shipped network: training steps/s
// (batch 1,024) and the time to sample 2,000 whole reverse chains of 1,000 steps recording x̂₀,
// to the first streamed chunk and to the end, in the lab's worker alone and with its helper
// workers (one per other core). Prints a table with the ratios and writes target/bench-halluc.json.
//
//   node bench/bench-halluc.mjs   (from the repo root; GENLAB_BIN=… to pick the binary)
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { launchBrowser, openPage, runGenlabJson, startServer, ROOT, GENLAB_BIN, SHIPPED, SHIPPED_PAGE } from '../tests/e2e/harness.mjs';

const PRESET = 'grid25';
const SAMPLES = 2000;
const TRAIN_STEPS = 50;
const OUT = path.join(ROOT, 'target/bench-halluc.json');

const runNative = () => runGenlabJson(['halluc', 'bench', '--preset', PRESET, '--n', String(SAMPLES), '--json']);

/** The same protocol in the page, through the lab's own worker. */
async function runBrowser() {
  const browser = await launchBrowser();
  const server = await startServer(SHIPPED);
  try {
    // the Data view opens first; the hallucination lab's worker is idle
    const { page, errors } = await openPage(browser, `${server.url}#data`, SHIPPED_PAGE);
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
    const result = await page.evaluate(async ({ preset, samples, trainSteps }) => {
      const view = window.genlab.views.halluc;
      const { worker } = view;
      const entry = view.presets.find((p) => p.name === preset);
      const config = { ...entry.config, n: samples };
      await worker.request({ type: 'configure', lab: 'halluc', config });
      let t = performance.now();
      await worker.request({ type: 'train', k: trainSteps, chunk: 10 });
      const trainStepsPerSec = trainSteps / ((performance.now() - t) / 1000);
      await worker.request({ type: 'configure', lab: 'halluc', config });
      const bytes = new Uint8Array(await (await fetch(entry.weights)).arrayBuffer());
      await worker.request({ type: 'call', method: 'loadWeights', args: [bytes, config.train.steps] });
      const sample = async (helpers) => {
        const start = performance.now();
        let first = null;
        const done = await worker.request({ type: 'diffuse', helpers }, (m) => { if (m.type === 'diffused' && first === null) first = performance.now() - start; });
        return { workers: done.workers, firstChunkSeconds: first / 1000, sampleSeconds: (performance.now() - start) / 1000 };
      };
      const alone = await sample(0);
      const shared = await sample(undefined);
      return { runtime: 'wasm', trainStepsPerSec, samples, reverseSteps: config.schedule.steps, ...shared, alone };
    }, { preset: PRESET, samples: SAMPLES, trainSteps: TRAIN_STEPS });
    return { ...result, browser: browser.version(), consoleErrors: errors };
  } finally {
    await browser.close();
    server.stop();
  }
}

async function main() {
  console.error(`native: ${path.relative(ROOT, GENLAB_BIN)} halluc bench --preset ${PRESET} --n ${SAMPLES} --json …`);
  const native = await runNative();
  console.error('wasm: the same protocol in headless Chromium …');
  const wasm = await runBrowser();
  const f = (v, d = 1) => (v === null || v === undefined ? '—' : Number(v).toFixed(d));
  console.log(`workload: hallucination preset "${PRESET}" (the paper's network, width 128; training batch 1,024; ${SAMPLES} chains × ${native.reverseSteps} steps)`);
  console.log(`${'runtime'.padEnd(24)}${'train steps/s'.padStart(14)}${'first chunk s'.padStart(15)}${'all samples s'.padStart(15)}`);
  const rows = [['native candle', native], ['GenLab wasm, 1 worker', { ...wasm.alone, trainStepsPerSec: wasm.trainStepsPerSec }], [`GenLab wasm, ${wasm.workers} workers`, { ...wasm, trainStepsPerSec: null }]];
  for (const [name, r] of rows) {
    console.log(`${name.padEnd(24)}${f(r.trainStepsPerSec).padStart(14)}${f(r.firstChunkSeconds, 2).padStart(15)}${f(r.sampleSeconds).padStart(15)}`);
  }
  console.log(`ratio wasm / native: train ${(wasm.trainStepsPerSec / native.trainStepsPerSec).toFixed(2)}×, sampling time ${(wasm.sampleSeconds / native.sampleSeconds).toFixed(2)}× (1 worker: ${(wasm.alone.sampleSeconds / native.sampleSeconds).toFixed(2)}×)`);
  console.log(`${wasm.workers} workers against 1: ${(wasm.alone.sampleSeconds / wasm.sampleSeconds).toFixed(2)}× faster`);
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify({ date: new Date().toISOString(), preset: PRESET, native, wasm }, null, 2)}\n`);
}

main().catch((e) => {
  console.error(`benchmark failed: ${e.message}`);
  process.exitCode = 1;
});
