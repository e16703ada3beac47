// Property tests of the link codec (www/js/state.js), run in Node with fast-check: any config
// survives encode → decode unchanged, and any hash at all decodes or fails with a readable
// Error, never a crash and never a change to Object.prototype.
import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeHash, encodeHash } from '../../www/js/state.js';

const key = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,8}$/);
const number = fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (x === 0 ? 0 : x)); // JSON has no −0
const leaf = fc.oneof(number, fc.integer(), fc.boolean(), fc.string({ maxLength: 12 }), fc.array(fc.tuple(number, number), { maxLength: 4 }));
/** Config-like objects: nested objects of numbers, strings, booleans and point lists (no empty objects). */
const config = fc.letrec((tie) => ({
  node: fc.dictionary(key, fc.oneof({ depthSize: 'small' }, leaf, tie('node')), { minKeys: 1, maxKeys: 5, noNullPrototype: true }),
})).node.filter((c) => !('v' in c) && !('version' in c));

test('every config survives encode → decode unchanged', () => {
  fc.assert(fc.property(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), config, (lab, c) => {
    const decoded = decodeHash(encodeHash(lab, { version: 1, ...c }));
    assert.equal(decoded.lab, lab);
    assert.deepEqual(decoded.config, { version: 1, ...c });
  }), { numRuns: 500 });
});

test('strings that read as JSON stay strings', () => {
  for (const s of ['1', 'true', 'null', '[1,2]', '{"a":1}', '"q"', '']) {
    assert.deepEqual(decodeHash(encodeHash('si', { name: s })).config.name, s);
  }
});

test('any hash decodes or fails with a readable Error, and never touches Object.prototype', () => {
  const hashes = fc.oneof(
    fc.string(),
    fc.tuple(fc.string({ maxLength: 10 }), fc.array(fc.tuple(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 })))).map(([lab, pairs]) => `#${lab}?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`),
    fc.array(fc.constantFrom('__proto__', 'constructor', 'prototype', 'polluted', 'x', 'toString'), { minLength: 1, maxLength: 4 }).map((path) => `#si?${path.join('.')}=1`),
  );
  fc.assert(fc.property(hashes, (hash) => {
    try {
      const { lab, config } = decodeHash(hash);
      assert.ok(lab === null || typeof lab === 'string');
      assert.ok(config === null || typeof config === 'object');
    } catch (err) {
      assert.ok(err instanceof Error && !(err instanceof TypeError), `${hash} threw ${err}`);
      assert.ok(err.message.length > 0);
    }
    assert.equal({}.polluted, undefined);
    assert.equal(typeof {}.toString, 'function');
  }), { numRuns: 2000 });
});

test('drawn points go compressed, and a damaged compressed value names its field', () => {
  let seed = 7;
  const random = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
  const points = Array.from({ length: 300 }, () => [Math.round((random() * 8 - 4) * 1000) / 1000, Math.round((random() * 8 - 4) * 1000) / 1000]);
  const hash = encodeHash('data', { version: 1, dataset: { name: 'points', points }, n: 2000, seed: 0 });
  const plain = new URLSearchParams({ 'dataset.points': JSON.stringify(points) }).toString();
  assert.match(hash, /dataset\.points=\*[A-Za-z0-9_-]+&/);
  assert.ok(hash.length < plain.length / 2, `${hash.length} characters against ${plain.length} uncompressed`);
  assert.deepEqual(decodeHash(hash).config.dataset.points, points);
  const cut = hash.replace(/(dataset\.points=\*[A-Za-z0-9_-]{20})[A-Za-z0-9_-]+/, '$1');
  assert.throws(() => decodeHash(cut), /^Error: dataset\.points: its compressed value is damaged/);
  assert.equal(decodeHash(encodeHash('si', { name: '*star' })).config.name, '*star', 'a string starting with * stays a string');
});

test('a link past a limit is refused before the work, naming the limit', async () => {
  const { deflateSync, strToU8 } = await import('../../www/vendor/fflate.js');
  const { LINK_LIMITS } = await import('../../www/js/state.js');
  const star = (text) => `*${Buffer.from(deflateSync(strToU8(text), { level: 9 })).toString('base64url')}`;
  // a size bomb: 8 MB of JSON in a link of a few kB
  const bomb = `[${'0,'.repeat(4 * 1024 * 1024)}0]`;
  const started = performance.now();
  assert.throws(() => decodeHash(`#data?v=1&dataset.points=${star(bomb)}`), (err) => {
    assert.match(err.message, /^dataset\.points: its compressed value inflates past 1,048,576 bytes/);
    return true;
  });
  assert.ok(performance.now() - started < 2000, 'refused without inflating it all');
  // a drawn list of 10,000 points still opens
  const points = Array.from({ length: 10_000 }, (_, i) => [Math.sin(i) * 3.123456, Math.cos(i) * 2.654321]);
  const link = encodeHash('data', { version: 1, dataset: { name: 'points', points } });
  assert.ok(link.length < LINK_LIMITS.length, `${link.length}`);
  assert.deepEqual(decodeHash(link).config.dataset.points, points);
  // nesting, plain and deflated
  const deep = `${'['.repeat(40)}1${']'.repeat(40)}`;
  assert.throws(() => decodeHash(`#si?x=${deep}`), /x: its value nests deeper than 16 levels/);
  assert.throws(() => decodeHash(`#si?x=${star(deep)}`), /x: its value nests deeper than 16 levels/);
  // far deeper than the stack would take if the check recursed all the way down
  const abyss = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
  assert.throws(() => decodeHash(`#si?x=${abyss}`), /x: its value nests deeper than 16 levels/);
  // length
  assert.throws(() => decodeHash(`#si?x=${'a'.repeat(LINK_LIMITS.length)}`), /a link may hold at most 524,288/);
});

test('seeded fuzz: compressed bombs, deep values and prototype keys decode or fail fast, readably', async () => {
  const { deflateSync, strToU8 } = await import('../../www/vendor/fflate.js');
  const star = (text) => `*${Buffer.from(deflateSync(strToU8(text), { level: 6 })).toString('base64url')}`;
  const prototypeJson = [
    '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}',
    '[{"__proto__":{"polluted":1}}]', '{"a":{"__proto__":{"toString":1}}}',
  ];
  const text = fc.oneof(
    // around the 1 MiB inflate cap: below it opens, above it is refused before it is all inflated
    fc.integer({ min: 1, max: 1_500_000 }).map((n) => `[${'0,'.repeat(n)}0]`),
    fc.integer({ min: 1, max: 400 }).map((d) => `${'['.repeat(d)}1${']'.repeat(d)}`),
    fc.integer({ min: 1, max: 400 }).map((d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`),
    fc.constantFrom(...prototypeJson),
    fc.json({ maxDepth: 4 }),
    fc.string({ maxLength: 40 }),
  );
  const value = fc.tuple(text, fc.boolean()).map(([t, deflated]) => (deflated ? star(t) : encodeURIComponent(t)));
  const labs = fc.constantFrom('si', 'data', 'halluc', 'qlae', '__proto__', 'constructor', 'toString');
  const keys = fc.constantFrom('x', 'dataset.points', 'model.width', '__proto__', 'constructor.prototype', '__proto__.polluted', 'view.layers');
  let [opened, refused] = [0, 0];
  fc.assert(fc.property(labs, keys, value, (lab, key, v) => {
    const started = performance.now();
    try {
      const { config } = decodeHash(`#${lab}?v=1&${key}=${v}`);
      assert.ok(config === null || typeof config === 'object');
      opened += 1;
    } catch (err) {
      assert.ok(err instanceof Error && !(err instanceof TypeError) && !/call stack/.test(err.message), `${lab} ${key}: ${err}`);
      assert.ok(err.message.length > 0);
      refused += 1;
    }
    assert.ok(performance.now() - started < 1500, `${lab} ${key}: decoding took ${Math.round(performance.now() - started)} ms`);
    assert.equal({}.polluted, undefined);
    assert.equal(typeof {}.toString, 'function');
  }), { numRuns: 300, seed: 2026 });
  assert.ok(opened > 30 && refused > 30, `${opened} opened, ${refused} refused: both paths are exercised`);
});
