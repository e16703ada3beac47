// The latent-quantization lab's speed: native candle (`genlab qlae bench --json`) against
// GenLab's wasm build in headless Chromium, on a preset's config (default `shapes3d-qlae`): training
// steps/s on a fresh network, and the time to score it (InfoMEC + PSNR on the held-out
// images). Prints a table with the wasm / native ratios and writes target/bench-qlae.json.
// Then, on the page's default preset, the lab's own Reset and Train buttons: the seconds from
// Train to the first score (step 1,000) and the InfoM it shows (the bar: ≥ 0.6 in ≤ 3 min).
//
//   node bench/bench-qlae.mjs [PRESET]   (from the repo root; GENLAB_BIN=… to pick the binary)
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { launchBrowser, openPage, runGenlabJson, startServer, ROOT, GENLAB_BIN, SHIPPED, SHIPPED_PAGE } from '../tests/e2e/harness.mjs';

const PRESET = process.argv[2] ?? 'shapes3d-qlae';
const TRAIN_STEPS = 100;
const OUT = path.join(ROOT, 'target/bench-qlae.json');

const runNative = () => runGenlabJson(['qlae', 'bench', '--preset', PRESET, '--json']);

/** The same protocol in the page, through the lab's own worker. */
async function runBrowser() {
  const browser = await launchBrowser();
  const server = await startServer(SHIPPED);
  try {
    const { page, errors } = await openPage(browser, `${server.url}#data`, SHIPPED_PAGE);
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

/** Reset and Train in the lab as a user would, on its default preset; seconds to the first score. */
async function runFromScratch() {
  const browser = await launchBrowser();
  const server = await startServer(SHIPPED);
  try {
    const { page } = await openPage(browser, `${server.url}#qlae`, SHIPPED_PAGE);
    const idle = () => page.waitForFunction(() => { const v = window.genlab?.views?.qlae; return document.body.dataset.state === 'ready' && v?.run?.config && !v.training; }, null, { timeout: 120_000 });
    await idle();
    await page.click('#qlae-reset');
    await page.waitForFunction(() => window.genlab.views.qlae.run.trained === 0 && !window.genlab.views.qlae.run.evaluation, null, { timeout: 60_000 });
    await idle();
    const t = Date.now();
    await page.click('#qlae-train');
    await page.waitForFunction(() => window.genlab.views.qlae.run.evaluation, null, { timeout: 900_000, polling: 200 });
    const seconds = (Date.now() - t) / 1000;
    const result = await page.evaluate(() => { const v = window.genlab.views.qlae; return { preset: v.presetName, steps: v.run.trained, infom: v.run.evaluation.infom, psnr: v.run.evaluation.psnr }; });
    return { ...result, seconds };
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
  console.error('the page: Reset, then Train, on the default preset …');
  const scratch = await runFromScratch();
  console.log(`in the page from scratch: "${scratch.preset}" scored InfoM ${f(scratch.infom, 3)} (PSNR ${f(scratch.psnr)} dB) at step ${scratch.steps}, ${f(scratch.seconds)} s after Train`);
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify({ date: new Date().toISOString(), preset: PRESET, native, wasm, scratch }, null, 2)}\n`);
}

main().catch((e) => {
  console.error(`benchmark failed: ${e.message}`);
  process.exitCode = 1;
});
