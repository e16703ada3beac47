// What a page holding this one may do with the lab it shows: the notebook widget (widget/)
// opens settings, trains, and reads the samples, the weights and the link, as a learner's
// clicks would. The widget made this page from a blob, so they share an origin and it calls
// these functions directly (`window.genlab.host`); it reads `state()` to hear of changes.

/** Each lab's main picture (see `picture`). */
const PICTURES = { data: 'samples-canvas', si: 'si-canvas', halluc: 'halluc-canvas', qlae: 'qlae-recon' };

/**
 * @param {object} views the lab views by name
 * @param {(lab: string) => void} show shows a lab's section
 * @param {(view: object, preset?: string) => object} startingConfig a preset's config, else the defaults
 */
export function hostApi(views, show, startingConfig) {
  const shown = () => views[document.body.dataset.lab];
  /** The shown view, when its run has a network; else says why not, in the page too. */
  const learnedRun = (what) => {
    const view = shown();
    if (view.learned) return view;
    const why = view.lab === 'data' ? 'the Data view draws from the densities themselves' : 'it uses the exact closed form here';
    const text = `${what}: the run shown has no network (${why}); choose learned settings or another lab first`;
    view.showMessage(text);
    throw new Error(text);
  };
  return {
    /**
     * Shows `lab` with `config`, read as the CLI reads a config file (a missing field takes the
     * core's default), else with `preset`, else with the lab's default preset. A config the core
     * refuses throws its message (the field and its allowed range) and leaves the last good run
     * on screen.
     */
    async open(lab, { preset, config } = {}) {
      const view = Object.hasOwn(views, lab) ? views[lab] : null;
      if (!view) throw new Error(`there is no lab called “${lab}” (the labs: ${Object.keys(views).join(', ')})`);
      const before = document.body.dataset.lab;
      show(lab);
      try {
        await view.apply(config ?? startingConfig(view, preset || undefined));
      } catch (err) {
        if (view.config) view.fillForm();
        if (before !== lab && views[before]?.config) show(before);
        throw err;
      }
    },

    /** Trains the shown run `steps` steps further; resolves when they are done (or it stopped). */
    async train(steps) {
      const view = learnedRun('train');
      await view.train(view.trained + steps);
      return view.trained;
    },

    /** The shown samples: { values: Float32Array, columns }, or null before any. */
    samples() {
      return shown().samples();
    },

    /** The shown run's weights (safetensors bytes), or null while it has none trained. */
    async weights() {
      const view = shown();
      return view.learned && view.trained ? view.call('weights') : null;
    },

    /** Loads safetensors `bytes` into the shown run (the core checks every tensor). */
    loadWeights(bytes) {
      return learnedRun('load_weights').importWeights(bytes);
    },

    /** The shown lab's main picture (a canvas), for a host that keeps a still of it. */
    picture() {
      return document.getElementById(PICTURES[document.body.dataset.lab]);
    },

    /**
     * What the host shows beside the page: { lab, preset, config, step, metrics, link, ready,
     * message (the page's banner: why a setting or a run failed, or '') }.
     */
    state() {
      const view = shown();
      if (!view?.config) return null;
      const banner = document.getElementById('message');
      return {
        lab: view.lab,
        preset: view.presetName,
        config: view.settings(),
        step: view.trained ?? 0,
        metrics: view.metrics(),
        link: view.link(),
        ready: document.body.dataset.state === 'ready',
        message: banner.hidden ? '' : banner.textContent,
      };
    },
  };
}
