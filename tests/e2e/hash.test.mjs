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
