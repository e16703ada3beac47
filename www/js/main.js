// Page entry: start downloading the core, read the link, open the lab it names (the Data view
// when it names none). Each lab has its own worker, so training one never blocks another; a
// lab's worker starts when its view is first shown, on the page's one compiled core.
import { loadCore, threadsProblem } from './core.js';
import { hostApi } from './host.js';
import { endPrefetching, siteAddress, siteLink } from './site.js';
import { LabWorker } from './lab-worker.js';
import { decodeHash, isPlainObject, mergeLink } from './state.js';
import { DataView } from './labs/data.js';
import { InterpolantView } from './labs/interpolants.js';
import { HallucinationView } from './labs/hallucinations.js';
import { QlaeView } from './labs/qlae.js';
import { clearSaved, savedConfig } from './ui/saved.js';
import { startEmbedding } from './ui/embed.js';
import { stage } from './startup.js';

stage('main.js runs');

// The banner stays in sight while the page scrolls (a link opens scrolled to its lab, below it)
// until the next message replaces it or the learner dismisses it.
const messageBox = document.getElementById('message');
const messageText = document.getElementById('message-text');

/** Shows (or with null, hides) the page's message banner; text only, never HTML. */
function showMessage(text) {
  messageBox.hidden = !text;
  messageText.textContent = text ?? '';
}
document.getElementById('message-close').addEventListener('click', () => showMessage(null));

const onFatal = (message) => showMessage(`${message} Your settings were kept.`);
const LABS = { data: DataView, si: InterpolantView, halluc: HallucinationView, qlae: QlaeView };
const views = Object.fromEntries(Object.entries(LABS).map(([lab, View]) => [lab, new View(new LabWorker({ onFatal }), { showMessage, lab })]));

/** Shows the section of `lab` and hides the others. */
function show(lab) {
  for (const name of Object.keys(views)) document.getElementById(name).hidden = name !== lab;
  document.body.dataset.lab = lab;
}

/** The link in the address bar: { link, lab: the lab to show, problem: why the link cannot be opened, or null }. */
function readLink() {
  let link;
  try {
    link = siteLink ?? decodeHash(location.hash);
  } catch (err) {
    link = { lab: null, config: null, error: err.message };
  }
  let problem = link.error ?? null;
  // own keys only: `#constructor` or `#toString` name no lab
  const known = link.lab !== null && Object.hasOwn(views, link.lab);
  if (link.lab && !known) problem = `there is no lab called “${link.lab}” (the labs: ${Object.keys(views).join(', ')})`;
  return { link, lab: known ? link.lab : 'data', problem };
}

/** Opens the config the link names, or the defaults with a message saying why not. */
async function openLink() {
  const { link, lab, problem: linkProblem } = readLink();
  let problem = linkProblem;
  const view = views[lab];
  show(lab);
  // a bare `#lab` link reopens the settings this browser last used there
  if (link.lab && !link.config && !problem) link.config = await savedConfig(lab);
  if (link.config && !problem) {
    const { preset, at, view: shown, ...config } = link.config;
    try {
      // a link names what differs from its preset; a host may hand over a whole config
      await view.apply(link.whole ? config : mergeLink(startingConfig(view, preset), config));
      await view.restoreView(isPlainObject(shown) ? shown : {});
      if (at !== undefined) await view.reach(at);
      return;
    } catch (err) {
      problem = err.message;
    }
  }
  await view.apply(view.defaults());
  if (problem) showMessage(`This link could not be opened: ${problem}. Showing the defaults instead.`);
  if (link.lab) document.getElementById(lab).scrollIntoView();
}

/** The config a link builds on: the preset it names (`preset=NAME`), else the lab's defaults. */
function startingConfig(view, preset) {
  if (preset === undefined) return view.defaults();
  const found = view.presets?.find((p) => p.name === String(preset));
  if (!found) {
    const names = view.presets?.map((p) => p.name).join(', ');
    throw new Error(names ? `there is no preset “${String(preset).slice(0, 40)}” here; try one of ${names}` : 'this lab has no presets');
  }
  return structuredClone(found.config);
}

/** A `?threads=` the page cannot follow says why, unless the banner already holds a message. */
function sayThreadsProblem() {
  if (threadsProblem && messageBox.hidden) showMessage(threadsProblem);
}

/** Loads the catalog and presets the views build their menus from, from the worker of the lab the link shows. */
async function loadMenus() {
  const reply = await views[readLink().lab].worker.request({ type: 'catalog' });
  views.data.setCatalog(reply);
  views.si.setCatalog(reply.catalog);
  for (const [lab, list] of Object.entries(reply.presets)) views[lab].setPresets(list);
}

document.body.dataset.state = 'loading';
// the link's lab at once, so its plots show the download's progress (render/placeholder.js)
show(readLink().lab);
// now, while the first worker's scripts load
loadCore().catch(() => {}); // a failure reaches the page through the worker's first request
document.getElementById('status').textContent = 'Loading the GenLab core…';
window.genlab = {
  views,
  worker: views.data.worker,
  view: views.data,
  /** For a page that holds this one (the notebook widget). */
  host: hostApi(views, show, startingConfig),
  /** Resolves once the first link has been opened. */
  ready: loadMenus().then(openLink).then(sayThreadsProblem).then(() => stage('link opened')).catch((err) => {
    document.body.dataset.state = 'error';
    showMessage(`GenLab could not start: ${err.message}`);
  }).finally(endPrefetching), // what the link's run did not take is not downloaded on
};
// Embedded: pause the shown lab while the widget is off screen, pick up where it was after.
startEmbedding((visible) => {
  const view = views[document.body.dataset.lab];
  if (visible) view?.resume();
  else view?.suspend();
});
document.getElementById('embed-open').addEventListener('click', (e) => {
  e.currentTarget.href = siteAddress(location.hash);
});
document.getElementById('clear-saved').addEventListener('click', async () => {
  // first, so a view change right after the click cannot save the shown run after the clear
  for (const view of Object.values(views)) view.forgetShown();
  await clearSaved();
  showMessage('Saved runs and settings were cleared from this browser, and what is on screen is no longer saved. A link with at=N still trains to N steps.');
});
window.addEventListener('hashchange', () => {
  // Our own replaceState does not fire this; a pasted or edited link (or a gallery card) does.
  openLink().catch((err) => showMessage(err.message));
});
