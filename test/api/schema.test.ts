/** The schema helpers: what they accept, what they refuse, and how they say so. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  array, boolean, integer, nullable, number, object, oneOf, optional, record, string, type Checked,
} from '../../src/api/schema.ts';

function error<T>(checked: Checked<T>): string {
  assert.equal(checked.ok, false, 'expected a refusal');
  return (checked as { error: string }).error;
}

function value<T>(checked: Checked<T>): T {
  assert.ok(checked.ok, checked.ok ? '' : checked.error);
  return checked.value;
}

describe('schemas', () => {
  it('check strings by length in UTF-8 bytes and by pattern', () => {
    const short = string({ minLength: 1, maxBytes: 4 });
    assert.equal(value(short.check('abcd', 'key')), 'abcd');
    assert.match(error(short.check('', 'key')), /^key: must be a string of 1 to 4 bytes, got ""$/);
    assert.match(error(short.check('ééé', 'key')), /^key: must be a string of 1 to 4 bytes, got 6 bytes$/);
    assert.match(error(short.check(5, 'key')), /got 5$/);
    const hex = string({ pattern: /^[0-9a-f]+$/, description: 'hex digits' });
    assert.match(error(hex.check('xyz', 'id')), /^id: must be hex digits, got "xyz"$/);
  });

  it('check integers, numbers, booleans and choices', () => {
    const ttl = integer({ min: 1, max: 10 });
    assert.equal(value(ttl.check(10, 'ttlMs')), 10);
    for (const bad of [0, 11, 1.5, '5', Number.NaN, null]) assert.match(error(ttl.check(bad, 'ttlMs')), /^ttlMs: must be an integer from 1 to 10/);
    assert.match(error(integer({ min: 0 }).check(-1, 'n')), /an integer >= 0/);
    assert.match(error(number({ min: 0 }).check(Infinity, 'x')), /a number >= 0/);
    assert.equal(value(boolean().check(false, 'b')), false);
    assert.match(error(boolean().check('true', 'b')), /true or false/);
    const encoding = oneOf('utf8', 'base64');
    assert.equal(value(encoding.check('base64', 'e')), 'base64');
    assert.match(error(encoding.check('hex', 'e')), /^e: must be one of "utf8", "base64", got "hex"$/);
  });

  it('check nullable values, arrays with a bound, and records', () => {
    assert.equal(value(nullable(string()).check(null, 'v')), null);
    const list = array(integer({ min: 0 }), { maxItems: 2 });
    assert.deepEqual(value(list.check([1, 2], 'xs')), [1, 2]);
    assert.match(error(list.check([1, 2, 3], 'xs')), /at most 2/);
    assert.match(error(list.check([1, -1], 'xs')), /^xs\[1\]: must be an integer >= 0/);
    const counters = record(number({ min: 0 }));
    assert.deepEqual(value(counters.check({ a: 1, b: 2.5 }, 'stats')), { a: 1, b: 2.5 });
    assert.match(error(counters.check({ a: -1 }, 'stats')), /^stats\.a:/);
    // A field named __proto__ (JSON.parse makes it an own property) stays data.
    const parsed = value(counters.check(JSON.parse('{"__proto__": 1}'), 'stats'));
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
    assert.deepEqual(Object.keys(parsed), ['__proto__']);
  });

  it('check objects: required and optional fields, unknown fields refused or ignored', () => {
    const fields = { value: string(), ttlMs: optional(integer({ min: 1, max: 100 })) };
    const strict = object(fields, { unknownFields: 'reject' });
    assert.deepEqual(value(strict.check({ value: 'x' }, 'body')), { value: 'x' });
    assert.deepEqual(value(strict.check({ value: 'x', ttlMs: 5 }, 'body')), { value: 'x', ttlMs: 5 });
    assert.match(error(strict.check({}, 'body')), /^body\.value: must be a string, got nothing$/);
    assert.match(error(strict.check({ value: 'x', tll: 5 }, 'body')), /^body: unknown field 'tll' \(fields: value, ttlMs\)$/);
    // Thousands of unknown names, or a long one, get a short answer: five names, each cut at 64 characters.
    const many = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`f${i}`, 1]));
    assert.match(error(strict.check(many, 'body')), /^body: unknown fields 'f0', 'f1', 'f2', 'f3', 'f4' and 4995 more \(fields: value, ttlMs\)$/);
    assert.match(error(strict.check({ value: 'x', ['n'.repeat(10_000)]: 1 }, 'body')), new RegExp(`^body: unknown field '${'n'.repeat(64)}…' \\(`));
    assert.match(error(strict.check([], 'body')), /^body: must be an object with value, ttlMs, got an array$/);
    assert.match(error(strict.check(null, 'body')), /got null$/);
    const lenient = object(fields, { unknownFields: 'ignore' });
    assert.deepEqual(value(lenient.check({ value: 'x', newer: true }, 'response')), { value: 'x' });
    // At the top level, field paths are bare names.
    assert.match(error(strict.check({ value: 1 }, '')), /^value: must be a string/);
  });

  it('cut long values in messages', () => {
    assert.match(error(integer({ min: 0, max: 1 }).check('x'.repeat(100), 'n')), /got "x{36}…$/);
  });
});
