// Page entry: start the worker, read the link, open the Data view.
import { LabWorker } from './lab-worker.js';
import { decodeHash } from './state.js';
import { DataView } from './labs/data.js';

const messageBox = document.getElementById('message');

/** Shows (or with null, hides) the page's message banner; text only, never HTML. */
function showMessage(text) {
  messageBox.hidden = !text;
  messageBox.textContent = text ?? '';
}

const worker = new LabWorker({
  onFatal: (message) => showMessage(`${message} Your settings were kept.`),
});
const view = new DataView(worker, { showMessage });

/** Opens the config the link names, or the defaults with a message saying why not. */
async function openLink() {
  let link;
  try {
    link = decodeHash(location.hash);
  } catch (err) {
    link = { lab: null, config: null, error: err.message };
  }
  let problem = link.error ?? null;
  if (link.lab && link.lab !== 'data') problem = `there is no lab called “${link.lab}” yet`;
  if (link.lab === 'data' && link.config && !problem) {
    try {
      await view.apply({ ...view.defaults(), ...link.config });
      return;
    } catch (err) {
      problem = err.message;
    }
  }
  await view.apply(view.defaults());
  if (problem) showMessage(`This link could not be opened: ${problem}. Showing the defaults instead.`);
  if (link.lab === 'data') document.getElementById('data').scrollIntoView();
}

document.body.dataset.state = 'loading';
document.getElementById('status').textContent = 'Loading the GenLab core…';
window.genlab = {
  worker,
  view,
  /** Resolves once the first link has been opened. */
  ready: view.loadCatalog().then(openLink).catch((err) => {
    document.body.dataset.state = 'error';
    showMessage(`GenLab could not start: ${err.message}`);
  }),
};
window.addEventListener('hashchange', () => {
  // Our own replaceState does not fire this; a pasted or edited link does.
  openLink().catch((err) => showMessage(err.message));
});
