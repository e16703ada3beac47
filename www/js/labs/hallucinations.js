// The diffusion-hallucinations lab (Aithal et al. 2024): a DDPM on a Gaussian mixture, its
// samples coloured by the variance of x̂₀ over the last K reverse steps, a threshold on that
// variance that filters hallucinations, the ROC of the detector, and each sample's x̂₀ path.
// Every setting lives in the URL hash (#halluc?…), so a link reproduces the run.
import { LabView } from './lab-view.js';
import { LabWorker } from '../lab-worker.js';
import { drawLossCurves } from '../render/loss.js';
import { drawDetection, drawLogHistogram, drawRoc, drawTrajectory, drawVarianceHistogram, logRange } from '../render/detection.js';
import { squareView } from '../render/viewport.js';
import { Placeholder, coverPlots } from '../render/placeholder.js';
import { axes, canonical, fetchJson, toCsv } from './shared.js';
import { ProgressAnnouncer, announce } from '../ui/announce.js';

const $ = (id) => document.getElementById(id);

/** The data choices and their configs (the paper's four datasets). */
const DATA = {
  grid25: { name: 'grid25', std: 0.05 },
  diamond25: { name: 'diamond25', std: 0.05 },
  '1d-123': { name: 'modes-1d', modes: [1, 2, 3], std: 0.05 },
  '1d-1245': { name: 'modes-1d', modes: [1, 2, 4, 5], std: 0.05 },
};

const PAPER = 'The paper: T = 1,000, β 0.001 → 0.2, the network with one residual block applied three times (width 128), Adam 10⁻³, batch 10,000 for 10,000 epochs.';
/** Presets that ship the output of `genlab halluc recursive --preset NAME`. */
const SHIPPED_RECURSION = { '1d-1245-recursive': 'models/halluc/1d-1245-recursive.lineages.json' };
/** Settings small enough to run recursive training in the page in a few minutes. */
const SMALL_RECURSION = {
  version: 1, data: DATA['1d-123'], trainSize: 1000, schedule: { steps: 100, betaStart: 0.001, betaEnd: 0.2 },
  train: { width: 64, batch: 256, steps: 1000, lr: 0.001, ema: 0 }, denoiser: 'learned', window: 10, k: 4, n: 1000, seed: 0,
};
/** The form's fields and the config's settings they show (see bindings.js). */
const BINDINGS = [
  { id: 'halluc-data', path: 'data', read: (key) => structuredClone(DATA[key]), show: (d) => Object.keys(DATA).find((k) => canonical(DATA[k]) === canonical(d)) ?? 'grid25' },
  { id: 'halluc-denoiser', path: 'denoiser', type: 'text' },
  { id: 'halluc-train-size', path: 'trainSize', type: 'number' },
  { id: 'halluc-width', path: 'train.width', type: 'number' },
  { id: 'halluc-steps', path: 'train.steps', type: 'number' },
  { id: 'halluc-batch', path: 'train.batch', type: 'number' },
  { id: 'halluc-lr', path: 'train.lr', type: 'number' },
  { id: 'halluc-lr-end', path: 'train.lrEnd', type: 'optional' },
  { id: 'halluc-ema', path: 'train.ema', type: 'number' },
  { id: 'halluc-T', path: 'schedule.steps', type: 'number' },
  { id: 'halluc-beta-start', path: 'schedule.betaStart', type: 'number' },
  { id: 'halluc-beta-end', path: 'schedule.betaEnd', type: 'number' },
  { id: 'halluc-window', path: 'window', type: 'number' },
  { id: 'halluc-k', path: 'k', type: 'number' },
  { id: 'halluc-n', path: 'n', type: 'number' },
  { id: 'halluc-seed', path: 'seed', type: 'number' },
];
const CUSTOM_NOTE = `Your own settings. Hallucinated: farther than k·σ from every mode (the authors’ code has no label; k is our setting). ${PAPER}`;

/** A rate as a percentage, with two decimals (recursive rates are fractions of a percent). */
const percent = (rate) => `${(100 * rate).toFixed(2)}%`;

/** Each filter's rate at the last generation. */
function lastGeneration(lineages) {
  const generations = lineages[0].hallucinationRate.length;
  return `Hallucinated at generation ${generations - 1}: ${lineages.map((l) => `${l.filter} ${percent(l.hallucinationRate.at(-1))}`).join(', ')}`;
}

export class HallucinationView extends LabView {
  constructor(worker, options) {
    super(worker, options);
    this.bindings = BINDINGS;
    this.defaultPreset = 'grid25';
    this.sampling = false;
    this.losses = [];
    this.lineages = null;
    this.shippedRecursion = false;
    /** Helper workers sampling may use beside the lab's worker (tests set 0 to compare). */
    this.maxHelpers = 3;
    this.listen();
    $('halluc-sample').addEventListener('click', () => (this.sampling ? this.cancel() : this.sample()));
    $('halluc-tau').addEventListener('input', () => { this.tau = this.tauFromSlider(); this.requestedTau = null; this.redraw(); });
    $('halluc-tau').addEventListener('change', () => this.updateLink());
    $('halluc-t').addEventListener('input', () => this.scrub(Number($('halluc-t').value)));
    $('halluc-canvas').addEventListener('pointerdown', (e) => this.pick(e));
    // until the first samples paint: the downloads' progress, then that sampling has begun
    this.placeholder = new Placeholder($('halluc-canvas'));
    coverPlots($('halluc'), this.placeholder);
    $('halluc-recurse').addEventListener('click', () => (this.recursing ? this.recursionWorker.stop() : this.recurse()));
    $('halluc-recurse-small').addEventListener('click', () => this.apply(structuredClone(SMALL_RECURSION)).catch((err) => this.showMessage(err.message)));
    new ResizeObserver(() => this.drawRecursion()).observe($('halluc-recursive-plot'));
    $('halluc-canvas').addEventListener('keydown', (e) => {
      const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[e.key];
      if (step) { e.preventDefault(); this.pickHallucination(step); }
    });
    new ResizeObserver(() => this.redraw()).observe($('halluc-canvas'));
  }

  /** The mixture's facts: dimension, extent, modes; the samples of the last run go. */
  async onConfigured(reply) {
    Object.assign(this, { dim: reply.dim, extent: reply.extent, learned: reply.learned });
    this.modes = reply.modes.centres;
    this.sigma = reply.modes.sigma;
    this.resetRun();
  }

  /** A preset with a shipped recursive-training result shows it. */
  async onApplied() {
    await this.showShippedRecursion();
  }

  /** Samples at once when the network is trained (or exact); not awaited: samples stream in. */
  async autostart() {
    if (!this.learned || this.trained) this.sample();
  }

  onFilled(c) {
    $('halluc-learned-settings').disabled = c.denoiser !== 'learned';
  }

  onProgress() {
    this.schedule();
  }

  activity() {
    return this.sampling ? 'sample' : null;
  }

  get trainingHint() {
    return '; pause and sample at any time';
  }

  customNote() {
    return CUSTOM_NOTE;
  }

  get untrainedHint() {
    return 'The network is untrained: press Train, or pick the exact noise prediction.';
  }

  /** The link's view: the threshold τ on the trajectory variance, once there are samples. */
  viewState() {
    return Number.isFinite(this.tau) && this.tau > 0 ? { tau: Number(this.tau.toPrecision(4)) } : undefined;
  }

  restoreView({ tau } = {}) {
    if (!(Number.isFinite(tau) && tau > 0)) return;
    this.requestedTau = tau;
    if (this.report) { this.tau = tau; this.redraw(); }
  }

  resetRun() {
    this.points = new Float32Array(0);
    this.variance = new Float32Array(0);
    this.labels = new Float32Array(0);
    this.report = null;
    this.tau = null;
    this.steps = [];
    this.frame = null;
    this.frameIndex = -1;
    this.picked = null;
    this.pickTarget = null;
  }

  /** A fresh sampling run; chunks of finished samples stream in, then the report. */
  async sample() {
    if (this.training) this.cancel(); // pause training: sample the weights so far
    this.resetRun();
    this.sampling = true;
    $('halluc-sample').textContent = 'Stop sampling';
    document.body.dataset.state = 'sampling';
    const started = performance.now();
    const announcer = new ProgressAnnouncer('Sampling');
    const grow = (a, b) => { const out = new Float32Array(a.length + b.length); out.set(a); out.set(b, a.length); return out; };
    try {
      const final = await this.worker.request({ type: 'diffuse', helpers: this.maxHelpers }, (m) => {
        if (m.type !== 'diffused') return;
        this.points = grow(this.points, m.points);
        this.variance = grow(this.variance, m.variance);
        this.labels = grow(this.labels, m.labels);
        $('halluc-progress').value = m.sampled / m.total;
        announcer.update(m.sampled / m.total);
        $('halluc-status').textContent = `Sampling: ${m.sampled.toLocaleString('en')} of ${m.total.toLocaleString('en')} chains of ${this.config.schedule.steps.toLocaleString('en')} steps, ${((performance.now() - started) / 1000).toFixed(1)} s.`;
        this.schedule();
      });
      if (final.type === 'sampled') {
        this.report = final.report;
        this.seconds = (performance.now() - started) / 1000;
        this.workers = final.workers;
        if (this.requestedTau) this.tau = this.requestedTau;
        else if (this.report.best && Number.isFinite(this.report.best.threshold)) this.tau = this.report.best.threshold;
        this.steps = Array.from(await this.call('frameSteps'));
        $('halluc-t').max = String(this.steps.length);
        $('halluc-t').value = String(this.steps.length);
      }
    } catch (err) {
      this.showMessage(err.message);
    }
    this.sampling = false;
    this.updateLink();
    $('halluc-sample').textContent = 'Sample';
    document.body.dataset.state = 'ready';
    this.status();
    this.showReport();
    this.placeholder.stop(); // a run stopped before its first samples shows the empty plot
    this.redraw();
  }

  /** Training depends on everything but the sample count, the window K and the label's k. */
  trainingPart(config) {
    const { n, window, k, ...rest } = config;
    return rest;
  }

  /** The samples with their trajectory variance and label (the columns of `genlab halluc sample`). */
  async samples() {
    if (!this.variance.length) return null;
    const n = this.variance.length;
    const values = new Float32Array(n * (this.dim + 2));
    for (let i = 0; i < n; i++) {
      const row = values.subarray(i * (this.dim + 2), (i + 1) * (this.dim + 2));
      row.set(this.points.subarray(i * this.dim, (i + 1) * this.dim));
      [row[this.dim], row[this.dim + 1]] = [this.variance[i], this.labels[i]];
    }
    return { values, columns: [...axes(this.dim), 'variance', 'hallucinated'] };
  }

  /** The last loss and the sampling run's report: hallucination rate, AUROC, best threshold. */
  metrics() {
    const r = this.report;
    return { ...super.metrics(), ...(r ? { hallucinationRate: r.hallucinationRate, auroc: r.auroc, samples: r.samples } : {}) };
  }

  /** The samples with their trajectory variance and label (the columns of `genlab halluc sample`), and the weights. */
  exports() {
    const items = [];
    if (this.variance.length) {
      const make = async () => {
        const { values, columns } = await this.samples();
        return toCsv(columns, values, columns.length);
      };
      items.push({ label: 'Samples with variance (CSV)', filename: `${this.exportName()}.csv`, make });
    }
    return [...items, ...this.weightsItem()];
  }

  /** Weights made for this config's network (`genlab halluc train --out`, or exported here). */
  async importWeights(bytes) {
    if (!this.learned) throw new Error('the exact noise prediction takes no weights; choose the learned one first');
    await this.loadImported(bytes, []);
    this.status();
    await this.sample();
  }

  /** Shows xₜ and x̂₀ at a recorded reverse step (the last position is the chain's end). */
  async scrub(position) {
    if (position >= this.steps.length) {
      this.frame = null;
      this.frameIndex = -1;
    } else {
      this.frame = await this.call('frame', [position]);
      this.frameIndex = position;
    }
    this.redraw();
  }

  /** Picks the sample nearest a click and draws its x̂₀ trajectory. */
  async pick(event) {
    if (!this.points.length || this.sampling) return;
    const rect = event.currentTarget.getBoundingClientRect();
    const [px, py] = [(event.clientX - rect.left) / rect.width, (event.clientY - rect.top) / rect.height];
    const v = this.view();
    const x = v.x0 + px * (v.x1 - v.x0);
    const y = v.y1 - py * (v.y1 - v.y0);
    let best = -1, bestD = Infinity;
    const n = this.variance.length;
    for (let i = 0; i < n; i++) {
      const d = this.dim === 2 ? (this.points[2 * i] - x) ** 2 + (this.points[2 * i + 1] - y) ** 2 : (this.points[i] - x) ** 2;
      if (d < bestD) { bestD = d; best = i; }
    }
    if (best >= 0) await this.showTrajectory(best);
  }

  /**
   * Shows sample `index`'s trajectory. The target is kept at once, so quick key presses step from
   * the newest pick, and a reply that arrives after a newer pick is dropped.
   */
  async showTrajectory(index) {
    this.pickTarget = index;
    const path = await this.call('trajectory', [index]);
    if (this.pickTarget !== index) return;
    this.picked = { index, path };
    this.redraw();
  }

  /**
   * Recursive training on the lab's settings for the chosen number of generations, in a worker
   * of its own (the lab stays usable; Stop ends it at once); the plot grows per generation.
   */
  async recurse() {
    const generations = Number($('halluc-generations').value);
    this.recursionWorker ??= new LabWorker({ onFatal: (m) => this.showMessage(`${m} Your settings were kept.`) });
    this.recursing = true;
    this.lineages = null;
    this.shippedRecursion = false;
    $('halluc-recurse').textContent = 'Stop';
    const total = 3 * generations;
    let done = 0;
    const started = performance.now();
    const announcer = new ProgressAnnouncer('Recursive training');
    announce(`Recursive training started: ${generations} generations for each of three filters.`);
    try {
      const final = await this.recursionWorker.request({ type: 'recursive', config: this.config, generations }, (m) => {
        if (m.type !== 'generation') return;
        done++;
        this.lineages = m.lineages;
        $('halluc-recurse-progress').value = done / total;
        announcer.update(done / total);
        $('halluc-recurse-status').textContent = `${m.filter} filter, generation ${m.generation}: ${percent(m.rate)} hallucinated (${((performance.now() - started) / 1000).toFixed(0)} s so far).`;
        this.drawRecursion();
      });
      if (final.type === 'recursed') {
        this.lineages = final.lineages;
        $('halluc-recurse-status').textContent = `${lastGeneration(this.lineages)} (${((performance.now() - started) / 1000).toFixed(0)} s).`;
        announce($('halluc-recurse-status').textContent);
      }
    } catch (err) {
      $('halluc-recurse-status').textContent = err.message === 'stopped' ? 'Stopped.' : '';
      if (err.message !== 'stopped') this.showMessage(`Recursive training could not run: ${err.message}`);
    }
    this.recursing = false;
    $('halluc-recurse').textContent = 'Run';
    this.drawRecursion();
  }

  /**
   * Shows the open preset's shipped recursive-training result (and opens its panel), or clears
   * a shipped result of another preset; a run of the user's own is left alone.
   */
  async showShippedRecursion() {
    if (this.recursing) return;
    const url = SHIPPED_RECURSION[this.presetName];
    if (this.shippedRecursion && !url) {
      this.lineages = null;
      $('halluc-recurse-status').textContent = '';
    }
    this.shippedRecursion = false;
    if (url) {
      try {
        this.lineages = await fetchJson(url, 'the shipped recursive-training result');
        this.shippedRecursion = true;
        const generations = this.lineages[0].hallucinationRate.length;
        $('halluc-generations').value = String(generations);
        $('halluc-recurse-status').textContent = `Shipped result of genlab halluc recursive --preset ${this.presetName} (${generations} generations). ${lastGeneration(this.lineages)}.`;
        $('halluc-recursive').open = true;
      } catch (err) {
        this.showMessage(err.message);
      }
    }
    this.drawRecursion();
  }

  /** The hallucination rate per generation, one line per filter. */
  drawRecursion() {
    const series = Object.fromEntries((this.lineages ?? []).map((l) => [l.filter, l.hallucinationRate.map((r) => 100 * r)]));
    drawLossCurves($('halluc-recursive-plot'), series, { window: 1, legend: (name) => `${name} filter, %`, empty: 'The hallucination rate (%) per generation appears here.', floor: 0 });
  }

  /** Keyboard picking: the next (`step` 1) or previous (−1) hallucinated sample. */
  async pickHallucination(step) {
    if (!this.labels.length || this.sampling) return;
    const n = this.labels.length;
    const from = this.pickTarget ?? (step > 0 ? -1 : n);
    for (let k = 1; k <= n; k++) {
      const i = (((from + step * k) % n) + n) % n;
      if (this.labels[i]) return this.showTrajectory(i);
    }
  }

  /** The slider's threshold: log-uniform between the smallest and largest variance. */
  tauFromSlider() {
    const [lo, hi] = logRange(this.variance);
    return 10 ** (lo + (hi - lo) * Number($('halluc-tau').value) / 1000);
  }

  /** Shares removed (of hallucinations) and kept (of in-support samples) at `tau`. */
  operating(tau) {
    let h = 0, removed = 0, s = 0, kept = 0;
    for (let i = 0; i < this.variance.length; i++) {
      if (this.labels[i]) { h++; if (this.variance[i] > tau) removed++; } else { s++; if (this.variance[i] <= tau) kept++; }
    }
    return { removed: h ? removed / h : null, kept: s ? kept / s : null };
  }

  showReport() {
    const r = this.report;
    const pct = (v) => (v === null || v === undefined ? '—' : `${(100 * v).toFixed(1)}%`);
    $('halluc-rate').textContent = r ? `${pct(r.hallucinationRate)} of ${r.samples.toLocaleString('en')} (k = ${r.k})` : '—';
    $('halluc-auroc').textContent = r?.auroc === null || !r ? '—' : r.auroc.toFixed(3);
    // an infinite threshold (remove nothing) arrives as null
    const tau = (t) => (t === null ? 'none' : t.toExponential(2));
    $('halluc-best').textContent = r?.best ? `${pct(r.best.removed)} removed, ${pct(r.best.kept)} kept (τ = ${tau(r.best.threshold)})` : '—';
    $('halluc-by-k').textContent = r ? r.rateByK.map(([k, v]) => `k=${k}: ${pct(v)}`).join(', ') : '—';
  }

  statusLine() {
    const what = !this.learned ? 'exact noise prediction (closed form)'
      : this.trained ? `learned network, ${this.trained.toLocaleString('en')} training steps` : 'untrained network: press Train';
    const workers = this.workers > 1 ? ` on ${this.workers} workers` : '';
    const sampled = this.report ? `; ${this.report.samples.toLocaleString('en')} samples in ${this.seconds.toFixed(1)} s${workers}` : '';
    return `${what}${sampled}.`;
  }

  view() {
    if (this.dim === 2) return squareView(this.extent);
    return { x0: this.extent[0], x1: this.extent[1], y0: 0, y1: 1 };
  }

  schedule() {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => { this.raf = 0; this.redraw(); });
  }

  redraw() {
    if (!this.config) return;
    if (this.tau === null && this.variance.length && !this.sampling) this.tau = 10 ** logRange(this.variance)[1];
    const tau = this.tau ?? Infinity;
    if (this.tau !== null) {
      const [lo, hi] = logRange(this.variance);
      $('halluc-tau').value = String(Math.round(1000 * (Math.log10(this.tau) - lo) / (hi - lo)));
    }
    const op = this.operating(tau);
    const pct = (v) => (v === null ? '—' : `${(100 * v).toFixed(1)}%`);
    $('halluc-tau-out').textContent = Number.isFinite(tau) ? tau.toExponential(2) : '—';
    $('halluc-removed').textContent = pct(op.removed);
    $('halluc-kept').textContent = pct(op.kept);
    const steps = this.config.schedule.steps;
    const at = this.frameIndex >= 0 ? this.steps[this.frameIndex] : 0;
    $('halluc-t-out').textContent = String(at);
    $('halluc-t-what').textContent = this.frameIndex >= 0 ? '(xₜ dots, x̂₀ crosses)' : '(the samples)';
    const canvas = $('halluc-canvas');
    const shown = { points: this.points, variance: this.variance, labels: this.labels, tau, frame: this.frame };
    // an untrained network samples nothing by itself: its empty plot is what there is to see
    const idle = this.learned && !this.trained && !this.sampling;
    if (this.placeholder.holds(document.body.dataset.state !== 'configuring' && (this.points.length > 0 || idle))) {
      // the placeholder stays
    } else if (this.dim === 2) {
      drawDetection(canvas, shown, this.view(), this.modes, this.picked?.index ?? -1);
    } else {
      drawLogHistogram(canvas, shown, this.view(), this.modes, this.sigma);
    }
    $('halluc-legend').textContent = this.dim === 2
      ? 'Colour: log trajectory variance (dark low, yellow high); ringed: hallucinated; grey: filtered by τ; + : the modes.'
      : 'Log-scale histogram of samples (kept blue, filtered grey) over the data density (line); the mass between modes is the hallucinations.';
    drawVarianceHistogram($('halluc-hist'), this.variance, this.labels, tau);
    drawRoc($('halluc-roc'), this.report?.roc ?? [], op);
    if (this.picked) {
      const v = this.view();
      drawTrajectory($('halluc-trajectory'), this.picked.path, this.steps, this.dim, this.config.window, [v.x0, v.x1]);
      $('halluc-trajectory-caption').textContent = `Sample ${this.picked.index + 1}: x̂₀ per coordinate across reverse time, variance ${this.variance[this.picked.index].toExponential(2)}${this.labels[this.picked.index] ? ', hallucinated' : ''}; the shaded band is the window K = ${this.config.window} of ${steps} steps.`;
    }
    drawLossCurves($('halluc-loss'), { noise: this.losses });
  }
}
