// Shared set-up for the browser tests and the benchmark: serve the site with the project's own
// `genlab serve` on a free port, and drive Debian's Chromium through playwright-core.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const GENLAB_BIN = process.env.GENLAB_BIN ?? path.join(ROOT, 'target/release/genlab');

/** Runs `genlab ARGS` (a benchmark with --json; `env` for its environment) and parses its last stdout line. */
export async function runGenlabJson(args, { env = process.env } = {}) {
  const { stdout } = await promisify(execFile)(GENLAB_BIN, args, { timeout: 30 * 60_000, env });
  return JSON.parse(stdout.trim().split('\n').pop());
}

/** A scratch folder for test `t` (its context), removed when the test ends, passed or failed. */
export function scratchDir(t, prefix) {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts `genlab serve` on a free port (paths relative to the repo root); resolves to { url, stop }. */
export async function startServer({ dir = 'www', pkg = 'pkg', extra = [] } = {}) {
  const args = ['serve', '--dir', path.resolve(ROOT, dir), '--port', '0', ...extra];
  if (pkg) args.push('--pkg', path.resolve(ROOT, pkg));
  const child = spawn(GENLAB_BIN, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/\S+\//);
      if (m) resolve(m[0]);
    });
    child.on('exit', (code) => reject(new Error(`genlab serve exited with ${code}`)));
  });
  return { url, stop: () => child.kill() };
}

/**
 * The benchmarks time the site `make dist` ships (wasm-opt'd cores): `startServer(SHIPPED)`, its
 * pages opened with `openPage(browser, url, SHIPPED_PAGE)`. Its service worker is blocked, so a
 * page is cross-origin isolated (the threaded core) only on a server started with `--isolate`.
 */
export const SHIPPED = { dir: 'dist', pkg: null };
export const SHIPPED_PAGE = { serviceWorkers: 'block' };

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];

/**
 * How playwright launches headless Chromium: from /usr/bin/chromium (or $CHROMIUM), with our
 * flags and `extraArgs`.
 */
export function launchOptions(extraArgs = []) {
  const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath}: \`make browser\` installs Debian's (or set CHROMIUM=…)`);
  }
  return { executablePath, args: [...CHROMIUM_ARGS, ...extraArgs] };
}

/** Launches headless Chromium (see `launchOptions`). */
export async function launchBrowser() {
  return chromium.launch(launchOptions());
}

/** Launches headless Chromium on a browser profile in `dir`, whose cache is on disk; one context. */
export async function launchWithProfile(dir, contextOptions = {}) {
  return chromium.launchPersistentContext(dir, { ...launchOptions(), ...contextOptions });
}

/** Opens `url` in a fresh context and records console errors and page errors; `setup(context)`
 *  runs first (to route requests, say). */
export async function openPage(browser, url, { viewport = { width: 1280, height: 900 }, setup, ...contextOptions } = {}) {
  const context = await browser.newContext({ viewport, ...contextOptions });
  await setup?.(context);
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  return { page, context, errors };
}

/** `openPage`, also recording the path of every wasm file the page asks for (not its service
 *  worker's fetches of them) in `wasm`. */
export async function openRecordingWasm(browser, url, options = {}) {
  const wasm = [];
  const opened = await openPage(browser, url, {
    ...options,
    setup: (c) => c.on('request', (r) => { if (r.url().endsWith('.wasm') && !r.serviceWorker()) wasm.push(new URL(r.url()).pathname); }),
  });
  return { ...opened, wasm };
}

/** One server and one browser for a whole test file, started and stopped by node:test hooks. */
export function useSite() {
  const site = {};
  before(async () => {
    site.server = await startServer();
    site.browser = await launchBrowser();
  });
  after(async () => {
    await site.browser?.close();
    site.server?.stop();
  });
  /** Opens `hash` on this site in a fresh context and waits for `idle(page)`. */
  site.open = async (hash, idle, options) => {
    const opened = await openPage(site.browser, site.server.url + hash, options);
    await idle(opened.page);
    return opened;
  };
  return site;
}
