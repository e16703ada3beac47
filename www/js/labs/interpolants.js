// The stochastic-interpolants lab: pick ρ₀, ρ₁, the path and γ; train the drift and score (or
// use the exact fields of a Gaussian-mixture pair); watch particles flow while turning ε.
// Every setting lives in the URL hash (#si?…), so a link reproduces the run.
import { LabView } from './lab-view.js';
import { mayAutoplay, onScreen, reducedMotion } from '../ui/embed.js';
import { axes, parseCsv, toCsv } from './shared.js';
import { drawHeatmap } from '../render/heatmap.js';
import { drawArrows, drawPaths, drawSpaceTime } from '../render/field.js';
import { drawLossCurves } from '../render/loss.js';
import { drawHistogram, drawScatter, histogram } from '../render/scatter.js';
import { squareView } from '../render/viewport.js';
import { Placeholder, coverPlots } from '../render/placeholder.js';

const ARROWS = 17;
const HEAT = 72;
const PATHS = 48;
const BINS = 100;
/** Steps between sample refreshes while training. */
const REFRESH_EVERY = 250;

const $ = (id) => document.getElementById(id);

const CUSTOM_NOTE = 'Your own settings. The score is learned through the denoiser η = E[z | xₜ] (the paper’s sign, s = −η/γ) unless you choose s; v learns E[∂ₜI | xₜ] and b = v − γγ̇s.';
const PATH_NAMES = ['linear', 'trig', 'encoding-decoding', 'one-sided-linear', 'one-sided-trig', 'mirror'];
const GAMMA_NAMES = ['brownian', 'a-brownian', 'bsquared', 'sinesquared', 'sigmoid', 'zero'];
const METHODS = ['rk4', 'heun', 'euler', 'sde-heun', 'euler-maruyama'];
const isSde = (c) => c.sampler.method.startsWith('sde') || c.sampler.method === 'euler-maruyama';

/** The form's fields and the config's settings they show (see bindings.js). */
const BINDINGS = [
  { id: 'si-rho0', path: 'rho0', read: (name, old, view) => view.datasetFor(name, old), show: (d, view) => view.entry(d).name },
  { id: 'si-rho1', path: 'rho1', read: (name, old, view) => view.datasetFor(name, old), show: (d, view) => view.entry(d).name },
  { id: 'si-path', path: 'path', type: 'text' },
  { id: 'si-gamma', path: 'gamma.kind', type: 'text' },
  { id: 'si-gamma-a', path: 'gamma.a', read: (text) => Number(text) || 2, show: (a) => String(a ?? 2), when: (c) => c.gamma.kind === 'a-brownian' },
  { id: 'si-fields', path: 'fields', type: 'text' },
  { id: 'si-width', path: 'model.width', type: 'number' },
  { id: 'si-depth', path: 'model.depth', type: 'number' },
  { id: 'si-drift', path: 'model.drift', type: 'text' },
  { id: 'si-score', path: 'model.score', type: 'text' },
  { id: 'si-steps', path: 'train.steps', type: 'number' },
  { id: 'si-batch', path: 'train.batch', type: 'number' },
  { id: 'si-lr', path: 'train.lr', type: 'number' },
  { id: 'si-method', path: 'sampler.method', type: 'text' },
  { id: 'si-grid', path: 'sampler.steps', type: 'number' },
  { id: 'si-direction', path: 'sampler.direction', type: 'text' },
  { id: 'si-schedule', path: 'sampler.schedule', type: 'text' },
  { id: 'si-epsilon', path: 'sampler.epsilon', type: 'number', enabled: isSde },
  { id: 'si-n', path: 'n', type: 'number' },
  { id: 'si-seed', path: 'seed', type: 'number' },
];

export class InterpolantView extends LabView {
  constructor(worker, options) {
    super(worker, options);
    this.bindings = BINDINGS;
    this.defaultPreset = 'checkerboard';
    this.frames = [];
    this.index = 0;
    this.losses = this.noLosses();
    this.playing = false;
    this.drift = null;
    this.listen({ live: ['si-epsilon', 'si-t', 'si-csv'] });
    $('si-epsilon').addEventListener('input', () => this.setEpsilon(Number($('si-epsilon').value)));
    $('si-epsilon').addEventListener('change', () => this.publish()); // kept once the slider is let go
    $('si-t').addEventListener('input', () => this.scrub(Number($('si-t').value)));
    $('si-play').addEventListener('click', () => (this.playing ? this.pause() : this.play()));
    $('si-metrics').addEventListener('click', () => this.measure());
    $('si-use0').addEventListener('click', () => this.usePoints('rho0'));
    $('si-use1').addEventListener('click', () => this.usePoints('rho1'));
    $('si-canvas').addEventListener('pointerdown', (e) => this.drawPoint(e));
    // until the first particles paint (once the preset's weights are in): the downloads' progress
    this.placeholder = new Placeholder($('si-canvas'));
    coverPlots($('si'), this.placeholder);
    for (const box of $('si').querySelectorAll('input[name=layer]')) box.addEventListener('change', () => { this.redraw(); this.updateLink(); });
    new ResizeObserver(() => this.redraw()).observe($('si-canvas'));
  }

  setCatalog(catalog) {
    this.catalog = catalog;
    for (const id of ['si-rho0', 'si-rho1']) $(id).replaceChildren(...catalog.map((e) => new Option(e.label, e.name)));
    $('si-path').replaceChildren(...PATH_NAMES.map((n) => new Option(n, n)));
    $('si-gamma').replaceChildren(...GAMMA_NAMES.map((n) => new Option(n, n)));
    $('si-method').replaceChildren(...METHODS.map((n) => new Option(n, n)));
  }

  /** The interpolant's facts: dimension, extent, time grid, and the start particles. */
  async onConfigured(reply) {
    this.playing = false;
    Object.assign(this, { dim: reply.dim, extent: reply.extent, grid: reply.grid, hasExact: reply.hasExact, learned: reply.learned });
    this.frames = [reply.particles];
    this.index = 0;
    this.fieldError = null;
    this.measured = null;
  }

  /** Plays once the run can move its particles (on screen: off screen `resume` starts it). */
  async autostart() {
    if ((!this.learned || this.trained) && mayAutoplay()) {
      if (onScreen()) await this.play();
      else this.interrupted = 'play';
    }
  }

  noLosses() {
    return { drift: [], score: [] };
  }

  recordLosses(run, losses) {
    for (const { drift, score } of losses) {
      this.losses.drift.push(drift);
      this.losses.score.push(score);
    }
  }

  /** The particles are carried through the grid every REFRESH_EVERY steps while training. */
  trainRequest() {
    return { refreshEvery: REFRESH_EVERY, epsilon: this.config.sampler.epsilon };
  }

  onProgress(run, m) {
    if (m.particles) {
      this.frames = [this.frames[0]];
      this.frames[this.grid.length - 1] = m.particles;
      this.index = this.grid.length - 1;
    }
    this.schedule();
  }

  /** Measures the trained fields (not awaited: the page is ready meanwhile). */
  async onSegment(left) {
    if (!left) this.measure();
  }

  activity() {
    return this.playing ? 'play' : null;
  }

  customNote() {
    return CUSTOM_NOTE;
  }

  get untrainedHint() {
    return 'The networks are untrained: press Train.';
  }

  /** The link's view: the layers shown and the time step t (an index into the time grid). */
  viewState() {
    const layers = [...$('si').querySelectorAll('input[name=layer]:checked')].map((b) => b.value).join(',');
    return { layers, t: this.index };
  }

  restoreView({ layers, t } = {}) {
    if (typeof layers === 'string') {
      const shown = layers.split(',');
      for (const box of $('si').querySelectorAll('input[name=layer]')) box.checked = shown.includes(box.value);
    }
    if (Number.isInteger(t)) {
      this.index = Math.max(0, Math.min(t, this.frames.length - 1));
    }
    this.redraw();
    this.updateLink();
  }

  /** The dataset config a menu choice `name` gives: `current` when it is that dataset still. */
  datasetFor(name, current) {
    if (current && this.catalog.find((e) => e.name === name)?.defaults.name === current.name) return current;
    return structuredClone(this.catalog.find((e) => e.name === name).defaults);
  }

  /** The catalog entry matching a dataset config. */
  entry(d) {
    return this.catalog.find((e) => e.defaults.name === d.name && (d.dim === undefined || e.dim === d.dim))
      ?? this.catalog.find((e) => e.defaults.name === d.name);
  }

  /** What the form shows beside its fields: ε's value, the time slider, the networks' settings. */
  onFilled(c) {
    $('si-epsilon-out').textContent = c.sampler.epsilon.toFixed(2);
    $('si-t').max = String(this.grid.length - 1);
    $('si-t').value = String(this.index);
    $('si-learned-settings').disabled = c.fields !== 'learned';
  }

  /** Uses the pasted CSV as the points density of one end (the core validates the values). */
  async usePoints(end) {
    let points;
    try {
      points = parseCsv($('si-csv').value);
    } catch (err) {
      this.showMessage(`The pasted points cannot be used: ${err.message}.`);
      return;
    }
    const config = structuredClone(this.config);
    config[end] = { name: 'points', points, jitter: config[end].jitter ?? 0.05 };
    // narrow modes make the fields stiff at the ends: small steps there
    config.sampler.schedule = 'cosine';
    try {
      await this.apply(config);
    } catch (err) {
      this.showMessage(`The pasted points cannot be used: ${err.message}. The last good settings are kept.`);
    }
  }

  /** With drawn points as ρ₁, a click on the plot adds a point there. */
  async drawPoint(event) {
    if (this.config?.rho1.name !== 'points' || this.dim !== 2) return;
    const rect = event.currentTarget.getBoundingClientRect();
    const v = this.view();
    const round = (a) => Math.round(a * 1000) / 1000;
    const x = round(v.x0 + ((event.clientX - rect.left) / rect.width) * (v.x1 - v.x0));
    const y = round(v.y1 - ((event.clientY - rect.top) / rect.height) * (v.y1 - v.y0));
    const config = structuredClone(this.config);
    config.rho1.points = [...config.rho1.points, [x, y]];
    try { await this.apply(config); } catch (err) { this.showMessage(err.message); }
  }

  /** ε changes at once, also while the particles move; the link records it. */
  setEpsilon(value) {
    this.config.sampler.epsilon = value;
    $('si-epsilon-out').textContent = value.toFixed(2);
    this.worker.setEpsilon(value);
    this.updateLink();
  }

  /** Plays from the shown frame (or from the start when at the end). */
  async play() {
    if (this.index >= this.grid.length - 1) this.index = 0;
    const from = this.index;
    this.frames.length = from + 1;
    this.playing = true;
    $('si-play').textContent = 'Pause';
    const msg = { type: 'play', epsilon: this.config.sampler.epsilon, arrows: this.arrowPoints() };
    if (from > 0) Object.assign(msg, { from, points: this.frames[from].slice() });
    document.body.dataset.state = 'playing';
    const animate = !reducedMotion(); // with reduced motion only the end is drawn
    const final = await this.worker.request(msg, (m) => {
      if (m.type !== 'frame') return;
      this.frames[m.index] = m.particles;
      this.index = m.index;
      this.drift = m.drift && { drift: m.drift, exact: m.exact };
      if (animate) this.schedule();
    }).catch((err) => { this.showMessage(err.message); return null; });
    if (!animate) this.schedule();
    this.playing = false;
    $('si-play').textContent = 'Play';
    document.body.dataset.state = 'ready';
    if (final?.type === 'played') this.status();
    this.updateLink();
  }

  pause() {
    this.worker.cancel();
  }

  /** Shows an earlier frame (frames after the last computed one are not there yet). */
  async scrub(index) {
    if (this.playing) this.pause();
    this.index = Math.min(index, this.frames.length - 1);
    $('si-t').value = String(this.index);
    this.drift = null;
    this.schedule();
    this.updateLink();
    if (this.layer('arrows')) {
      this.drift = await this.call('drift', [this.grid[this.index], this.arrowPoints()]);
      this.schedule();
    }
  }

  /** The particles at the shown time t. */
  async samples() {
    const particles = this.frames[this.index];
    return particles ? { values: particles, columns: axes(this.dim) } : null;
  }

  /** The time t shown, the last drift and score losses, and what Measure gave (energy distance, likelihood). */
  metrics() {
    const [drift, score] = [this.losses.drift.at(-1), this.losses.score.at(-1)];
    return { t: this.grid[this.index], ...(drift === undefined ? {} : { loss: { drift, score } }), ...(this.measured ?? {}) };
  }

  /** The particles at the shown time t as CSV, and the trained weights. */
  exports() {
    const items = [];
    const particles = this.frames[this.index];
    if (particles) {
      const t = this.grid[this.index];
      items.push({ label: `Particles at t = ${t.toFixed(2)} (CSV)`, filename: `${this.exportName()}-t${t.toFixed(2)}.csv`, make: async () => toCsv(axes(this.dim), particles, this.dim) });
    }
    return [...items, ...this.weightsItem()];
  }

  /** Weights made for this config's networks (`genlab si train --out`, or exported here). */
  async importWeights(bytes) {
    if (!this.learned) throw new Error('the exact fields take no weights; choose learned fields first');
    await this.loadImported(bytes, { drift: [], score: [] });
    this.frames = [this.frames[0]];
    this.index = 0;
    this.status();
    await this.play();
  }

  /** Points from a CSV file become the target ρ₁. */
  async importCsv(text) {
    const config = structuredClone(this.config);
    config.rho1 = { name: 'points', points: parseCsv(text), jitter: config.rho1.jitter ?? 0.05 };
    config.sampler.schedule = 'cosine';
    await this.apply(config);
  }

  /** Training depends on the densities, path, γ, networks, training settings and seed. */
  trainingPart(config) {
    const { sampler, n, ...rest } = config;
    return rest;
  }

  /** Energy distance (and its floor), the ODE log-likelihood and the field error. */
  async measure() {
    const last = this.frames[this.grid.length - 1];
    if (!last) await this.play();
    document.body.dataset.state = 'measuring';
    try {
      this.measured = await this.call('metrics', [500]);
      if (this.learned && this.hasExact) this.fieldError = await this.call('fieldError', [2000]);
    } catch (err) {
      this.showMessage(err.message);
    }
    document.body.dataset.state = 'ready';
    this.showMetrics();
  }

  showMetrics() {
    const m = this.measured;
    const fmt = (v, d = 4) => (v === null || v === undefined ? '—' : Number(v).toFixed(d));
    $('si-ed').textContent = m ? fmt(m.energyDistance) : '—';
    $('si-ed-floor').textContent = m ? fmt(m.energyDistanceFloor) : '—';
    $('si-ll').textContent = m ? fmt(m.logLikelihood, 3) : '—';
    $('si-ll-exact').textContent = m ? fmt(m.logLikelihoodExact, 3) : '—';
    $('si-field-error').textContent = this.fieldError
      ? `drift ${(100 * this.fieldError.drift).toFixed(1)}%, score ${(100 * this.fieldError.score).toFixed(1)}%` : '—';
  }

  /** The status line: what moves the particles, and the time shown. */
  statusLine() {
    const what = this.learned
      ? (this.trained ? `learned fields, ${this.trained.toLocaleString('en')} training steps` : 'untrained networks: press Train')
      : 'exact fields (closed form)';
    return `${what}; t = ${this.grid[this.index].toFixed(3)}.`;
  }

  /** Shows the status line and reads it out to screen readers. */
  layer(name) {
    return $('si').querySelector(`input[name=layer][value=${name}]`)?.checked ?? false;
  }

  view() {
    return squareView(this.extent);
  }

  /** The arrow grid's points (2D only). */
  arrowPoints() {
    if (this.dim !== 2) return null;
    const v = this.view();
    const out = new Float32Array(ARROWS * ARROWS * 2);
    for (let r = 0; r < ARROWS; r++) {
      for (let c = 0; c < ARROWS; c++) {
        out[2 * (r * ARROWS + c)] = v.x0 + (c + 0.5) / ARROWS * (v.x1 - v.x0);
        out[2 * (r * ARROWS + c) + 1] = v.y0 + (r + 0.5) / ARROWS * (v.y1 - v.y0);
      }
    }
    return out;
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.redraw(); });
  }

  redraw() {
    if (!this.config) return;
    $('si-t').value = String(this.index);
    $('si-t-out').textContent = this.grid[this.index].toFixed(3);
    $('si-status').textContent = this.statusText(); // follows the animation, read out only at its end
    const points = this.frames[this.index] ?? new Float32Array(0);
    const color = getComputedStyle(document.body).getPropertyValue('--point').trim() || '#0072b2';
    const canvas = $('si-canvas');
    if (this.placeholder.holds(points.length > 0 && document.body.dataset.state !== 'configuring')) {
      // the placeholder stays
    } else if (this.dim === 1 && this.layer('paths')) {
      drawSpaceTime(canvas, this.frames, this.index, this.grid, this.extent, 4 * PATHS);
    } else if (this.dim === 1) {
      const x = { x0: this.extent[0], x1: this.extent[1] };
      const heights = histogram(points, { ...x, y0: 0, y1: 1 }, BINS);
      drawHistogram(canvas, heights, { ...x, y0: 0, y1: 1.15 * Math.max(1e-6, ...heights) }, color);
    } else {
      const view = this.view();
      if (this.layer('heatmap')) drawHeatmap(canvas, heatValues(points, view, HEAT), HEAT, HEAT, view);
      if (this.layer('particles')) drawScatter(canvas, points, view, color, [], { keep: this.layer('heatmap') });
      else if (!this.layer('heatmap')) drawScatter(canvas, new Float32Array(0), view, color);
      if (this.layer('paths')) drawPaths(canvas, this.frames, this.index, view, PATHS);
      if (this.layer('arrows') && this.drift) drawArrows(canvas, this.arrowPoints(), this.drift, view);
    }
    drawLossCurves($('si-loss'), this.losses);
  }
}

/**
 * The density of `points` on an n × n grid over `view` (row 0 at the top): a histogram blurred
 * by three passes of a 3 × 3 box (close to a Gaussian kernel of about one and a half cells).
 */
function heatValues(points, view, n) {
  let grid = new Float32Array(n * n);
  for (let i = 0; i < points.length; i += 2) {
    const c = Math.floor((points[i] - view.x0) / (view.x1 - view.x0) * n);
    const r = n - 1 - Math.floor((points[i + 1] - view.y0) / (view.y1 - view.y0) * n);
    if (c >= 0 && c < n && r >= 0 && r < n) grid[r * n + c]++;
  }
  for (let pass = 0; pass < 3; pass++) {
    const out = new Float32Array(n * n);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        let s = 0;
        for (let dr = -1; dr <= 1; dr++) for (let dc = -1; dc <= 1; dc++) s += grid[Math.min(n - 1, Math.max(0, r + dr)) * n + Math.min(n - 1, Math.max(0, c + dc))];
        out[r * n + c] = s / 9;
      }
    }
    grid = out;
  }
  return grid;
}
