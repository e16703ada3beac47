// What every lab view shares: its worker, the page's message banner, applying the form's
// settings so that a bad value leaves the last good run in place, the link that reproduces
// the run, and the trained weights it keeps in this browser across reloads.
import { encodeHash } from '../state.js';
import { forgetRun, saveConfig, saveRun, savedRun } from '../ui/saved.js';
import { canonical, fetchWeights } from './shared.js';

export class LabView {
  /** @param {{showMessage: (text: string|null) => void, lab: string}} options */
  constructor(worker, { showMessage, lab }) {
    this.worker = worker;
    this.showMessage = showMessage;
    this.lab = lab;
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
   * Sends `config` to the worker (the core validates it). The view's `apply` marks the page
   * 'configuring' first; a rejected config puts it back to ready.
   */
  async configure(config) {
    try {
      return await this.worker.request({ type: 'configure', lab: this.lab, config });
    } catch (err) {
      document.body.dataset.state = 'ready';
      throw err;
    }
  }

  /** Calls the session's `method` in the worker; resolves to its result. */
  call(method, args = []) {
    return this.worker.request({ type: 'call', method, args }).then((r) => r.result);
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

  /** Pauses what runs (the widget went off screen); `resume` picks it up again. */
  suspend() {}

  resume() {}

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
    if (at > this.trained) this.train(at);
  }

  /**
   * Loads the weights a fresh `config` starts from into `worker`'s session: this browser's
   * saved run of exactly that config (trained further than the preset, or imported), else the
   * preset's shipped file `presetFile`. Resolves to { trained, losses } or null.
   */
  async startFrom(worker, config, presetFile, slot = '') {
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
    await load(await fetchWeights(presetFile), config.train.steps);
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
