// The latent-quantization lab's speed: native candle (`genlab qlae bench --json`) against
// GenLab's wasm build in headless Chromium, on the `sprites-qlae` preset's config: training
// steps/s on a fresh network, and the time to score it (InfoMEC + PSNR on the held-out
// images). Prints a table with the wasm / native ratios and writes target/bench-qlae.json.
//
//   node tests/e2e/bench-qlae.mjs   (from the repo root; GENLAB_BIN=… to pick the binary)
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { launchBrowser, openPage, runGenlabJson, startServer, ROOT, GENLAB_BIN } from './harness.mjs';

const PRESET = 'sprites-qlae';
const TRAIN_STEPS = 100;
const OUT = path.join(ROOT, 'target/bench-qlae.json');

const runNative = () => runGenlabJson(['qlae', 'bench', '--preset', PRESET, '--json']);

/** The same protocol in the page, through the lab's own worker. */
async function runBrowser() {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const { page, errors } = await openPage(browser, `${server.url}#data`);
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
    const result = await page.evaluate(async ({ preset, trainSteps }) => {
      const view = window.genlab.views.qlae;
      const config = view.presets.find((p) => p.name === preset).config;
      await view.worker.request({ type: 'configure', lab: 'qlae', config });
      await view.worker.request({ type: 'train', k: 1, chunk: 1 }); // warm-up
      let t = performance.now();
      await view.worker.request({ type: 'train', k: trainSteps, chunk: 10 });
      const trainStepsPerSec = trainSteps / ((performance.now() - t) / 1000);
      t = performance.now();
      await view.worker.request({ type: 'call', method: 'evaluate', args: [] });
      return { runtime: 'wasm', trainStepsPerSec, batch: config.train.batch, evalSeconds: (performance.now() - t) / 1000, evalSize: config.evalSize };
    }, { preset: PRESET, trainSteps: TRAIN_STEPS });
    return { ...result, browser: browser.version(), consoleErrors: errors };
  } finally {
    await browser.close();
    server.stop();
  }
}

async function main() {
  console.error(`native: ${path.relative(ROOT, GENLAB_BIN)} qlae bench --preset ${PRESET} --json …`);
  const native = await runNative();
  console.error('wasm: the same protocol in headless Chromium …');
  const wasm = await runBrowser();
  const f = (v, d = 1) => Number(v).toFixed(d);
  console.log(`workload: latent-quantization preset "${PRESET}" (batch ${native.batch}; scoring ${native.evalSize} held-out images)`);
  console.log(`${'runtime'.padEnd(16)}${'train steps/s'.padStart(14)}${'score s'.padStart(10)}`);
  for (const [name, r] of [['native candle', native], ['GenLab wasm', wasm]]) {
    console.log(`${name.padEnd(16)}${f(r.trainStepsPerSec).padStart(14)}${f(r.evalSeconds, 2).padStart(10)}`);
  }
  console.log(`ratio wasm / native: train ${(wasm.trainStepsPerSec / native.trainStepsPerSec).toFixed(2)}×, scoring time ${(wasm.evalSeconds / native.evalSeconds).toFixed(2)}×`);
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify({ date: new Date().toISOString(), preset: PRESET, native, wasm }, null, 2)}\n`);
}

main().catch((e) => {
  console.error(`benchmark failed: ${e.message}`);
  process.exitCode = 1;
});
