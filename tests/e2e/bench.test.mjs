// Smoke test of the benchmark page: a short run of both runtimes finishes, reports sane figures
// and both models really train. The timing itself is `node bench/bench.mjs`'s business.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openPage } from './harness.mjs';
import { waitForBench } from '../../bench/bench.mjs';

const TIMEOUT = 5 * 60 * 1000;
let server;
let browser;
let results;
let errors;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const opened = await openPage(browser, `${server.url}bench.html?steps=5&reps=2`);
  errors = opened.errors;
  results = await waitForBench(opened.page, errors, { timeoutMs: TIMEOUT - 30_000 });
}, { timeout: TIMEOUT });

after(async () => {
  await browser?.close();
  server?.stop();
});

const RUNTIMES = [['GenLab wasm', 'genlab'], ['TF.js wasm', 'tfjs'], ['TF.js wasm, explicit transposes', 'tfjsExplicitTranspose']];

test('the bench page finishes without errors', { timeout: TIMEOUT }, () => {
  assert.equal(results.done, true);
  assert.equal(results.error, undefined, `page error: ${results.error}`);
  assert.deepEqual(errors, [], 'no console errors');
});

test('TF.js runs on its wasm backend, one thread, without leaking tensors', { timeout: TIMEOUT }, () => {
  assert.equal(results.where, 'workers', 'by default both runtimes compute in workers, as the labs do');
  assert.deepEqual([results.genlab.core, results.genlab.threads], ['single-threaded', 1]);
  assert.equal(results.tfjs.backend, 'wasm');
  assert.equal(results.tfjs.threads, 1);
  assert.equal(results.crossOriginIsolated, false);
  assert.equal(results.tfjsTensorsLeft, 0);
});

for (const [name, key] of RUNTIMES) {
  test(`${name} reports positive, finite speeds`, { timeout: TIMEOUT }, () => {
    const r = results[key];
    assert.ok(r, `${key} is missing from benchResults`);
    for (const field of ['stepsPerSec', 'samplesPerSec']) {
      assert.ok(Number.isFinite(r[field]) && r[field] > 0, `${key}.${field} = ${r[field]}`);
    }
  });

  test(`${name} really trains (last loss < first loss)`, { timeout: TIMEOUT }, () => {
    const r = results[key];
    assert.ok(Number.isFinite(r.firstLoss) && Number.isFinite(r.finalLoss), `losses ${r.firstLoss}, ${r.finalLoss}`);
    assert.ok(r.finalLoss < r.firstLoss, `${key}: loss went ${r.firstLoss} → ${r.finalLoss}`);
  });
}

test('?main runs both runtimes on the page\'s main thread, and both train', { timeout: TIMEOUT }, async () => {
  const opened = await openPage(browser, `${server.url}bench.html?steps=3&reps=1&main`);
  const r = await waitForBench(opened.page, opened.errors, { timeoutMs: TIMEOUT - 30_000 });
  assert.equal(r.error, undefined, `page error: ${r.error}`);
  assert.equal(r.where, 'main thread');
  for (const key of ['genlab', 'tfjs', 'tfjsExplicitTranspose']) assert.ok(r[key].finalLoss < r[key].firstLoss, `${key} trains`);
  assert.equal(r.tfjsTensorsLeft, 0);
  assert.deepEqual(opened.errors, []);
  await opened.page.close();
});

test('?rounds=N alternates the runtimes and reports medians of their speeds and of the ratios', { timeout: TIMEOUT }, async () => {
  const opened = await openPage(browser, `${server.url}bench.html?steps=3&reps=1&rounds=3`);
  const r = await waitForBench(opened.page, opened.errors, { timeoutMs: TIMEOUT - 30_000 });
  assert.equal(r.error, undefined, `page error: ${r.error}`);
  assert.equal(r.protocol.rounds, 3);
  const middle = (values) => values.toSorted((a, b) => a - b)[1];
  for (const key of ['genlab', 'tfjs', 'tfjsExplicitTranspose']) {
    assert.equal(r[key].rounds.length, 3, `${key}: one speed per round`);
    assert.ok(r[key].rounds.every(positive), `${key}: positive speeds in every round`);
    assert.equal(r[key].stepsPerSec, middle(r[key].rounds.map((x) => x.stepsPerSec)));
    assert.equal(r[key].samplesPerSec, middle(r[key].rounds.map((x) => x.samplesPerSec)));
  }
  // the ratio of the rounds' ratios, not of the medians: each round's runtimes ran side by side
  for (const [name, peer] of [['genlabOverTfjs', 'tfjs'], ['genlabOverTfjsExplicitTranspose', 'tfjsExplicitTranspose']]) {
    const perRound = (field) => middle(r.genlab.rounds.map((g, i) => g[field] / r[peer].rounds[i][field]));
    assert.equal(r.ratios[name].train, perRound('stepsPerSec'), `${name}.train`);
    assert.equal(r.ratios[name].forward, perRound('samplesPerSec'), `${name}.forward`);
  }
  // GenLab's bench session trains on through the rounds; TF.js builds its models afresh in each
  assert.ok(r.genlab.finalLoss < r.genlab.firstLoss);
  assert.equal(r.tfjsTensorsLeft, 0);
  assert.deepEqual(opened.errors, []);
  await opened.page.close();
});

/**
 * The bench page with `query` (a threaded run): refused without cross-origin isolation, with a
 * message naming `genlab serve --isolate` and matching `refusal`; the results in an isolated page.
 */
async function isolatedOnly(query, refusal) {
  const plain = await openPage(browser, `${server.url}bench.html?steps=2&reps=1&${query}`);
  const refused = await waitForBench(plain.page, [], { timeoutMs: 60_000 });
  assert.match(refused.error, refusal);
  assert.match(refused.error, /needs a cross-origin isolated page \(genlab serve --isolate\)/);
  await plain.page.close();
  const isolated = await startServer({ extra: ['--isolate'] });
  try {
    const opened = await openPage(browser, `${isolated.url}bench.html?steps=2&reps=1&${query}`);
    const r = await waitForBench(opened.page, opened.errors, { timeoutMs: TIMEOUT - 90_000 });
    assert.equal(r.error, undefined, `page error: ${r.error}`);
    assert.equal(r.crossOriginIsolated, true);
    assert.deepEqual(opened.errors, []);
    return r;
  } finally {
    isolated.stop();
  }
}

const positive = ({ stepsPerSec, samplesPerSec }) => Number.isFinite(stepsPerSec) && stepsPerSec > 0 && Number.isFinite(samplesPerSec) && samplesPerSec > 0;

test('TF.js on two threads needs a cross-origin isolated page, and runs in one', { timeout: TIMEOUT }, async () => {
  const r = await isolatedOnly('tfjsThreads=2', /^TF\.js on 2 threads/);
  const t = r.tfjsExplicitTranspose;
  assert.equal(t.backend, 'wasm');
  assert.equal(t.requestedThreads, 2);
  assert.ok(positive(t));
  assert.equal(r.tfjsTensorsLeft, 0);
});

test('GenLab on two threads needs a cross-origin isolated page, and runs the threaded core in a worker', { timeout: TIMEOUT }, async () => {
  const { genlab: g } = await isolatedOnly('threads=2', /^GenLab on 2 threads/);
  assert.equal(g.threads, 2);
  assert.ok(positive(g));
  assert.ok(g.finalLoss < g.firstLoss, `loss went ${g.firstLoss} → ${g.finalLoss}`);
});
