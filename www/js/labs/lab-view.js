// What every lab view shares: its worker, the page's message banner and share bar, the
// presets, applying settings (a bad value leaves the last good run in place), training with
// its progress, the link that reproduces the run, and the trained weights it keeps in this
// browser across reloads. A lab adds what only it draws or does through the hooks below.
//
// A run is what one worker trains: the view itself, or (latent quantization) each of its
// runs, with { worker, slot, config, learned, trained, losses }.
import { encodeHash } from '../state.js';
import { ProgressAnnouncer, announce } from '../ui/announce.js';
import { buildToolbar } from '../ui/toolbar.js';
import { forgetRun, saveConfig, saveRun, savedRun } from '../ui/saved.js';
import { fillForm, readForm } from './bindings.js';
import { noteParts } from './preset-note.js';
import { canonical, fetchWeights } from './shared.js';

/** Calls the session's `method` in `worker` (a lab's allowed `calls`); resolves to its result. */
export function callSession(worker, method, args = []) {
  return worker.request({ type: 'call', method, args }).then((r) => r.result);
}

/** A link's `at=N` trains on opening when that takes at most this long here; longer, it asks. */
const AT_BUDGET_SECONDS = 180;
/** Steps trained to measure this machine's pace before a long `at=N` or Train press. */
const PACE_STEPS = 10;
/** What a tab gives the core at most: wasm32 memory stops at 4 GiB. Training past it cannot work. */
const TAB_MEMORY_BYTES = 4 * 2 ** 30;
/** Training estimated above this asks first: many phones and small laptops give a tab less. */
const ASK_MEMORY_BYTES = 2 ** 30;

/** Bytes as the CLI writes them: “450 MB”, “9.6 GB”. */
function megabytes(bytes) {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.max(1, Math.round(bytes / 1e6))} MB`;
}

/** `seconds` as a learner reads a wait: “40 s”, “12 min”, “3.5 h”, “45 days”. */
function duration(seconds) {
  if (seconds < 90) return `${Math.ceil(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.ceil(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${Math.round(seconds / 86400).toLocaleString('en')} days`;
}

export class LabView {
  /** @param {{showMessage: (text: string|null) => void, lab: string}} options */
  constructor(worker, { showMessage, lab }) {
    this.worker = worker;
    this.showMessage = showMessage;
    this.lab = lab;
    this.config = null;
    this.training = false;
    /** Settings of the link beside the core's config (latent quantization's `compare`). */
    this.extras = {};
    buildToolbar(this, { showMessage });
  }

  /** The element `id` of this lab's section (ids start with the lab's name). */
  el(id) {
    return document.getElementById(`${this.lab}-${id}`);
  }

  /**
   * Wires the lab's form (a change applies it, a preset opens) and its Train and Reset
   * buttons. Fields in `live` act at once and are not applied as settings.
   */
  listen({ live = [] } = {}) {
    this.el('controls').addEventListener('submit', (e) => { e.preventDefault(); this.applyForm(); });
    this.el('controls').addEventListener('change', (e) => {
      if (live.includes(e.target.id)) return;
      if (e.target === this.el('preset')) this.openPreset(e.target.value);
      else this.applyForm();
    });
    this.el('train').addEventListener('click', () => (this.training ? this.cancel() : this.press()));
    this.el('reset').addEventListener('click', () => this.restart());
  }

  /** The runs this view trains; the view is its own one run unless it has several. */
  get runs() {
    return [this];
  }

  /** The slot the view's weights are kept under in the browser. */
  get slot() {
    return '';
  }

  /** The preset list from the core: [{name, config, weights, note}]. */
  setPresets(presets) {
    this.presets = presets;
    this.el('preset').replaceChildren(new Option('(custom)', ''), ...presets.map((p) => new Option(p.name, p.name)));
  }

  /** The config of the preset the lab opens with (`defaultPreset`; it opens with its shipped weights). */
  defaults() {
    return structuredClone((this.presets.find((p) => p.name === this.defaultPreset) ?? this.presets[0]).config);
  }

  /** Opens a preset (with its shipped weights, see `apply`). */
  async openPreset(name) {
    const preset = this.presets.find((p) => p.name === name);
    if (preset) await this.apply({ ...structuredClone(preset.config), ...this.extras });
  }

  /** The settings on screen: the config with the link's extras. */
  settings() {
    return { ...this.config, ...this.extras };
  }

  /** Splits what `apply` takes into the core's config and the link's extras; labs check theirs. */
  split(config) {
    return [config, {}];
  }

  /** The form's settings, read through the lab's `bindings`. */
  readForm() {
    return readForm(this.bindings, this.settings(), this);
  }

  /** Shows the settings in the form through the lab's `bindings`, the preset and its note. */
  fillForm() {
    this.el('preset').value = this.presetName;
    fillForm(this.bindings, this.settings(), this);
    const preset = this.presets.find((p) => p.name === this.presetName);
    if (preset) this.el('info').replaceChildren(...noteParts(preset.note));
    else this.el('info').textContent = this.customNote();
    this.pendingAt = undefined; // other settings: the link's step count no longer applies
    this.el('train').textContent = this.trained ? 'Continue training' : 'Train';
    this.el('train').disabled = !this.learned;
    this.onFilled(this.config);
  }

  /**
   * Applies the form; on a bad setting shows why and puts the last good settings back. The same
   * settings asked for again while they are being applied (Enter fires change and submit) are
   * applied once.
   */
  async applyForm() {
    let key = null;
    try {
      const config = this.readForm();
      key = canonical(config);
      if (key === this.pendingForm) return;
      this.pendingForm = key;
      await this.apply(config);
    } catch (err) {
      this.showMessage(`That setting cannot be used: ${err.message}. The last good settings are kept.`);
      this.fillForm();
    } finally {
      if (this.pendingForm === key) this.pendingForm = null;
    }
  }

  /**
   * Sends `config` to the worker (the core validates it). `apply` marks the page 'configuring'
   * first; a rejected config puts it back to ready.
   */
  async configure(config) {
    try {
      return await this.worker.request({ type: 'configure', lab: this.lab, config });
    } catch (err) {
      document.body.dataset.state = 'ready';
      throw err;
    }
  }

  /**
   * Configures the worker with `config` and shows the run. Unless `fresh`, a learned run starts
   * from this browser's saved run of the same config, else from a matching preset's weights.
   */
  async apply(config, { fresh = false } = {}) {
    const [settings, extras] = this.split(config);
    this.onApplying(settings, { extras, fresh });
    document.body.dataset.state = 'configuring';
    this.cancel();
    await Promise.all(this.runs.map((run) => this.keepBeforeChange(run.worker, run.learned && run.trained ? run.config : null, run.losses, { slot: run.slot, fresh })));
    const reply = await this.configure(settings);
    this.config = reply.config;
    this.estimate = reply.estimate;
    this.extras = extras;
    this.presetName = this.presetFor(this.config)?.name ?? '';
    this.showMessage(null);
    await this.onConfigured(reply);
    this.fillForm(); // the new settings show while the weights load (filled again once they have)
    await Promise.all(this.runs.map((run) => this.startRun(run, fresh)));
    this.publish();
    this.fillForm();
    await this.onApplied();
    document.body.dataset.state = 'ready';
    this.status();
    this.redraw();
    await this.autostart();
  }

  /** A fresh run's weights: none when `fresh`, else the saved or shipped ones (see `startFrom`). */
  async startRun(run, fresh) {
    run.trained = 0;
    run.losses = this.noLosses();
    if (fresh || !run.learned) return;
    try {
      const preset = this.presetFor(run.config);
      const start = await this.startFrom(run.worker, run.config, preset?.weights, run.slot, () => this.whileWeightsLoad(run, preset));
      if (start) Object.assign(run, { trained: start.trained, losses: start.losses ?? run.losses });
    } catch (err) {
      this.showMessage(`${err.message}. ${this.untrainedHint}`);
    }
  }

  /**
   * Called as `apply` starts, before the core checks `settings` (with the link's `extras`;
   * `fresh`: untrained networks): a view may start a download its run will need.
   */
  onApplying() {}

  /** Called as `run`'s weights start to download from `preset`: a view may paint a first picture meanwhile. */
  whileWeightsLoad() {}

  /** Starts again from untrained networks (the Reset button). */
  restart() {
    return this.apply(this.settings(), { fresh: true });
  }

  /**
   * Trains every run to step `until`, or for the rest of `train.steps` (another full run when
   * done), side by side in their workers, `segment` steps at a time; streams the losses into
   * the loss curve and the progress into the status line. With `say`, the first `PACE_STEPS`
   * give this machine's pace: when the rest would take over `AT_BUDGET_SECONDS`, training stops
   * there and offers the rest (the Train button says how long, the status `say(seconds, rate)`).
   */
  async train(until, { say } = {}) {
    if (!this.memoryAllows()) return;
    if (this.activity()) this.cancel();
    const total = this.stepsToRun(until);
    this.training = true;
    this.stopping = false;
    this.el('train').textContent = 'Pause training';
    document.body.dataset.state = 'training';
    const started = performance.now();
    const from = this.trained;
    const announcer = new ProgressAnnouncer('Training');
    announce(`Training started: ${total.toLocaleString('en')} steps.`);
    let [paced, offer] = [!say, null];
    const progress = () => {
      const done = Math.min(...this.runs.map((r) => r.trained)) - from;
      if (!paced && done >= PACE_STEPS) {
        paced = true;
        const rate = done / ((performance.now() - started) / 1000);
        const seconds = (total - done) / rate;
        if (seconds > AT_BUDGET_SECONDS) {
          offer = { seconds, text: say(seconds, rate) };
          this.cancel();
        }
      }
      this.el('progress').value = done / total;
      announcer.update(done / total);
      const rate = done / ((performance.now() - started) / 1000);
      const rest = (total - done) / rate;
      const left = rate > 0 ? `, about ${duration(rest)} left` : '';
      const each = this.runs.length > 1 ? ' each' : '';
      this.el('status').textContent = `Training: step ${(from + done).toLocaleString('en')}, ${rate.toFixed(1)} steps/s${each}${left}${this.trainingHint}.`;
    };
    try {
      let left = total;
      while (left > 0 && !this.stopping) {
        // segments end on multiples of `segment`, also after a pause at an odd step; the first
        // request of a paced run is just the pace's steps, so a long run stops there exactly
        // (a cancel sent on the pace's progress could land chunks later)
        let k = Math.min(this.segment - (this.trained % this.segment), left);
        if (!paced) k = Math.min(k, PACE_STEPS);
        const replies = await Promise.all(this.runs.map((run) => run.worker.request({ type: 'train', k, chunk: 10, ...this.trainRequest() }, (m) => {
          if (m.type !== 'progress') return;
          this.recordLosses(run, m.losses);
          run.trained = m.step;
          progress();
          this.onProgress(run, m);
        })));
        if (replies.some((r) => r.type !== 'ran')) break;
        left -= k;
        await this.onSegment(left);
      }
    } catch (err) {
      this.showMessage(err.message);
    }
    await Promise.all(this.runs.map((run) => this.keep(run.worker, run.config, run.losses, run.slot)));
    this.updateLink();
    this.training = false;
    this.el('train').textContent = this.trained ? 'Continue training' : 'Train';
    document.body.dataset.state = 'ready';
    this.status();
    if (offer) this.offerTraining(from + total, offer.seconds, offer.text);
  }

  /** Stops what the runs do now (training, playing, sampling). */
  cancel() {
    this.stopping = true;
    for (const run of this.runs) run.worker.cancel();
  }

  /** Pauses what runs (the widget went off screen); `resume` picks it up again. */
  suspend() {
    const what = this.training ? 'train' : this.activity();
    if (!what) return; // with nothing running, what waits to start (an autoplay held off screen) stays waiting
    this.interrupted = what;
    this.cancel();
  }

  resume() {
    const what = this.interrupted;
    this.interrupted = null;
    if (what) this[what]();
  }

  // Hooks: what only a lab draws or does.

  /** Takes the lab's facts from the worker's 'configured' reply. */
  async onConfigured() {}

  /** After the form is filled: what the form shows beside its bound fields. */
  onFilled() {}

  /** After the run is shown, before the page is ready (pictures that take requests). */
  async onApplied() {}

  /** Once ready: what starts by itself (playing, sampling). */
  async autostart() {}

  /** The method name of what runs besides training ('play', 'sample'), or null. */
  activity() {
    return null;
  }

  /** The loss record of an untrained run. */
  noLosses() {
    return [];
  }

  /** Adds a chunk's `losses` (one entry per step) to `run`'s record. */
  recordLosses(run, losses) {
    run.losses.push(...losses);
  }

  /** Extra fields of the 'train' request. */
  trainRequest() {
    return {};
  }

  /** After each training progress message of `run`. */
  onProgress() {}

  /** After each training segment, `left` steps to go. */
  async onSegment() {}

  /** Steps trained between `onSegment`s. */
  get segment() {
    return Infinity;
  }

  /** Said after the training status. */
  get trainingHint() {
    return '';
  }

  /** What the info line says under settings of no preset. */
  customNote() {
    return '';
  }

  /** Said after a run's weights could not be loaded. */
  get untrainedHint() {
    return 'The network is untrained: press Train.';
  }

  /** Shows the status line and reads it out. */
  status() {
    this.el('status').textContent = this.statusText();
    announce(this.el('status').textContent);
  }

  /** The status line: a waiting long run's offer, else the lab's `statusLine`. */
  statusText() {
    return this.pendingAt !== undefined && this.offerText ? this.offerText : this.statusLine();
  }

  /** What the status line says of the run. */
  statusLine() {
    return '';
  }

  /** Draws the run. */
  redraw() {}

  /**
   * What the plots show as numbers, for a host page (the notebook widget's `samples()`):
   * { values: Float32Array, columns: [names] }, one row per sample; null before any are shown.
   */
  async samples() {
    return null;
  }

  /** The run's numbers for a host page: the last training losses and the lab's scores. */
  metrics() {
    const last = this.losses?.at(-1);
    return last === undefined ? {} : { loss: last };
  }

  /** Calls the session's `method` in the worker; resolves to its result. */
  call(method, args = []) {
    return callSession(this.worker, method, args);
  }

  /** The step a long link asked for (see `offerTraining`), once; undefined when none waits. */
  takePendingAt() {
    const at = this.pendingAt;
    this.pendingAt = undefined;
    return at > this.trained ? at : undefined;
  }

  /** Steps a Train press runs: up to step `until`, else the rest of `train.steps`, else another full run. */
  stepsToRun(until) {
    const remaining = this.config.train.steps - this.trained;
    return until ? until - this.trained : (remaining > 0 ? remaining : this.config.train.steps);
  }

  /** The settings trained weights depend on (the rest only changes sampling or scoring). */
  trainingPart(config) {
    return config;
  }

  /** Whether two configs give the same trained weights. */
  sameTraining(a, b) {
    return canonical(this.trainingPart(a)) === canonical(this.trainingPart(b));
  }

  /** The preset whose training settings `config` shares, or null. */
  presetFor(config) {
    return this.presets?.find((p) => this.sameTraining(p.config, config)) ?? null;
  }

  /** The name exported files start with. */
  exportName() {
    return `genlab-${this.lab}-${this.presetName || 'custom'}-seed${this.config.seed}`;
  }

  /** The Export menu's weights item, once this run has trained weights. */
  weightsItem() {
    if (!this.learned || !this.trained) return [];
    const make = async () => new Blob([await this.call('weights')]);
    return [{ label: 'Weights (safetensors)', filename: `${this.exportName()}.safetensors`, make }];
  }

  /**
   * Loads imported weights into this run as trained for `train.steps` (the core checks every
   * tensor; nothing changes on a mismatch), starts the loss curve `losses` afresh, and keeps them.
   */
  async loadImported(bytes, losses) {
    this.worker.cancel();
    await this.call('loadWeights', [bytes, this.config.train.steps]);
    this.trained = this.config.train.steps;
    this.losses = losses;
    await this.keep(this.worker, this.config, this.losses);
  }

  /** What is shown (layers, time, threshold…) as a flat object for the link; views override. */
  viewState() {
    return undefined;
  }

  /** Shows what a link's `view` part asks for; values out of range are clamped; views override. */
  restoreView() {}

  /** The link (URL hash) that reopens this run: its config, the steps trained, and the view. */
  link() {
    return encodeHash(this.lab, this.config, { at: this.learned && this.trained ? this.trained : undefined, view: this.viewState() });
  }

  /** Puts the link in the address bar (as the view changes). */
  updateLink() {
    history.replaceState(null, '', this.link());
  }

  /** Puts this run's link in the address bar and remembers its config for a bare `#lab` link. */
  publish() {
    this.updateLink();
    saveConfig(this.lab, this.config);
  }

  /**
   * Brings the run to `at` training steps, as a link asks: from scratch when this run is
   * further, then training (not awaited: the page shows its progress). Runs trained to the same
   * steps from the same config have the same weights, bit for bit.
   */
  async reach(at) {
    if (!Number.isSafeInteger(at) || at < 0 || at > 10_000_000) {
      throw new Error(`at: “${String(at).slice(0, 20)}” is not a step count (a whole number from 0 to 10,000,000)`);
    }
    if (!this.learned || at === this.trained) return;
    if (at < this.trained) await this.restart();
    this.train(at, {
      say: (seconds) => `This link's run was trained to step ${at.toLocaleString('en')}, which takes about ${duration(seconds)} here, so it waits for you: press Train to start it, or explore the model as it is.`,
    });
  }

  /**
   * The Train button: trains the rest of `train.steps` (or to a link's waiting step), asking
   * first when that would take long at this machine's pace (see `train`).
   */
  press() {
    const waiting = this.takePendingAt();
    if (waiting !== undefined) return this.train(waiting);
    const target = this.trained + this.stepsToRun();
    return this.train(undefined, {
      say: (seconds, rate) => `Training to step ${target.toLocaleString('en')} takes about ${duration(seconds)} here (${rate.toFixed(1)} steps/s), so it waits for you: press Train to go on, or choose fewer train.steps.`,
    });
  }

  /**
   * Whether training this config fits this tab, by the core's estimate: past what a tab can
   * give it says so and trains nothing; past what small devices give it asks once (the next
   * press trains).
   */
  memoryAllows() {
    const estimate = this.estimate;
    if (!estimate || estimate.bytes <= ASK_MEMORY_BYTES) return true;
    const needs = `Training these settings needs about ${megabytes(estimate.bytes)} of memory (${estimate.drivers})`;
    // said at the top of the page and under the Train button, where the learner looks
    const say = (text) => {
      this.showMessage(text);
      this.el('status').textContent = text;
      return false;
    };
    if (estimate.bytes > TAB_MEMORY_BYTES) {
      return say(`${needs}, and a browser tab gives GenLab at most ${megabytes(TAB_MEMORY_BYTES)}. Lower those settings to train here, or train with the genlab command.`);
    }
    const key = canonical(this.config);
    if (this.memoryAsked === key) return true;
    this.memoryAsked = key;
    return say(`${needs}, more than many phones and small laptops give a tab. Press Train again to start.`);
  }

  /** Leaves a long run to the learner: the Train button says about how long, the status line `text`. */
  offerTraining(at, seconds, text) {
    [this.pendingAt, this.offerText] = [at, text];
    this.el('train').textContent = `Train (about ${duration(seconds)})`;
    this.status();
  }

  /**
   * Loads the weights a fresh `config` starts from into `worker`'s session: this browser's
   * saved run of exactly that config (trained further than the preset, or imported), else the
   * preset's shipped file `presetFile` (calling `downloading` as it starts). Resolves to
   * { trained, losses } or null.
   */
  async startFrom(worker, config, presetFile, slot = '', downloading = () => {}) {
    const load = (bytes, steps) => worker.request({ type: 'call', method: 'loadWeights', args: [bytes, steps] });
    const saved = await savedRun(this.lab, canonical(this.trainingPart(config)), slot);
    if (saved) {
      try {
        await load(saved.weights, saved.trained);
        return { trained: saved.trained, losses: saved.losses };
      } catch {
        // saved by an older GenLab whose networks differ: fall back to the preset
      }
    }
    if (!presetFile) return null;
    const bytes = fetchWeights(presetFile);
    downloading();
    await load(await bytes, config.train.steps);
    return { trained: config.train.steps, losses: null };
  }

  /**
   * Keeps the trained weights of `worker`'s session (run `slot`) in this browser, unless the
   * view was reconfigured meanwhile (the session then holds another run) or the saved data
   * were cleared while it took the weights.
   */
  async keep(worker, config, losses, slot = '') {
    const [generation, clears] = [this.generation, this.clears];
    try {
      const { weights, trained } = await worker.request({ type: 'snapshot' });
      if (trained && generation === this.generation && clears === this.clears) {
        await saveRun(this.lab, { key: canonical(this.trainingPart(config)), trained, losses, weights }, slot);
      }
    } catch {
      // a run that cannot hand over its weights (exact fields) has nothing to keep
    }
  }

  /** After “Clear saved data”: the run on screen is not saved again when the view changes. */
  forgetShown() {
    this.clearedAt = this.generation;
    this.clears = (this.clears ?? 0) + 1;
  }

  /**
   * Stops `worker`'s work before the view is reconfigured and keeps its trained run (with
   * `config`; null when there is none), or with `fresh` forgets it: a reset stays reset.
   */
  async keepBeforeChange(worker, config, losses, { slot = '', fresh = false } = {}) {
    worker.cancel();
    if (fresh) await forgetRun(this.lab, slot);
    else if (config && this.clearedAt !== this.generation) await this.keep(worker, config, losses, slot);
    this.generation = (this.generation ?? 0) + 1;
  }
}
