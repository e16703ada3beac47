// The latent-quantization lab (Hsu et al. 2023): an autoencoder whose latents snap to small
// learnable scalar codebooks (QLAE), or the AE / β-VAE baselines, trained in the page on
// procedural images with known factors. Shows reconstructions, the latent traversal, the NMI
// heatmap with InfoM / InfoE / InfoC, PSNR, and a composer that decodes any latent setting.
// "Compare with" trains a second run (same data and settings, another model) side by side in
// its own worker. Every setting lives in the URL hash (#qlae?…), so a link reproduces the run.
import { LabWorker } from '../lab-worker.js';
import { LabView, callSession } from './lab-view.js';
import { canonical, toCsv } from './shared.js';
import { savedRun } from '../ui/saved.js';
import { drawLossCurves } from '../render/loss.js';
import { drawCodebooks, drawImageGrid, drawNmi, gridCell } from '../render/images.js';
import { Placeholder, coverPlots, weightsProgress } from '../render/placeholder.js';
import { downloads } from '../downloads.js';
import { fetchPreview } from './preview.js';

const $ = (id) => document.getElementById(id);

/** Held-out images shown (and pickable) in the reconstruction strip. */
const STRIP = 10;
/** Steps between refreshes of the pictures while training; metrics every SCORE_EVERY. */
const SEGMENT = 250;
const SCORE_EVERY = 1000;

/** The preset the lab opens with: Shapes3D-lite, the paper's main dataset; from scratch its QLAE passes InfoM 0.6 by the first score. */
const DEFAULT_PRESET = 'shapes3d-qlae';

/** The paper's scale against the lab's, shown under settings of no preset. */
const PAPER = 'The paper: a 12-layer conv encoder and a style decoder at 64×64, batch 128 for 200,000 steps; InfoMEC on 10,000 images. Here: 32×32 images and MLP encoder and decoder (256, 256) by default, because the conv nets train about ten times slower; the conv encoder and style decoder are settings of the config (encoder.channels, decoder.channels). The paper keeps the learning rate constant; “Cosine to” (train.lrEnd, our setting) decays it over the run. Trained from scratch (Reset, then Train), the default Shapes3D-lite QLAE scores InfoM above 0.6 at its first score, step 1,000.';
/** What each model is, shown under settings of no preset. */
const MODEL_NOTES = {
  qlae: `QLAE: each latent snaps to the nearest of its own 10 learnable values (initialised evenly on [−0.5, 0.5]); the decoder gets them through the straight-through estimator; loss = BCE + 0.01·quantization + 0.01·commitment; AdamW with weight decay 0.1 on weights (gradients clipped to ±1), Adam on biases and codebooks.`,
  ae: `AE: the same nets with continuous latents and weight decay 0.001, the paper’s baseline. Its metrics use the k-nearest-neighbour estimator for continuous latents, whose floor is higher (pure noise scores InfoM ≈ 0.66 with it).`,
  vae: `β-VAE: Gaussian latents (mean, softplus σ), loss = BCE + β·KL averaged over latents, as in the authors’ code. The traversal and metrics use the mean.`,
};

const MODEL_NAMES = { qlae: 'QLAE', ae: 'AE', vae: 'β-VAE' };
/** Whether run A or the comparison run B is model `m`. */
const uses = (c, m) => c.model === m || c.compare === m;

/** The form's fields and the config's settings they show (see bindings.js); `compare` is the link's own. */
const BINDINGS = [
  { id: 'qlae-data', path: 'data', read: (kind) => ({ kind }), show: (d) => d.kind },
  { id: 'qlae-model', path: 'model', type: 'text' },
  { id: 'qlae-compare', path: 'compare', type: 'text' },
  { id: 'qlae-latents', path: 'latents', type: 'optional' },
  { id: 'qlae-values', path: 'values', type: 'number', enabled: (c) => uses(c, 'qlae') },
  { id: 'qlae-quantization', path: 'train.quantization', type: 'number', enabled: (c) => uses(c, 'qlae') },
  { id: 'qlae-commitment', path: 'train.commitment', type: 'number', enabled: (c) => uses(c, 'qlae') },
  { id: 'qlae-beta', path: 'train.beta', type: 'number', enabled: (c) => uses(c, 'vae') },
  { id: 'qlae-steps', path: 'train.steps', type: 'number' },
  { id: 'qlae-batch', path: 'train.batch', type: 'number' },
  { id: 'qlae-lr', path: 'train.lr', type: 'number' },
  { id: 'qlae-lr-end', path: 'train.lrEnd', type: 'optional' },
  { id: 'qlae-wd', path: 'train.weightDecay', type: 'optional' },
  { id: 'qlae-eval-size', path: 'evalSize', type: 'number' },
  { id: 'qlae-seed', path: 'seed', type: 'number' },
];

/**
 * One training run with its pictures: a worker, and the elements whose ids start with
 * `prefix` (the page's run, or a clone of it for the comparison run).
 */
class QlaeRun {
  constructor(prefix, worker) {
    this.prefix = prefix;
    this.worker = worker;
    this.learned = true;
    this.picked = 0;
    // until the first images paint: the downloads' progress (the weights are 2.6–6.9 MB)
    this.placeholder = new Placeholder(this.el('recon'));
    coverPlots(this.el('run'), this.placeholder);
    this.el('recon').addEventListener('pointerdown', (e) => {
      const k = gridCell(this.el('recon'), e, { size: this.size, columns: STRIP, count: 2 * STRIP }) % STRIP;
      if (k >= 0 && !this.previewing) { this.picked = k; this.onPick?.(); this.refresh().catch((err) => this.onError?.(err)); }
    });
    this.el('recon').addEventListener('keydown', (e) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (!step || this.previewing) return;
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

  /** Calls the session's `method` in this run's worker (as `LabView.call`). */
  call(method, args = []) {
    return callSession(this.worker, method, args);
  }

  /** A fresh network for `config`. */
  async configure(config) {
    this.take(await this.worker.request({ type: 'configure', lab: 'qlae', config }));
  }

  /** The facts of a fresh network from the worker's 'configured' reply. */
  take(reply) {
    Object.assign(this, { config: reply.config, factors: reply.factors, latents: reply.latents, channels: reply.channels, size: reply.size });
    this.trained = 0;
    this.losses = [];
    this.evaluation = null;
    this.picked = 0;
  }

  /** The slot this run's weights are kept under in the browser (run B has its own). */
  get slot() {
    return this.prefix === 'qlae' ? '' : ':b';
  }

  /** Reconstructions, the traversal of the picked image, the codebooks and the composer. */
  async refresh() {
    this.draw(await this.pictures());
    await this.buildComposer(await this.call('latentsOf', [this.picked]));
  }

  /** What `draw` shows, from the worker's network. */
  async pictures() {
    const { originals, reconstructions } = await this.call('reconstructions', [STRIP]);
    const values = await this.call('traversalValues');
    const traversal = await this.call('traversal', [this.picked]);
    const usage = this.config.model === 'qlae' ? await this.call('usage') : new Uint32Array(0);
    return { originals, reconstructions, values, traversal, usage };
  }

  /** Draws the reconstruction strip, the traversal of the picked image and the codebooks. */
  draw({ originals, reconstructions, values, traversal, usage }) {
    const both = new Float32Array(originals.length + reconstructions.length);
    both.set(originals);
    both.set(reconstructions, originals.length);
    this.placeholder.stop(); // the pictures that follow it are drawn next
    drawImageGrid(this.el('recon'), both, { count: 2 * STRIP, channels: this.channels, size: this.size, columns: STRIP, highlight: this.picked });
    this.values = values;
    this.columns = this.values.length / this.latents;
    drawImageGrid(this.el('traversal'), traversal, { count: this.latents * this.columns, channels: this.channels, size: this.size, columns: this.columns });
    this.el('traversal-caption').textContent = this.config.model === 'qlae'
      ? `Traversal of image ${this.picked + 1}: row j sets latent zj to each of its ${this.columns} codebook values (left to right), the others kept.`
      : `Traversal of image ${this.picked + 1}: row j moves latent zj over ${this.columns} steps of its range on the held-out images, the others kept.`;
    this.usage = usage;
    this.drawCodebooks();
  }

  /**
   * Paints the preset's first pictures (`preview.js`) while its weights download: the same
   * pictures and scores the weights give, with the composer's sliders held until they arrive.
   * Returns false when the preview is not for what this run shows.
   */
  drawPreview(preview) {
    if (preview.strip !== STRIP || preview.image !== this.picked) return false;
    // painted already, before the core configured the network: only its scores were reset
    if (this.previewing && this.preview === preview) {
      this.evaluation = preview.evaluation;
      return true;
    }
    this.previewing = true;
    this.preview = preview;
    this.draw(preview);
    this.buildSliders(preview.latents, { disabled: true });
    this.drawComposed(preview.composed);
    this.evaluation = preview.evaluation;
    for (const id of ['infom', 'infoe', 'infoc']) this.showMetric(id, this.evaluation[id], 3);
    this.showMetric('psnr', this.evaluation.psnr, 2, ' dB');
    this.drawPlots();
    return true;
  }

  /** QLAE: each latent's codebook values and how often they are used. */
  drawCodebooks() {
    this.el('codebooks').closest('figure').hidden = this.config.model !== 'qlae';
    if (this.config.model === 'qlae') drawCodebooks(this.el('codebooks'), { values: this.values, usage: this.usage, latents: this.latents });
  }

  /** The composer at the picked image's latents, decoded by the worker. */
  async buildComposer(start) {
    this.previewing = false;
    this.buildSliders(start);
    await this.compose();
  }

  /** One slider per latent over its traversal values, starting at `start` (the picked image's latents). */
  buildSliders(start, { disabled = false } = {}) {
    this.composed = Float32Array.from(start);
    const sliders = [];
    for (let j = 0; j < this.latents; j++) {
      const row = this.values.subarray(j * this.columns, (j + 1) * this.columns);
      let nearest = 0;
      row.forEach((v, c) => { if (Math.abs(v - start[j]) < Math.abs(row[nearest] - start[j])) nearest = c; });
      const input = Object.assign(document.createElement('input'), { type: 'range', min: '0', max: String(this.columns - 1), step: '1', value: String(nearest), disabled });
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
  }

  async compose() {
    this.drawComposed(await this.call('decode', [this.composed]));
  }

  drawComposed(image) {
    drawImageGrid(this.el('composer-image'), image, { count: 1, channels: this.channels, size: this.size, columns: 1 });
  }

  /** InfoM / InfoE / InfoC, PSNR and the NMI heatmap on the held-out images. */
  async score() {
    const { config } = this;
    const evaluation = await this.call('evaluate');
    if (this.config !== config) return; // a new network came meanwhile
    this.evaluation = evaluation;
    const e = this.evaluation;
    for (const id of ['infom', 'infoe', 'infoc']) this.showMetric(id, e[id], 3);
    this.showMetric('psnr', e.psnr, 2, ' dB');
    this.drawPlots();
  }

  /** Scores without holding up the caller: the metrics say “scoring…” until then. */
  scoreSoon() {
    this.scoring = true;
    this.drawPlots();
    this.score().catch((err) => this.onError?.(err)).finally(() => {
      this.scoring = false;
      this.drawPlots();
    });
  }

  /** A score, or “—” with why when it is undefined (null: no latent varies over the images). */
  showMetric(id, value, digits, unit = '') {
    const known = Number.isFinite(value);
    this.el(id).textContent = known ? `${value.toFixed(digits)}${unit}` : '—';
    this.el(id).title = known ? '' : 'Undefined: no latent varies over the held-out images (every code is the same).';
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
    if (!e) for (const id of ['infom', 'infoe', 'infoc', 'psnr']) this.el(id).textContent = this.scoring ? 'scoring…' : '—';
    drawNmi(this.el('nmi'), { nmi: e?.nmi, factors: e?.factors ?? [], active: e?.activeLatents ?? [], scoring: this.scoring });
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
    this.bindings = BINDINGS;
    this.defaultPreset = DEFAULT_PRESET;
    this.panelB = cloneRunPanel();
    this.run = new QlaeRun('qlae', worker);
    this.runB = null; // made (with its worker) on first use
    this.shown = [this.run];
    this.listen();
    $('qlae-evaluate').addEventListener('click', () => this.score());
    downloads.addEventListener('progress', () => {
      if (document.body.dataset.state === 'previewing') this.sayPreviewing();
    });
  }

  /** The runs shown: A, the page's, and B when comparing. */
  get runs() {
    return this.shown;
  }

  /** `compare` (the model of run B, or '') is the link's, beside the core's config. */
  split(config) {
    const { compare = '', ...rest } = config;
    if (compare && !MODEL_NAMES[compare]) throw new Error(`compare: “${String(compare).slice(0, 20)}” is not a model; use qlae, ae or vae`);
    return [rest, { compare }];
  }

  /** Training depends on everything but the number of held-out images. */
  trainingPart(config) {
    const { evalSize, ...rest } = config;
    return rest;
  }

  link() {
    return `${super.link()}${this.extras.compare ? `&compare=${this.extras.compare}` : ''}`;
  }

  /** Run A's latents of the held-out images (code indices for a QLAE). */
  async samples() {
    const run = this.run;
    if (!run.latents) return null;
    return { values: await run.call('heldOutLatents'), columns: Array.from({ length: run.latents }, (_, j) => `z${j}`) };
  }

  /** Run A's last losses and its scores on the held-out images (InfoM, InfoE, InfoC, PSNR). */
  metrics() {
    const [last, e] = [this.run.losses?.at(-1), this.run.evaluation];
    return {
      ...(last === undefined ? {} : { loss: last }),
      ...(e ? { infom: e.infom, infoe: e.infoe, infoc: e.infoc, psnr: e.psnr } : {}),
    };
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
    this.cancel();
    await this.run.call('loadWeights', [bytes, this.config.train.steps]);
    Object.assign(this.run, { trained: this.config.train.steps, losses: [] });
    await this.keep(this.run.worker, this.config, [], this.run.slot);
    this.run.drawPlots();
    await this.run.refresh();
    await this.run.score();
    this.status();
  }

  /** Run A takes the configured network; run B (when comparing) gets the same config with its model. */
  async onConfigured(reply) {
    this.run.take(reply);
    const { compare } = this.extras;
    if (compare) {
      this.runB ??= new QlaeRun('qlae-b', new LabWorker({ onFatal: (m) => this.showMessage(`${m} Your settings were kept.`) }));
      await this.runB.configure(runBConfig(this.config, compare));
    }
    this.shown = compare ? [this.run, this.runB] : [this.run];
  }

  /**
   * A preset's own settings: its first pictures download while the core configures the network,
   * and are painted as soon as they come, with the preview's facts of the network, unless this
   * browser keeps a run of these settings (that one is drawn) or a run B is compared.
   */
  onApplying(settings, { extras, fresh }) {
    const preset = fresh ? null : this.presets?.find((p) => canonical(p.config) === canonical(settings));
    this.applying = preset ? fetchPreview(preset.weights) : null;
    if (!preset) return;
    const applying = this.applying;
    const saved = savedRun(this.lab, canonical(this.trainingPart(settings)), this.run.slot);
    Promise.all([applying, saved]).then(([preview, kept]) => {
      if (kept || extras.compare || this.applying !== applying || document.body.dataset.state !== 'configuring') return;
      this.run.take(preview.facts);
      this.showPreview(this.run, preview);
    }).catch(() => {}); // a preview is only a head start: the weights still come
  }

  /**
   * Paints the preset's first pictures while `run`'s weights download (again, when they came
   * before the core had configured the network), unless the weights come first or another
   * network is configured meanwhile. Only for the preset's own settings: the held-out images
   * (`evalSize`) change the pictures.
   */
  whileWeightsLoad(run, preset) {
    const config = run.config;
    if (canonical(config) !== canonical(preset.config)) return;
    fetchPreview(preset.weights).then((preview) => {
      if (run.config !== config || run.trained || !['configuring', 'previewing'].includes(document.body.dataset.state)) return;
      this.showPreview(run, preview);
    }).catch(() => {});
  }

  /** Paints `preview` in `run`'s panel; training, scoring and the composer wait for the weights. */
  showPreview(run, preview) {
    if (!run.drawPreview(preview)) return;
    document.body.dataset.state = 'previewing';
    // until the weights come (`fillForm` and `onApplied` enable them again)
    $('qlae-train').disabled = true;
    $('qlae-evaluate').disabled = true;
    this.sayPreviewing();
  }

  /** The status line while a preview shows: what it is, and the weights' download. */
  sayPreviewing() {
    const progress = weightsProgress();
    $('qlae-status').textContent = `The preset’s pictures, drawn while its weights load${progress ? ` (${progress})` : ''}; training and the composer start once they arrive.`;
  }

  /** Each run's panel, pictures and (once trained) scores. */
  async onApplied() {
    const { compare } = this.extras;
    $('qlae-evaluate').disabled = false;
    this.panelB.hidden = !compare;
    for (const run of this.runs) {
      run.onError = (err) => this.showMessage(err.message);
      run.onPick = () => this.updateLink();
      if (!run.trained) run.evaluation = null; // a preview's scores, of weights that did not load
      run.el('run-title').hidden = !compare;
      if (compare) run.el('run-title').textContent = `${run === this.run ? 'A' : 'B'}: ${MODEL_NAMES[run.config.model]}`;
      run.drawPlots();
    }
    await Promise.all(this.runs.map((run) => run.refresh()));
    // the pictures make the page ready; the scores (InfoMEC over the held-out images, about a
    // second in wasm) follow
    for (const run of this.runs) if (run.trained) run.scoreSoon();
  }

  /** Empty latents means the paper's 2 × factors: the field shows that count for this dataset. */
  onFilled() {
    $('qlae-latents').placeholder = String(2 * this.run.factors.length);
  }

  customNote() {
    return `${MODEL_NOTES[this.config.model]} ${PAPER}`;
  }

  /** Losses as rows [total, reconstruction, quantization, commitment, kl]. */
  recordLosses(run, losses) {
    for (const l of losses) run.losses.push([l.total, l.reconstruction, l.quantization, l.commitment, l.kl]);
  }

  onProgress(run) {
    run.drawLoss();
  }

  /** The pictures refresh every SEGMENT steps, the metrics every SCORE_EVERY and at the end. */
  get segment() {
    return SEGMENT;
  }

  async onSegment(left) {
    await Promise.all(this.runs.map(async (run) => {
      await run.refresh();
      if (run.trained % SCORE_EVERY === 0 || left === 0) await run.score();
    }));
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
    super.status();
    $('qlae-progress').value = Math.min(1, this.run.trained / this.config.train.steps);
  }

  statusLine() {
    const names = this.runs.map((r) => MODEL_NAMES[r.config.model]).join(' and ');
    const trained = this.run.trained;
    return trained
      ? `${names} trained ${trained.toLocaleString('en')} steps. Click an image to traverse it; Continue training for more.`
      : `${names} untrained: press Train (${this.config.train.steps.toLocaleString('en')} steps).`;
  }
}

/** Run B's config: run A's with another model, at that model's own (the paper's) weight decay. */
function runBConfig(config, model) {
  const c = structuredClone(config);
  c.model = model;
  delete c.train.weightDecay;
  return c;
}
