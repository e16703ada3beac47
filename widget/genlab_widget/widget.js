// The GenLab notebook widget, in anywidget's module format: the GenLab page itself (www/,
// bundled by tools/widget.mjs) in an iframe made from a blob. The iframe keeps the notebook's
// styles away from the page and the page's from the notebook. Python holds the files (the page,
// the core, the presets' weights) and sends each when the page asks, so nothing comes from the
// network and a saved notebook keeps only the settings. Loaded from a GenLab site instead (a MyST
// page's {anywidget} directive, with no kernel), it takes the files from that site (`make dist`
// puts this module and the page bundle in its widget/ folder).
//
// Python → page: the `lab`, `preset`, `config`, `controls` and `height` traits, and the
// messages {type: 'train', steps} and {type: 'load-weights'} (the bytes as a buffer).
// Page → Python: the traits `config`, `preset`, `step`, `metrics`, `link`, `error` and `snapshot`, and each
// time the page settles (training, sampling or playing ends), {type: 'samples', columns, link} and
// {type: 'weights', step} with their bytes as buffers.

/** The page's short lab names, by the names Python uses (and the short ones, as a MyST page may write them). */
const SHORT = { interpolants: 'si', hallucinations: 'halluc', qlae: 'qlae', data: 'data', si: 'si', halluc: 'halluc' };
const LONG = { si: 'interpolants', halluc: 'hallucinations', qlae: 'qlae', data: 'data' };
/** What a model without Python (a MyST page's props) leaves out. */
const DEFAULTS = { lab: 'interpolants', preset: '', config: {}, controls: 'minimal', height: 560 };

/** The trait `name` of `model`, or its default when the model does not have it. */
const trait = (model, name) => model.get(name) ?? DEFAULTS[name];
/** How often the page's state is read for changes, in ms. */
const POLL_MS = 250;
/** With no file after this long, the notebook has no live kernel behind the widget (a reopened notebook). */
const NO_KERNEL_MS = 6000;
/** The still of the main picture kept in the widget's state (and so in a saved notebook) is at most this wide. */
const STILL_WIDTH = 360;
const TYPES = { wasm: 'application/wasm', json: 'application/json', js: 'text/javascript', html: 'text/html' };

/** The page bundle's own files; the rest (the core, the presets) are the site's (see `siteAsker`). */
const BUNDLE = new Set(['page.html', 'page.js', 'worker.js', 'halluc-helper.js']);

/**
 * Where the files come from: a module loaded from a web address is on a GenLab site and fetches
 * them there; one made from the notebook's string (a blob) asks Python.
 */
function fileSource(model) {
  const here = new URL(import.meta.url);
  return here.protocol === 'http:' || here.protocol === 'https:' ? siteAsker(here) : fileAsker(model);
}

/** Fetches the widget's file `path` from the GenLab site this module came from. */
function siteAsker(here) {
  const ask = async (path) => {
    const url = BUNDLE.has(path) ? new URL(path, here) : new URL(`../${path}`, here);
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url.href}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  };
  ask.close = () => {};
  return ask;
}

/** Asks Python for the widget's file `path`; resolves to its bytes. One asker per view. */
function fileAsker(model) {
  const token = Math.random().toString(36).slice(2);
  let next = 0;
  const waiting = new Map();
  const onMessage = (msg, buffers) => {
    if (msg?.type !== 'file' || !waiting.has(msg.id)) return;
    const { resolve, reject } = waiting.get(msg.id);
    waiting.delete(msg.id);
    if (msg.error) reject(new Error(msg.error));
    else resolve(new Uint8Array(buffers[0].buffer, buffers[0].byteOffset, buffers[0].byteLength));
  };
  model.on('msg:custom', onMessage);
  const ask = (path) => new Promise((resolve, reject) => {
    const id = `${token}:${next++}`;
    waiting.set(id, { resolve, reject });
    model.send({ type: 'file', id, path });
  });
  ask.close = () => model.off('msg:custom', onMessage);
  return ask;
}

/**
 * What the widget shows before the page runs: the still of its last picture and its settings, as
 * a notebook saved with widget state keeps them, and a line saying what happens.
 */
function savedCard(model, urls) {
  const root = document.createElement('div');
  root.style.padding = '8px';
  const status = Object.assign(document.createElement('p'), { textContent: 'Loading GenLab…' });
  root.append(status);
  const still = model.get('snapshot');
  if (still?.byteLength) {
    const url = URL.createObjectURL(new Blob([still], { type: 'image/png' }));
    urls.push(url);
    const img = Object.assign(document.createElement('img'), { src: url, alt: `GenLab ${trait(model, 'lab')}: the picture when the notebook was saved` });
    img.style.maxWidth = '100%';
    root.append(img);
  }
  const config = trait(model, 'config');
  if (config && Object.keys(config).length) {
    const details = document.createElement('details');
    const step = model.get('step');
    const summary = `Settings: ${trait(model, 'lab')}${trait(model, 'preset') ? `, preset ${trait(model, 'preset')}` : ''}${step ? `, trained ${step.toLocaleString('en')} steps` : ''}`;
    details.append(Object.assign(document.createElement('summary'), { textContent: summary }), Object.assign(document.createElement('pre'), { textContent: JSON.stringify(config, null, 1) }));
    root.append(details);
  }
  return { root, say: (text) => { status.textContent = text; } };
}

/** A PNG still of `canvas`, at most STILL_WIDTH wide, as bytes (null for an empty canvas). */
async function stillOf(canvas) {
  if (!canvas?.width || !canvas.height) return null;
  const scale = Math.min(1, STILL_WIDTH / canvas.width);
  const still = new OffscreenCanvas(Math.round(canvas.width * scale), Math.round(canvas.height * scale));
  still.getContext('2d').drawImage(canvas, 0, 0, still.width, still.height);
  return (await still.convertToBlob({ type: 'image/png' })).arrayBuffer();
}

/** JSON with object keys sorted, so equal configs give equal strings. */
function canonical(value) {
  return JSON.stringify(value, (_, v) => (v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v));
}

/**
 * Makes the page in `el` and keeps it and the model in step; returns what ends it. `urls`
 * collects the blob URLs to revoke.
 */
async function mount(model, el, ask, urls, requests) {
  const blob = (parts, type) => {
    const url = URL.createObjectURL(new Blob(parts, { type }));
    urls.push(url);
    return url;
  };
  const text = async (name) => new TextDecoder().decode(await ask(name));
  const [html, page, worker, helper] = await Promise.all(['page.html', 'page.js', 'worker.js', 'halluc-helper.js'].map(text));
  const helperUrl = blob([helper], TYPES.js);
  // the lab worker starts the hallucination helpers: it is told where their script is
  const workers = { 'js/worker.js': blob([`globalThis.genlabHost = { worker: () => ${JSON.stringify(helperUrl)} };\n`, worker], TYPES.js), 'js/worker/halluc-helper.js': helperUrl };
  const lab = SHORT[trait(model, 'lab')];
  const config = trait(model, 'config');
  const preset = trait(model, 'preset');
  const host = {
    // autoplay: a cell run is a request to see the lab move
    search: `?embed=1&store=0&autoplay=1&controls=${encodeURIComponent(trait(model, 'controls'))}`,
    link: Object.keys(config).length ? { lab, config, whole: true } : { lab, config: preset ? { preset } : {} },
    worker: (path) => workers[path],
    async fetch(path) {
      const bytes = await ask(path);
      const type = TYPES[path.split('.').pop()] ?? 'application/octet-stream';
      return new Response(bytes, { headers: { 'Content-Type': type, 'Content-Length': String(bytes.byteLength) } });
    },
  };
  const id = `genlab-${Math.random().toString(36).slice(2)}`;
  (window.genlabHosts ??= {})[id] = host;
  const boot = `<script>globalThis.genlabHost = parent.genlabHosts[${JSON.stringify(id)}];</script>\n<script type="module" src="${blob([page], TYPES.js)}"></script>`;
  const frame = Object.assign(document.createElement('iframe'), { title: `GenLab: ${trait(model, 'lab')}`, src: blob([html.replace('<!--genlab:boot-->', boot)], TYPES.html) });
  Object.assign(frame.style, { width: '100%', border: '0', display: 'block', height: `${trait(model, 'height')}px` });
  el.replaceChildren(frame);

  const api = await new Promise((resolve) => {
    const wait = setInterval(() => {
      const genlab = frame.contentWindow?.genlab;
      if (genlab?.host) { clearInterval(wait); genlab.ready.then(() => resolve(genlab.host)); }
    }, 50);
  });
  delete window.genlabHosts[id];
  return follow(model, frame, api, requests);
}

/**
 * The view of each model that speaks for it: it runs Python's requests and reports its page's
 * state. A widget shown twice has two pages; the second follows the traits and says nothing, so
 * a `train(500)` trains once and the traits do not flicker between two pages.
 */
const leaders = new WeakMap();

/**
 * Keeps the model and the page `api` in step (see the top of this file); `requests` holds
 * Python's messages that came before the page was ready. Returns the stopper.
 */
function follow(model, frame, api, requests) {
  let [shownKey, settled, pushedWeights, quiet] = ['', false, '', false];
  const me = {};
  if (!leaders.has(model)) leaders.set(model, me);
  const leading = () => leaders.get(model) === me;
  /** The page's last state (see `host.js`). */
  let shown = null;
  /** Sets traits from the page without echoing them back to it (the leading view only). */
  const set = (values) => {
    if (!leading()) return;
    quiet = true;
    for (const [k, v] of Object.entries(values)) model.set(k, v);
    model.save_changes();
    quiet = false;
  };
  const failed = (err) => set({ error: err.message });
  const push = async (state) => {
    const still = await stillOf(api.picture());
    if (still) set({ snapshot: new DataView(still) });
    const samples = await api.samples();
    if (samples) model.send({ type: 'samples', columns: samples.columns, link: state.link }, undefined, [samples.values.slice().buffer]);
    if (state.link === pushedWeights) return;
    pushedWeights = state.link;
    const weights = await api.weights();
    if (weights) model.send({ type: 'weights', step: state.step }, undefined, [weights.slice().buffer]);
  };
  const poll = setInterval(() => {
    const state = api.state();
    if (!state) return;
    shown = state;
    const key = canonical(state);
    if (key !== shownKey) {
      shownKey = key;
      set({ lab: LONG[state.lab], preset: state.preset, config: state.config, step: state.step, metrics: state.metrics, link: state.link, ...(state.message ? { error: state.message } : {}) });
    }
    if (state.ready && !settled && leading()) push(state).catch(failed);
    settled = state.ready;
  }, POLL_MS);

  /**
   * Opens what the model now says, once for a burst of trait changes: the config Python set
   * (whole, as the core checked it), else the preset (a new lab starts from its own). On a
   * refusal the page keeps its run and the next poll puts its settings back into the traits.
   */
  let scheduled = false;
  const open = () => {
    if (quiet || scheduled) return;
    scheduled = true;
    setTimeout(() => {
      scheduled = false;
      const [lab, preset, config] = [SHORT[trait(model, 'lab')], trait(model, 'preset'), trait(model, 'config')];
      // a new lab starts from its own preset, unless Python named one (or set a config) too
      const presetSet = lab === shown?.lab || preset !== shown?.preset;
      const configSet = canonical(config) !== canonical(shown?.config ?? null);
      set({ error: '' });
      api.open(lab, configSet && Object.keys(config).length ? { config } : { preset: (presetSet && preset) || undefined }).catch((err) => {
        failed(err);
        shownKey = '';
      });
    }, 0);
  };
  const run = (msg, buffers) => {
    if (!leading()) return;
    if (msg.type === 'train') api.train(msg.steps).catch(failed);
    if (msg.type === 'load-weights') {
      const b = buffers[0];
      api.loadWeights(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)).catch(failed);
    }
  };
  requests.take(run);
  const handlers = {
    'change:lab': open,
    'change:preset': open,
    'change:config': open,
    'change:height': () => { frame.style.height = `${trait(model, 'height')}px`; },
  };
  for (const [event, handler] of Object.entries(handlers)) model.on(event, handler);
  return () => {
    clearInterval(poll);
    for (const [event, handler] of Object.entries(handlers)) model.off(event, handler);
    requests.take(null);
    if (leading()) leaders.delete(model);
  };
}

/**
 * Python's requests to a view ('train', 'load-weights'), held until its page can run them:
 * `take(run)` runs those waiting and every later one with `run` (null holds them again).
 */
function requestQueue(model) {
  const waiting = [];
  let runner = null;
  const onMessage = (msg, buffers) => {
    if (msg?.type !== 'train' && msg?.type !== 'load-weights') return;
    if (runner) runner(msg, buffers);
    else waiting.push([msg, buffers]);
  };
  model.on('msg:custom', onMessage);
  return {
    take(run) {
      runner = run;
      while (runner && waiting.length) runner(...waiting.shift());
    },
    close: () => model.off('msg:custom', onMessage),
  };
}

export default {
  render({ model, el }) {
    const ask = fileSource(model);
    const requests = requestQueue(model);
    const urls = [];
    let stop = () => {};
    let closed = false;
    const start = () => {
      stop();
      const card = savedCard(model, urls);
      el.replaceChildren(card.root);
      const waiting = setTimeout(() => card.say('This is GenLab as the notebook was saved. Run the cell to bring the lab back: it runs from the notebook’s kernel.'), NO_KERNEL_MS);
      mount(model, el, ask, urls, requests).then((stopper) => {
        clearTimeout(waiting);
        if (closed) stopper();
        else stop = stopper;
      }).catch((err) => {
        clearTimeout(waiting);
        card.say(`GenLab could not start: ${err.message}`);
      });
    };
    start();
    // the controls are the page's options: a new page shows them
    model.on('change:controls', start);
    return () => {
      closed = true;
      stop();
      model.off('change:controls', start);
      ask.close();
      requests.close();
      for (const url of urls) URL.revokeObjectURL(url);
    };
  },
};
