// The latent-quantization lab (Hsu et al. 2023): an autoencoder whose latents snap to small
// learnable scalar codebooks (QLAE), or the AE / β-VAE baselines, trained in the page on
// procedural images with known factors. Shows reconstructions, the latent traversal, the NMI
// heatmap with InfoM / InfoE / InfoC, PSNR, and a composer that decodes any latent setting.
// "Compare with" trains a second run (same data and settings, another model) side by side in
// its own worker. Every setting lives in the URL hash (#qlae?…), so a link reproduces the run.
import { LabWorker } from '../lab-worker.js';
import { LabView } from './lab-view.js';
import { ProgressAnnouncer, announce } from '../ui/announce.js';
import { fillOptional, readOptional, toCsv } from './shared.js';
import { drawLossCurves } from '../render/loss.js';
import { drawCodebooks, drawImageGrid, drawNmi, gridCell } from '../render/images.js';

const $ = (id) => document.getElementById(id);

/** Held-out images shown (and pickable) in the reconstruction strip. */
const STRIP = 10;
/** Steps between refreshes of the pictures while training; metrics every SCORE_EVERY. */
const SEGMENT = 250;
const SCORE_EVERY = 1000;

/** The preset the lab opens with: Shapes3D-lite, the paper's main dataset; from scratch its QLAE passes InfoM 0.6 by the first score. */
const DEFAULT_PRESET = 'shapes3d-qlae';

const PAPER = 'The paper: a 12-layer conv encoder and a style decoder at 64×64, batch 128 for 200,000 steps; InfoMEC on 10,000 images. Here: 32×32 images and MLP encoder and decoder (256, 256) by default, because natively on one CPU core the conv nets train at 2–3 steps/s against 22 (Shapes3D-lite) to 50 (sprites) for the MLPs; the conv encoder and style decoder are settings of the config (encoder.channels, decoder.channels). The paper keeps the learning rate constant; “Cosine to” (train.lrEnd, our setting) decays it over the run. Trained from scratch (Reset, then Train), the default Shapes3D-lite QLAE scores InfoM above 0.6 at its first score, step 1,000: about 80 s in headless Chromium on our 2-core test machine.';
const NOTES = {
  qlae: `QLAE: each latent snaps to the nearest of its own 10 learnable values (initialised evenly on [−0.5, 0.5]); the decoder gets them through the straight-through estimator; loss = BCE + 0.01·quantization + 0.01·commitment; AdamW with weight decay 0.1 on weights (gradients clipped to ±1), Adam on biases and codebooks. ${PAPER}`,
  ae: `AE: the same nets with continuous latents and weight decay 0.001, the paper’s baseline. Its metrics use the k-nearest-neighbour estimator for continuous latents, whose floor is higher (pure noise scores InfoM ≈ 0.66 with it). ${PAPER}`,
  vae: `β-VAE: Gaussian latents (mean, softplus σ), loss = BCE + β·KL averaged over latents, as in the authors’ code. The traversal and metrics use the mean. ${PAPER}`,
};

const MODEL_NAMES = { qlae: 'QLAE', ae: 'AE', vae: 'β-VAE' };

/**
 * One training run with its pictures: a worker, and the elements whose ids start with
 * `prefix` (the page's run, or a clone of it for the comparison run).
 */
class QlaeRun {
  constructor(prefix, worker) {
    this.prefix = prefix;
    this.worker = worker;
    this.picked = 0;
    this.el('recon').addEventListener('pointerdown', (e) => {
      const k = gridCell(this.el('recon'), e, { size: this.size, columns: STRIP, count: 2 * STRIP }) % STRIP;
      if (k >= 0) { this.picked = k; this.onPick?.(); this.refresh().catch((err) => this.onError?.(err)); }
    });
    this.el('recon').addEventListener('keydown', (e) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (!step) return;
      e.preventDefault();
      this.picked = (this.picked + step + STRIP) % STRIP;
      this.onPick?.();
      this.refresh().catch((err) => this.onError?.(err));
    });
    new ResizeObserver(() => this.drawPlots()).observe(this.el('nmi'));
  }

  el(id) {
    return document.getElementById(`${this.prefix}-${id}`);
  }

  call(method, ...args) {
    return this.worker.request({ type: 'call', method, args }).then((r) => r.result);
  }

  /** A fresh network for `config`. */
  async configure(config) {
    const reply = await this.worker.request({ type: 'configure', lab: 'qlae', config });
    Object.assign(this, { config: reply.config, factors: reply.factors, latents: reply.latents, channels: reply.channels, size: reply.size });
    this.losses = [];
    this.trained = 0;
    this.evaluation = null;
    this.picked = 0;
  }

  /** The slot this run's weights are kept under in the browser (run B has its own). */
  get slot() {
    return this.prefix === 'qlae' ? '' : ':b';
  }

  /** `k` steps; `onProgress` after every chunk. Resolves false when cancelled. */
  async trainSteps(k, onProgress) {
    const reply = await this.worker.request({ type: 'train', k, chunk: 10 }, (m) => {
      if (m.type !== 'progress') return;
      for (const l of m.losses) this.losses.push([l.total, l.reconstruction, l.quantization, l.commitment, l.kl]);
      this.trained = m.step;
      this.drawLoss();
      onProgress();
    });
    return reply.type !== 'cancelled';
  }

  /** Reconstructions, the traversal of the picked image, the codebooks and the composer. */
  async refresh() {
    const { originals, reconstructions } = await this.call('reconstructions', STRIP);
    const both = new Float32Array(originals.length + reconstructions.length);
    both.set(originals);
    both.set(reconstructions, originals.length);
    drawImageGrid(this.el('recon'), both, { count: 2 * STRIP, channels: this.channels, size: this.size, columns: STRIP, highlight: this.picked });
    this.values = await this.call('traversalValues');
    this.columns = this.values.length / this.latents;
    const grid = await this.call('traversal', this.picked);
    drawImageGrid(this.el('traversal'), grid, { count: this.latents * this.columns, channels: this.channels, size: this.size, columns: this.columns });
    this.el('traversal-caption').textContent = this.config.model === 'qlae'
      ? `Traversal of image ${this.picked + 1}: row j sets latent zj to each of its ${this.columns} codebook values (left to right), the others kept.`
      : `Traversal of image ${this.picked + 1}: row j moves latent zj over ${this.columns} steps of its range on the held-out images, the others kept.`;
    this.usage = this.config.model === 'qlae' ? await this.call('usage') : new Uint32Array(0);
    this.drawCodebooks();
    await this.buildComposer(await this.call('latentsOf', this.picked));
  }

  /** QLAE: each latent's codebook values and how often they are used. */
  drawCodebooks() {
    this.el('codebooks').closest('figure').hidden = this.config.model !== 'qlae';
    if (this.config.model === 'qlae') drawCodebooks(this.el('codebooks'), { values: this.values, usage: this.usage, latents: this.latents });
  }

  /** One slider per latent over its traversal values, starting at the picked image's latents. */
  async buildComposer(start) {
    this.composed = Float32Array.from(start);
    const sliders = [];
    for (let j = 0; j < this.latents; j++) {
      const row = this.values.subarray(j * this.columns, (j + 1) * this.columns);
      let nearest = 0;
      row.forEach((v, c) => { if (Math.abs(v - start[j]) < Math.abs(row[nearest] - start[j])) nearest = c; });
      const input = Object.assign(document.createElement('input'), { type: 'range', min: '0', max: String(this.columns - 1), step: '1', value: String(nearest) });
      input.setAttribute('aria-label', `latent z${j}`);
      const label = document.createElement('label');
      const text = document.createElement('span');
      const show = () => { text.textContent = `z${j} = ${row[Number(input.value)].toFixed(2)}`; };
      show();
      input.addEventListener('input', () => {
        this.composed[j] = row[Number(input.value)];
        show();
        this.compose().catch((err) => this.onError?.(err));
      });
      label.append(text, input);
      sliders.push(label);
    }
    this.el('composer').replaceChildren(...sliders);
    await this.compose();
  }

  async compose() {
    const image = await this.call('decode', this.composed);
    drawImageGrid(this.el('composer-image'), image, { count: 1, channels: this.channels, size: this.size, columns: 1 });
  }

  /** InfoM / InfoE / InfoC, PSNR and the NMI heatmap on the held-out images. */
  async score() {
    this.evaluation = await this.call('evaluate');
    const e = this.evaluation;
    this.el('infom').textContent = e.infom.toFixed(3);
    this.el('infoe').textContent = e.infoe.toFixed(3);
    this.el('infoc').textContent = e.infoc.toFixed(3);
    this.el('psnr').textContent = `${e.psnr.toFixed(2)} dB`;
    this.drawPlots();
  }

  drawLoss() {
    // each term as it enters the loss (× its λ or β), so that all share one scale
    const t = this.config.train;
    const series = { BCE: this.losses.map((l) => l[1]) };
    if (this.config.model === 'qlae') {
      // the two terms have the same value, (z − q)², and differ only in what they move
      series['λ·(q + c)'] = this.losses.map((l) => t.quantization * l[2] + t.commitment * l[3]);
    }
    if (this.config.model === 'vae') series['β·KL'] = this.losses.map((l) => t.beta * l[4]);
    drawLossCurves(this.el('loss'), series);
  }

  drawPlots() {
    if (!this.config) return;
    const e = this.evaluation;
    if (!e) for (const id of ['infom', 'infoe', 'infoc', 'psnr']) this.el(id).textContent = '—';
    drawNmi(this.el('nmi'), { nmi: e?.nmi, factors: e?.factors ?? [], active: e?.activeLatents ?? [] });
    if (this.values) this.drawCodebooks();
    this.drawLoss();
  }
}

/** Copies the run panel for the comparison run, every `qlae-` id renamed `qlae-b-`. */
function cloneRunPanel() {
  const panel = $('qlae-run').cloneNode(true);
  for (const node of [panel, ...panel.querySelectorAll('[id]')]) node.id = node.id.replace(/^qlae-/, 'qlae-b-');
  panel.hidden = true;
  $('qlae-run').after(panel);
  return panel;
}

export class QlaeView extends LabView {
  constructor(worker, options) {
    super(worker, options);
    this.config = null;
    this.training = false;
    this.compare = '';
    this.panelB = cloneRunPanel();
    this.runs = [new QlaeRun('qlae', worker)];
    this.runB = null; // made (with its worker) on first use
    this.form = $('qlae-controls');
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.applyForm(); });
    this.form.addEventListener('change', (e) => {
      if (e.target.id === 'qlae-preset') this.openPreset(e.target.value);
      else this.applyForm();
    });
    $('qlae-train').addEventListener('click', () => (this.training ? this.stop() : this.train()));
    $('qlae-evaluate').addEventListener('click', () => this.score());
    $('qlae-reset').addEventListener('click', () => this.restart());
  }

  /** Run A, the page's. */
  get run() {
    return this.runs[0];
  }

  setPresets(presets) {
    this.presets = presets;
    $('qlae-preset').replaceChildren(new Option('(custom)', ''), ...presets.map((p) => new Option(p.name, p.name)));
  }

  defaults() {
    return structuredClone(this.presets.find((p) => p.name === DEFAULT_PRESET)?.config ?? this.presets[0].config);
  }

  async openPreset(name) {
    const preset = this.presets.find((p) => p.name === name);
    if (preset) await this.apply({ ...structuredClone(preset.config), compare: this.compare });
  }

  /** Training depends on everything but the number of held-out images. */
  trainingPart(config) {
    const { evalSize, ...rest } = config;
    return rest;
  }

  link() {
    return `${super.link()}${this.compare ? `&compare=${this.compare}` : ''}`;
  }

  /**
   * Run A's held-out factors and scored latents as CSV (`genlab metrics infomec --sources
   * F.csv --latents Z.csv [--discrete]` gives the page's InfoM, InfoE and InfoC), and each
   * run's weights.
   */
  exports() {
    const run = this.run;
    const factors = run.factors.map((f) => f.name);
    const latentNames = Array.from({ length: run.latents }, (_, j) => `z${j}`);
    const csvs = [
      { label: 'Held-out factors (CSV)', filename: `${this.exportName()}-factors.csv`, make: async () => toCsv(factors, await run.call('heldOutFactors'), factors.length) },
      { label: `Held-out latents${run.config.model === 'qlae' ? ', code indices' : ''} (CSV)`, filename: `${this.exportName()}-latents.csv`, make: async () => toCsv(latentNames, await run.call('heldOutLatents'), run.latents) },
    ];
    return [...csvs, ...this.runs.filter((r) => r.trained).map((r) => {
      const name = `${this.exportName()}${r.slot ? `-b-${r.config.model}` : ''}.safetensors`;
      return { label: `Weights${r.slot ? ' of B' : ''} (safetensors)`, filename: name, make: async () => new Blob([await r.call('weights')]) };
    })];
  }

  /** Weights made for run A's config (`genlab qlae train --out`, or exported here). */
  async importWeights(bytes) {
    this.stop();
    await this.run.call('loadWeights', bytes, this.config.train.steps);
    Object.assign(this.run, { trained: this.config.train.steps, losses: [] });
    await this.keep(this.run.worker, this.config, [], this.run.slot);
    this.run.drawPlots();
    await this.run.refresh();
    await this.run.score();
    this.status();
  }

  /**
   * Configures run A (and run B when comparing: the same config with `compare`'s model); a
   * config equal to a preset's opens with its shipped weights unless `fresh`.
   */
  async apply(config, { fresh = false } = {}) {
    const { compare = '', ...rest } = config;
    if (compare && !MODEL_NAMES[compare]) throw new Error(`compare: “${String(compare).slice(0, 20)}” is not a model; use qlae, ae or vae`);
    document.body.dataset.state = 'configuring';
    this.stop();
    await Promise.all(this.runs.map((run) => this.keepBeforeChange(run.worker, run.trained ? run.config : null, run.losses, { slot: run.slot, fresh })));
    const reply = await this.configure(rest);
    this.config = reply.config;
    this.compare = compare;
    this.showMessage(null);
    const preset = this.presetFor(this.config);
    this.presetName = preset?.name ?? '';
    if (compare) {
      this.runB ??= new QlaeRun('qlae-b', new LabWorker({ onFatal: (m) => this.showMessage(`${m} Your settings were kept.`) }));
      this.runs = [this.run, this.runB];
    } else {
      this.runs = [this.run];
    }
    const configs = [this.config, runBConfig(this.config, compare)];
    await Promise.all(this.runs.map(async (run, i) => {
      await run.configure(configs[i]);
      if (fresh) return;
      try {
        const start = await this.startFrom(run.worker, configs[i], this.presetFor(configs[i])?.weights, run.slot);
        if (start) Object.assign(run, { trained: start.trained, losses: start.losses ?? [] });
      } catch (err) {
        this.showMessage(`${err.message}. The network is untrained: press Train.`);
      }
    }));
    this.publish();
    this.fillForm();
    this.panelB.hidden = !compare;
    for (const run of this.runs) {
      run.onError = (err) => this.showMessage(err.message);
      run.onPick = () => this.updateLink();
      run.el('run-title').hidden = !compare;
      if (compare) run.el('run-title').textContent = `${run === this.run ? 'A' : 'B'}: ${MODEL_NAMES[run.config.model]}`;
      run.drawPlots();
    }
    await Promise.all(this.runs.map(async (run) => {
      await run.refresh();
      if (run.trained) await run.score();
    }));
    document.body.dataset.state = 'ready';
    this.status();
  }

  readForm() {
    const c = structuredClone(this.config);
    c.data = { kind: $('qlae-data').value };
    c.model = $('qlae-model').value;
    readOptional($('qlae-latents'), c, 'latents');
    c.values = Number($('qlae-values').value);
    c.train.quantization = Number($('qlae-quantization').value);
    c.train.commitment = Number($('qlae-commitment').value);
    c.train.beta = Number($('qlae-beta').value);
    c.train.steps = Number($('qlae-steps').value);
    c.train.batch = Number($('qlae-batch').value);
    c.train.lr = Number($('qlae-lr').value);
    readOptional($('qlae-lr-end'), c.train, 'lrEnd');
    readOptional($('qlae-wd'), c.train, 'weightDecay');
    c.evalSize = Number($('qlae-eval-size').value);
    c.seed = Number($('qlae-seed').value);
    c.compare = $('qlae-compare').value;
    return c;
  }

  fillForm() {
    const c = this.config;
    $('qlae-preset').value = this.presetName;
    const shipped = this.presets.find((p) => p.name === this.presetName)?.weights;
    $('qlae-info').textContent = `${NOTES[c.model]}${shipped ? ` This preset opens trained: its weights were made by \`genlab qlae train --preset ${this.presetName}\` (${c.train.steps.toLocaleString('en')} steps, batch ${c.train.batch}, on one CPU core); Reset starts from scratch.` : ''}`;
    $('qlae-data').value = c.data.kind;
    $('qlae-model').value = c.model;
    $('qlae-compare').value = this.compare;
    fillOptional($('qlae-latents'), c.latents);
    // empty means the paper's 2 × factors: show that count for this dataset
    $('qlae-latents').placeholder = String(2 * this.run.factors.length);
    $('qlae-values').value = String(c.values);
    $('qlae-quantization').value = String(c.train.quantization);
    $('qlae-commitment').value = String(c.train.commitment);
    $('qlae-beta').value = String(c.train.beta);
    $('qlae-steps').value = String(c.train.steps);
    $('qlae-batch').value = String(c.train.batch);
    $('qlae-lr').value = String(c.train.lr);
    fillOptional($('qlae-lr-end'), c.train.lrEnd);
    fillOptional($('qlae-wd'), c.train.weightDecay);
    $('qlae-eval-size').value = String(c.evalSize);
    $('qlae-seed').value = String(c.seed);
    const uses = (m) => c.model === m || this.compare === m;
    $('qlae-values').disabled = !uses('qlae');
    $('qlae-quantization').disabled = !uses('qlae');
    $('qlae-commitment').disabled = !uses('qlae');
    $('qlae-beta').disabled = !uses('vae');
    $('qlae-train').textContent = this.run.trained ? 'Continue training' : 'Train';
  }

  /** Every run is learned; run A's steps are the link's. */
  get learned() {
    return true;
  }

  get trained() {
    return this.run.trained;
  }

  /** The link's view: the held-out image being traversed. */
  viewState() {
    return { image: this.run.picked };
  }

  async restoreView({ image } = {}) {
    if (!Number.isInteger(image)) return;
    this.run.picked = Math.max(0, Math.min(image, STRIP - 1));
    this.updateLink();
    await this.run.refresh();
  }

  /** Starts again from untrained networks (the Reset button). */
  restart() {
    return this.apply({ ...this.config, compare: this.compare }, { fresh: true });
  }

  suspend() {
    this.interrupted = this.training;
    this.stop();
  }

  resume() {
    if (this.interrupted) this.train();
    this.interrupted = false;
  }

  stop() {
    if (this.training) for (const run of this.runs) run.worker.cancel();
    this.training = false;
  }

  /**
   * Trains every run to step `until`, or for the rest of `train.steps` (another full run when done), in
   * segments, the runs side by side in their own workers; after each segment the pictures
   * refresh, and every SCORE_EVERY steps the metrics.
   */
  async train(until) {
    const total = this.stepsToRun(until);
    this.training = true;
    $('qlae-train').textContent = 'Pause training';
    document.body.dataset.state = 'training';
    const started = performance.now();
    const startStep = this.run.trained;
    const announcer = new ProgressAnnouncer('Training');
    announce(`Training started: ${total.toLocaleString('en')} steps.`);
    const progress = () => {
      const done = Math.min(...this.runs.map((r) => r.trained)) - startStep;
      $('qlae-progress').value = done / total;
      announcer.update(done / total);
      const rate = done / ((performance.now() - started) / 1000);
      const rest = (total - done) / rate;
      const each = this.runs.length > 1 ? ' each' : '';
      $('qlae-status').textContent = `Training: step ${(startStep + done).toLocaleString('en')}, ${rate.toFixed(1)} steps/s${each}, about ${rest < 90 ? `${Math.ceil(rest)} s` : `${Math.ceil(rest / 60)} min`} left.`;
    };
    try {
      let left = total;
      while (left > 0 && this.training) {
        const k = Math.min(SEGMENT, left);
        const finished = await Promise.all(this.runs.map((run) => run.trainSteps(k, progress)));
        if (finished.includes(false)) break;
        left -= k;
        await Promise.all(this.runs.map(async (run) => {
          await run.refresh();
          if (run.trained % SCORE_EVERY === 0 || left === 0) await run.score();
        }));
      }
    } catch (err) {
      this.showMessage(err.message);
    }
    await Promise.all(this.runs.map((run) => this.keep(run.worker, run.config, run.losses, run.slot)));
    this.updateLink();
    this.training = false;
    $('qlae-train').textContent = this.run.trained ? 'Continue training' : 'Train';
    document.body.dataset.state = 'ready';
    this.status();
  }

  async score() {
    $('qlae-status').textContent = 'Scoring on the held-out images…';
    try {
      await Promise.all(this.runs.map((run) => run.score()));
    } catch (err) {
      this.showMessage(err.message);
    }
    this.status();
  }

  status() {
    const names = this.runs.map((r) => MODEL_NAMES[r.config.model]).join(' and ');
    const trained = this.run.trained;
    $('qlae-status').textContent = trained
      ? `${names} trained ${trained.toLocaleString('en')} steps. Click an image to traverse it; Continue training for more.`
      : `${names} untrained: press Train (${this.config.train.steps.toLocaleString('en')} steps).`;
    $('qlae-progress').value = Math.min(1, trained / this.config.train.steps);
    announce($('qlae-status').textContent);
  }
}

/** Run B's config: run A's with another model, at that model's own (the paper's) weight decay. */
function runBConfig(config, model) {
  const c = structuredClone(config);
  c.model = model;
  delete c.train.weightDecay;
  return c;
}
