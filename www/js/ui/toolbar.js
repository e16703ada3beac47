// Each lab's share-and-export bar: copy the link, go back to the defaults, export the config
// (the CLI takes it unchanged), weights, samples and any figure, and import them again.
// Text from files is only ever shown as text.
import { LINK_LIMITS, tooDeep } from '../state.js';
import { siteAddress } from '../site.js';

/** Downloads `blob` as `filename`. */
export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = Object.assign(document.createElement('a'), { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const button = (text, title) => Object.assign(document.createElement('button'), { type: 'button', textContent: text, title });

/** What a file's name and first bytes say it is: 'json', 'safetensors', 'csv' or null. */
export function fileKind(name, bytes) {
  if (/\.safetensors$/i.test(name)) return 'safetensors';
  if (/\.json$/i.test(name)) return 'json';
  if (/\.(csv|txt)$/i.test(name)) return 'csv';
  const first = bytes.find((b) => b > 32);
  if (first === 0x7b) return 'json'; // '{'
  return null;
}

/** The bar for `view` (whose section has the id `view.lab`), placed under the lab's title. */
export function buildToolbar(view, { showMessage }) {
  const section = document.getElementById(view.lab);
  const bar = document.createElement('div');
  bar.className = 'toolbar';
  bar.setAttribute('role', 'toolbar');
  bar.setAttribute('aria-label', 'Share, export and import');
  const share = button('Share link', 'Copy the link that reopens this run');
  const defaults = button('Defaults', 'Back to this lab’s default settings');
  const menu = document.createElement('details');
  menu.className = 'menu';
  const summary = Object.assign(document.createElement('summary'), { textContent: 'Export' });
  const list = document.createElement('div');
  list.className = 'menu-list';
  menu.append(summary, list);
  const importButton = button('Import…', 'Open a config (.json), weights (.safetensors) or points (.csv)');
  const picker = Object.assign(document.createElement('input'), { type: 'file', hidden: true, accept: '.json,.safetensors,.csv,.txt' });
  picker.setAttribute('aria-label', 'File to import');
  const note = document.createElement('span');
  note.className = 'toolbar-note';
  note.setAttribute('aria-live', 'polite');
  bar.append(share, defaults, menu, importButton, picker, note);
  section.querySelector('h2').after(bar);

  const say = (text) => { note.textContent = text; };

  share.addEventListener('click', async () => {
    const url = siteAddress(view.link());
    try {
      await navigator.clipboard.writeText(url);
      say('Link copied.');
    } catch {
      // no clipboard (an insecure context or a denied permission): show the link to copy by hand
      say('');
      const field = Object.assign(document.createElement('input'), { readOnly: true, value: url, className: 'link-field' });
      field.setAttribute('aria-label', 'Link to this run');
      note.replaceChildren(field);
      field.select();
    }
  });

  defaults.addEventListener('click', async () => {
    try {
      await view.apply(view.defaults());
      say('Defaults restored.');
    } catch (err) {
      showMessage(err.message);
    }
  });

  menu.addEventListener('toggle', () => {
    if (!menu.open) return;
    const items = [
      { label: 'Config (JSON)', filename: `${view.exportName()}.json`, make: async () => new Blob([`${JSON.stringify(view.config, null, 2)}\n`], { type: 'application/json' }) },
      ...(view.exports?.() ?? []),
      ...[...section.querySelectorAll('canvas')].filter((c) => c.offsetParent && c.width > 0).map((c) => ({
        label: `PNG: ${c.getAttribute('aria-label')}`,
        filename: `${view.exportName()}-${c.id.replace(`${view.lab}-`, '')}.png`,
        make: () => new Promise((resolve) => c.toBlob(resolve, 'image/png')),
      })),
    ];
    list.replaceChildren(...items.map((item) => {
      const b = button(item.label, `Save ${item.filename}`);
      b.addEventListener('click', async () => {
        menu.open = false;
        try {
          download(await item.make(), item.filename);
          say(`Saved ${item.filename}.`);
        } catch (err) {
          showMessage(`Could not export: ${err.message}`);
        }
      });
      return b;
    }));
  });

  // the menu closes on Escape and on a click elsewhere, like any menu
  menu.addEventListener('keydown', (e) => { if (e.key === 'Escape') { menu.open = false; summary.focus(); } });
  document.addEventListener('click', (e) => { if (menu.open && !menu.contains(e.target)) menu.open = false; });

  importButton.addEventListener('click', () => picker.click());
  picker.addEventListener('change', async () => {
    const file = picker.files[0];
    picker.value = '';
    if (file) await importFile(view, file, { showMessage, say });
  });
  section.addEventListener('dragover', (e) => { if (e.dataTransfer?.types.includes('Files')) e.preventDefault(); });
  section.addEventListener('drop', async (e) => {
    const file = e.dataTransfer?.files[0];
    if (!file) return;
    e.preventDefault();
    await importFile(view, file, { showMessage, say });
  });
  return bar;
}

/**
 * The largest file of each kind the page reads, checked before reading: a config is what a link
 * may hold; weights are the CLI's limit halved, since the page keeps a copy in the worker beside
 * the tensors; points, ten times the most particles a run carries, written out as text.
 */
export const IMPORT_LIMITS = { json: 1024 * 1024, safetensors: 512 * 1024 * 1024, csv: 16 * 1024 * 1024 };

/** Opens a config, weights or points file in `view`, or says exactly why it cannot. */
async function importFile(view, file, { showMessage, say }) {
  const name = file.name.slice(0, 80);
  try {
    // the kind from the name, or from the first bytes: the size is checked before the rest is read
    const kind = fileKind(file.name, new Uint8Array(await file.slice(0, 64).arrayBuffer()));
    if (kind && file.size > IMPORT_LIMITS[kind]) {
      throw new Error(`it is ${file.size.toLocaleString('en')} bytes; a ${kind} file may be at most ${IMPORT_LIMITS[kind].toLocaleString('en')} (${IMPORT_LIMITS[kind] / 2 ** 20} MiB)`);
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (kind === 'json') {
      let config;
      try {
        config = JSON.parse(new TextDecoder().decode(bytes));
      } catch (err) {
        throw new Error(`it is not valid JSON (${err.message})`, { cause: err });
      }
      if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new Error('it holds no config object');
      if (tooDeep(config)) throw new Error(`it nests deeper than ${LINK_LIMITS.depth} levels, the most a config may`);
      await view.apply(config);
    } else if (kind === 'safetensors') {
      if (!view.importWeights) throw new Error('this lab has no trained weights to replace');
      await view.importWeights(bytes);
    } else if (kind === 'csv') {
      if (!view.importCsv) throw new Error('this lab takes no points; import a config (.json) or weights (.safetensors)');
      await view.importCsv(new TextDecoder().decode(bytes));
    } else {
      throw new Error('GenLab opens .json configs, .safetensors weights and .csv points');
    }
    say(`Opened ${name}.`);
  } catch (err) {
    showMessage(`“${name}” could not be opened: ${err.message}. Nothing was changed.`);
  }
}
