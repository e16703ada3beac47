// Makes the presets gallery (`make gallery`): opens every preset of every lab in headless
// Chromium, screenshots its main figure to www/gallery/<lab>-<preset>.png, and writes
// www/gallery/presets.json (lab, preset, link, what the preset shows: its note's `see`) that
// www/gallery.html shows.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, launchBrowser, openPage, startServer } from '../tests/e2e/harness.mjs';

/** Each lab's title, main figure, and any setting that only makes the thumbnail quicker to draw. */
const LABS = {
  si: { title: 'Stochastic interpolants', figure: '#si-canvas', quick: '' },
  halluc: { title: 'Diffusion hallucinations', figure: '#halluc-canvas', quick: '&n=600' },
  qlae: { title: 'Latent quantization', figure: '#qlae-traversal', quick: '' },
};
/** Presets whose picture is another figure than their lab's main one. */
const FIGURE_OF = { 'halluc-1d-1245-recursive': '#halluc-recursive-plot' };

const out = path.join(ROOT, 'www/gallery');
await mkdir(out, { recursive: true });
const browser = await launchBrowser();
const server = await startServer();
const cards = [];
try {
  for (const [lab, { title, figure, quick }] of Object.entries(LABS)) {
    const { page, context } = await openPage(browser, `${server.url}#${lab}`, { viewport: { width: 1100, height: 900 } });
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
    const presets = await page.evaluate((lab) => window.genlab.views[lab].presets.map((p) => ({ name: p.name, weights: p.weights, note: p.note })), lab);
    await context.close();
    for (const preset of presets) {
      const link = `#${lab}?preset=${preset.name}`;
      const opened = await openPage(browser, `${server.url}${link}${quick}`, { viewport: { width: 1100, height: 900 }, colorScheme: 'light' });
      await opened.page.waitForFunction((lab) => {
        const v = window.genlab?.views[lab];
        return document.body.dataset.lab === lab && document.body.dataset.state === 'ready' && v && !v.playing && !v.sampling && !v.training
          && (lab !== 'qlae' || v.run.evaluation);
      }, lab, { timeout: 600_000 });
      const file = `${lab}-${preset.name}.png`;
      await opened.page.locator(FIGURE_OF[`${lab}-${preset.name}`] ?? figure).screenshot({ path: path.join(out, file) });
      const learned = await opened.page.evaluate((lab) => Boolean(window.genlab.views[lab].learned), lab);
      cards.push({ lab, title, preset: preset.name, link, image: `gallery/${file}`, note: preset.note?.see ?? '', shipped: Boolean(preset.weights), learned });
      console.log(`${file}: ${(preset.note?.see ?? '').slice(0, 70)}…`);
      await opened.context.close();
    }
  }
} finally {
  await browser.close();
  server.stop();
}
await writeFile(path.join(out, 'presets.json'), `${JSON.stringify(cards, null, 2)}\n`);
console.log(`${cards.length} presets → www/gallery/`);
