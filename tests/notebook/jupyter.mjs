// A headless JupyterLab for the notebook-widget tests: start `jupyter lab` from the venv that
// tests/notebook/venv.sh makes, open a notebook in Chromium (playwright-core), run cells through
// JupyterLab's own model and commands, save, reload, restart the kernel.
//
// Everything the server writes (config, data, runtime files, settings, workspaces, IPython's
// history) goes to one temp folder, removed by stop(): the user's ~/.jupyter never leaks in.
// Nothing reaches past the loopback at run time: news, update checks and the extension
// manager's PyPI listing are off, and each page records any request that leaves the server.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { launchOptions, ROOT } from '../e2e/harness.mjs';

export const DEFAULT_VENV = process.env.GENLAB_NOTEBOOK_VENV ?? path.join(ROOT, 'target/notebook-venv');

/** Settings JupyterLab reads from `user_settings_dir` (plugin id -> values). */
const LAB_SETTINGS = {
  // 'none' attaches every cell to the DOM: the default ('contentVisibility') lets the browser skip
  // rendering off-screen cells, so a canvas in an older cell may not be laid out or "visible".
  '@jupyterlab/notebook-extension/tracker': { windowingMode: 'none' },
  // no toast asking to fetch news, no update check (both would call out to the internet)
  '@jupyterlab/apputils-extension/notification': { fetchNews: 'false', checkForUpdates: false },
  // saving is the test's explicit act (saveNotebook); an autosave mid-test would race with it
  '@jupyterlab/docmanager-extension/plugin': { autosave: false },
  // restarting from a command must not wait for a confirmation dialog nobody clicks
  '@jupyterlab/apputils-extension/sessionDialogs': { skipKernelRestartDialog: true },
  // Settings → Save Widget State Automatically: a saved notebook keeps its widgets' state
  '@jupyter-widgets/jupyterlab-manager/plugin': { saveState: true },
};

/** Server options. Traits on the command line are the documented way to set them per run. */
function serverArgs(dirs, root, token) {
  return [
    'lab', '--no-browser', '--ServerApp.ip=127.0.0.1', '--ServerApp.port=0',
    `--ServerApp.root_dir=${root}`, `--IdentityProvider.token=${token}`,
    '--ServerApp.terminals_enabled=False', '--ServerApp.allow_remote_access=False',
    // the front end's hook for tests: window.jupyterapp (off by default in JupyterLab 4)
    '--LabApp.expose_app_in_browser=True',
    // no outside calls: announcements feed, update check, extension manager's PyPI listing
    '--LabApp.news_url=None', '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
    '--LabApp.extension_manager=readonly',
    `--LabApp.user_settings_dir=${dirs.settings}`, `--LabApp.workspaces_dir=${dirs.workspaces}`,
    // CI and these machines run as root, which jupyter refuses without this
    ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
  ];
}

/** Only our folders and the venv: a developer's own Jupyter/IPython set-up must not change a run. */
function serverEnv(venv, dirs) {
  const env = {
    ...process.env,
    PATH: `${path.join(venv, 'bin')}:${process.env.PATH}`,
    VIRTUAL_ENV: venv,
    JUPYTER_CONFIG_DIR: dirs.config,
    JUPYTER_DATA_DIR: dirs.data,
    JUPYTER_RUNTIME_DIR: dirs.runtime,
    JUPYTER_PLATFORM_DIRS: '1', // silences a deprecation warning at every start
    IPYTHONDIR: dirs.ipython,
    PYTHONNOUSERSITE: '1',
    PYDEVD_DISABLE_FILE_VALIDATION: '1', // the debugger's warning on frozen modules, in every kernel
  };
  delete env.JUPYTER_PATH;
  delete env.PYTHONPATH;
  return env;
}

/** Front-end plugins switched off. The debugger asks every new kernel for its state and logs a
 *  console error when a kernel restart cancels that request: noise for tests that want a clean
 *  console. */
const DISABLED_EXTENSIONS = ['@jupyterlab/debugger-extension'];

/** Writes LAB_SETTINGS as JupyterLab's user settings files (`<plugin>.jupyterlab-settings`) and
 *  DISABLED_EXTENSIONS into the page config. */
function writeLabConfig(dirs) {
  for (const [id, values] of Object.entries(LAB_SETTINGS)) {
    const file = path.join(dirs.settings, `${id}.jupyterlab-settings`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(values));
  }
  mkdirSync(path.join(dirs.config, 'labconfig'));
  writeFileSync(path.join(dirs.config, 'labconfig/page_config.json'), JSON.stringify({
    disabledExtensions: Object.fromEntries(DISABLED_EXTENSIONS.map((id) => [id, true])),
  }));
}

/** Every live process below `pid`, read from /proc (kernels run in their own session, so a
 *  process group kill misses them; their parent link doesn't). */
function descendants(pid) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try { stat = readFileSync(`/proc/${name}/stat`, 'utf8'); } catch { continue; }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(name));
  }
  const out = [];
  for (let queue = [pid]; queue.length;) {
    for (const c of children.get(queue.shift()) ?? []) { out.push(c); queue.push(c); }
  }
  return out;
}

function kill(pid, signal) {
  try { process.kill(pid, signal); return true; } catch { return false; }
}

/** Servers still running, for the exit hooks below. */
const live = new Set();

/** Last resort when the test process goes away without stop(): SIGKILL every server's tree (sync:
 *  'exit' handlers can't wait). The server also runs under `setpriv --pdeathsig`, so it gets
 *  SIGTERM even if node is SIGKILLed, and ipykernel exits when its parent does. */
function killAllNow() {
  for (const server of live) server.killNow();
}
process.on('exit', killAllNow);
// A listener turns off node's dying of these signals, so the process still ends after cleanup:
// by the signal itself when no one else listens, else by exit (Playwright listens too, closes
// its browsers and would leave node running).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    killAllNow();
    if (!process.listenerCount(signal)) process.kill(process.pid, signal);
    else setImmediate(() => process.exit(128 + constants.signals[signal]));
  });
}

/** Polls `probe()` every `every` ms until it returns a truthy value; throws `message()` on time-out. */
async function until(probe, { timeout, every = 100, message }) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(message());
    await sleep(every);
  }
}

/**
 * Starts `jupyter lab` headless on 127.0.0.1 with a free port and a random token.
 * `root` is the folder notebooks live in (default: a fresh one inside the temp folder).
 * Resolves to { url, token, root, pid, log(), api(method, path, body), stop() } once /api/status
 * answers; `url` ends in '/'. stop() ends the whole process tree and removes the temp folder.
 * Set GENLAB_JUPYTER_LOG=1 to copy the server's log to stderr.
 */
export async function startJupyter({ venv = DEFAULT_VENV, root, timeout = 90_000 } = {}) {
  const jupyter = path.join(venv, 'bin/jupyter');
  if (!existsSync(jupyter)) throw new Error(`no ${jupyter}: run tests/notebook/venv.sh first`);
  const tmp = mkdtempSync(path.join(tmpdir(), 'genlab-jupyter-'));
  const dirs = Object.fromEntries(['config', 'data', 'runtime', 'ipython', 'settings', 'workspaces', 'root']
    .map((d) => [d, path.join(tmp, d)]));
  Object.values(dirs).forEach((d) => mkdirSync(d));
  writeLabConfig(dirs);
  root = path.resolve(root ?? dirs.root);
  const token = randomBytes(16).toString('hex');

  const pdeathsig = existsSync('/usr/bin/setpriv') ? ['/usr/bin/setpriv', '--pdeathsig', 'TERM'] : [];
  const [cmd, ...args] = [...pdeathsig, jupyter, ...serverArgs(dirs, root, token)];
  const child = spawn(cmd, args, { cwd: tmp, env: serverEnv(venv, dirs), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const onLog = (d) => {
    log = (log + d).slice(-64_000);
    if (process.env.GENLAB_JUPYTER_LOG) process.stderr.write(d);
  };
  child.stdout.on('data', onLog);
  child.stderr.on('data', onLog);
  let exited = null;
  const exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve(exited = { code, signal })));

  let stopping = null;
  const server = {
    token, root, pid: child.pid, log: () => log,
    /** SIGKILLs the tree and removes the temp folder, synchronously. */
    killNow() {
      for (const pid of [...descendants(child.pid), child.pid]) kill(pid, 'SIGKILL');
      rmSync(tmp, { recursive: true, force: true });
      live.delete(server);
    },
    /** SIGTERM first (the server then shuts its kernels down cleanly), SIGKILL what is left. */
    stop() {
      stopping ??= (async () => {
        const tree = descendants(child.pid);
        if (!exited) kill(child.pid, 'SIGTERM');
        await Promise.race([exit, sleep(10_000, null, { ref: false })]); // unref'd: must not hold node open
        kill(-child.pid, 'SIGKILL'); // its process group (detached: true made one)
        await until(() => !tree.filter((pid) => kill(pid, 0)).length, { timeout: 3_000, message: () => '' })
          .catch(() => tree.forEach((pid) => kill(pid, 'SIGKILL')));
        server.killNow();
      })();
      return stopping;
    },
  };
  live.add(server);

  try {
    // the server writes jpserver-<pid>.json once it listens: its port, without parsing the log
    const info = await until(() => {
      if (exited) throw new Error(`jupyter lab exited (${JSON.stringify(exited)}):\n${log}`);
      const file = readdirSync(dirs.runtime).find((f) => /^jpserver-\d+\.json$/.test(f));
      try { return file && JSON.parse(readFileSync(path.join(dirs.runtime, file), 'utf8')); } catch { return null; }
    }, { timeout, message: () => `jupyter lab did not start in ${timeout} ms:\n${log}` });
    server.url = `http://127.0.0.1:${info.port}${info.base_url}`;
    server.api = (method, route, body) => fetch(new URL(route, server.url), {
      method, headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    await until(() => server.api('GET', 'api/status').then((r) => r.ok, () => false),
      { timeout, message: () => `jupyter lab did not answer in ${timeout} ms:\n${log}` });
    return server;
  } catch (e) {
    await server.stop();
    throw e;
  }
}

/**
 * Launches headless Chromium like tests/e2e/harness.mjs does, and also makes it resolve no host
 * name: even with --disable-background-networking it looks up accounts.google.com,
 * update.googleapis.com and content-autofill.googleapis.com. The pages only use 127.0.0.1.
 */
export async function launchBrowser() {
  return chromium.launch(launchOptions(['--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1']));
}

/** An empty notebook with the Python 3 kernel, so JupyterLab starts it without asking. */
export function emptyNotebook(cells = []) {
  return {
    nbformat: 4, nbformat_minor: 5, cells,
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' },
      language_info: { name: 'python' },
    },
  };
}

/**
 * Helpers installed in every page (they survive reloads): `window.__nb`. They go through the
 * app object that --LabApp.expose_app_in_browser puts on window, not through the DOM, so
 * typing, auto-indent and bracket auto-closing in CodeMirror can't garble code.
 */
function pageHelpers() {
  const strip = (s) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, ''); // eslint-disable-line no-control-regex
  const text = (v) => (Array.isArray(v) ? v.join('') : v ?? '');
  window.__nb = {
    /** The open NotebookPanel for `path`, or undefined. */
    panel(path) {
      const app = window.jupyterapp;
      return app && [...app.shell.widgets('main')].find((w) => w.context?.path === path && w.sessionContext);
    },
    /** True once the panel's file is loaded and its kernel is connected and idle. */
    ready(path) {
      const panel = window.__nb.panel(path);
      const kernel = panel?.context.isReady && panel.sessionContext.session?.kernel;
      return !!kernel && kernel.status === 'idle' && kernel.connectionStatus === 'connected';
    },
    /** Output models as text: streams, text/plain of results and displays, errors as
     *  "Name: message" then the traceback without ANSI colours. */
    outputText(outputs) {
      return outputs.map((o) => {
        if (o.output_type === 'stream') return text(o.text);
        if (o.output_type === 'error') return `${o.ename}: ${o.evalue}\n${strip(o.traceback.join('\n'))}\n`;
        return `${text(o.data?.['text/plain'])}\n`;
      }).join('');
    },
    /** Puts `code` in the last cell if it is a blank, never-run code cell, else in a new cell at
     *  the end; runs it with the 'notebook:run-cell' command and waits for its reply (which
     *  comes after every output: the kernel goes idle last). */
    async run(path, code, timeout) {
      const app = window.jupyterapp;
      const panel = window.__nb.panel(path);
      const notebook = panel.content;
      let cell = notebook.widgets.at(-1);
      const m = cell?.model;
      if (m && m.type === 'code' && !m.sharedModel.getSource() && m.executionCount == null && !m.outputs.length) {
        m.sharedModel.setSource(code);
      } else {
        notebook.model.sharedModel.insertCell(notebook.widgets.length, { cell_type: 'code', source: code });
        cell = notebook.widgets.at(-1);
      }
      notebook.activeCellIndex = notebook.widgets.indexOf(cell);
      notebook.deselectAll();
      app.shell.activateById(panel.id);
      const run = app.commands.execute('notebook:run-cell', { activate: true });
      const timer = new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), timeout));
      await Promise.race([run, timer]).catch((e) => {
        throw new Error(`cell did not finish in ${timeout} ms (${e.message}); output so far:\n` +
          window.__nb.outputText(cell.model.outputs.toJSON()));
      });
      cell.node.scrollIntoView({ block: 'center' });
      const outputs = cell.model.outputs.toJSON();
      return { id: cell.model.id, executionCount: cell.model.executionCount, outputs, text: window.__nb.outputText(outputs) };
    },
    /** The output area's element of the cell with model id `id`. */
    outputNode(path, id) {
      return window.__nb.panel(path).content.widgets.find((c) => c.model.id === id).outputArea.node;
    },
  };
}

/** A root-relative file path as a URL path, each segment encoded ('#', '?', spaces). */
const urlPath = (name) => name.split('/').map(encodeURIComponent).join('/');

/** Loads (or reloads) the handle's notebook page and waits until its kernel is idle. */
async function load(handle, timeout) {
  const { page, server, name } = handle;
  await page.goto(`${server.url}lab/tree/${urlPath(name)}?token=${server.token}`, { waitUntil: 'domcontentloaded', timeout });
  await page.waitForFunction((n) => window.__nb?.ready(n), name, { timeout, polling: 100 });
}

/**
 * Creates `name` (an .ipynb path under the server's root, in a folder that exists; `cells`,
 * nbformat cells, optional) through the contents
 * API, opens it in JupyterLab in a fresh browser context and waits until its kernel is idle.
 * Resolves to a handle { page, context, server, name, errors, offsite, close() }: `errors` collects
 * console errors and page errors, `offsite` any request that went anywhere but this server.
 */
export async function openNotebook(browser, server, { name = 'test.ipynb', cells = [], timeout = 90_000, viewport = { width: 1280, height: 1000 } } = {}) {
  const res = await server.api('PUT', `api/contents/${urlPath(name)}`, { type: 'notebook', format: 'json', content: emptyNotebook(cells) });
  if (!res.ok) throw new Error(`creating ${name}: ${res.status} ${await res.text()}`);
  const context = await browser.newContext({ viewport });
  await context.addInitScript(pageHelpers);
  const page = await context.newPage();
  const handle = { page, context, server, name, errors: [], offsite: [], close: () => context.close() };
  page.on('console', (m) => { if (m.type() === 'error') handle.errors.push(m.text()); });
  page.on('pageerror', (e) => handle.errors.push(String(e)));
  const origin = new URL(server.url).origin;
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(origin) && !/^(data|blob|about):/.test(url)) handle.offsite.push(url);
  });
  // a reload must never wait on "leave this page?": accept it (dismissing would cancel the reload)
  page.on('dialog', (d) => (d.type() === 'beforeunload' ? d.accept() : d.dismiss()));
  try {
    await load(handle, timeout);
  } catch (e) {
    await context.close();
    throw e;
  }
  return handle;
}

/**
 * Runs `code` as a new cell at the end of the notebook (or in the blank cell a new notebook
 * starts with) and waits for it to finish. Resolves to { text, outputs, output, executionCount }:
 * `text` is every output as text (a Python exception as "ValueError: message" plus its
 * traceback), `outputs` the nbformat outputs, `output` the ElementHandle of the cell's output
 * area (for looking inside a widget's view). A time-out rejects with the output so far.
 */
export async function runCell(handle, code, { timeout = 60_000 } = {}) {
  const { page, name } = handle;
  const result = await page.evaluate(([n, c, t]) => window.__nb.run(n, c, t), [name, code, timeout]);
  const output = (await page.evaluateHandle(([n, id]) => window.__nb.outputNode(n, id), [name, result.id])).asElement();
  return { ...result, output };
}

/** Saves the notebook (cells, outputs, widget state as JupyterLab stores it) to disk. */
export async function saveNotebook(handle) {
  await handle.page.evaluate((n) => window.__nb.panel(n).context.save(), handle.name);
}

/** Reads the notebook as saved on disk, through the contents API (nbformat JSON). */
export async function readNotebook(handle) {
  const res = await handle.server.api('GET', `api/contents/${urlPath(handle.name)}?content=1`);
  if (!res.ok) throw new Error(`reading ${handle.name}: ${res.status}`);
  return (await res.json()).content;
}

/** Reloads the page and reopens the notebook. The kernel session is kept (sessions are keyed by
 *  path on the server), so Python state and live widgets are still there. */
export async function reloadNotebook(handle, { timeout = 90_000 } = {}) {
  await load(handle, timeout);
}

/** Restarts the kernel (no confirmation dialog) and waits until the new one is idle. */
export async function restartKernel(handle, { timeout = 60_000 } = {}) {
  const { page, name } = handle;
  await page.evaluate((n) => window.__nb.panel(n).sessionContext.restartKernel(), name);
  await page.waitForFunction((n) => window.__nb.ready(n), name, { timeout, polling: 100 });
}
