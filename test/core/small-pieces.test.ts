import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  insertNumberAt, insertObjectAt, moveNumberToEnd, moveObjectToEnd, removeNumberAt, removeObjectAt,
} from '../../src/core/array-moves.ts';
import { Limits } from '../../src/core/limits.ts';
import { isReply, isRequest, MessageCode, repliesTo, StoreStatus, type Message, type Reply, type Request } from '../../src/core/messages.ts';
import { randomBelow, shuffleInPlace } from '../../src/core/random.ts';
import { fcOptions, hexId, hexPeer, seeded } from './helpers.ts';

describe('array moves agree with Array.prototype.splice', () => {
  const arrays = fc.array(fc.integer(), { maxLength: 30 });
  it('insertAt / removeAt / moveToEnd, for numbers and objects', () => {
    fc.assert(
      fc.property(arrays, fc.nat(), fc.integer(), (numbers, rawIndex, item) => {
        const insertIndex = rawIndex % (numbers.length + 1);
        const a = numbers.slice();
        insertNumberAt(a, insertIndex, item);
        const b = numbers.slice();
        b.splice(insertIndex, 0, item);
        assert.deepEqual(a, b);
        const objects = numbers.map((value) => ({ value }));
        const o = objects.slice();
        const extra = { value: item };
        insertObjectAt(o, insertIndex, extra);
        const p = objects.slice();
        p.splice(insertIndex, 0, extra);
        assert.deepEqual(o, p);
        if (numbers.length === 0) return;
        const index = rawIndex % numbers.length;
        const c = numbers.slice();
        removeNumberAt(c, index);
        const d = numbers.slice();
        d.splice(index, 1);
        assert.deepEqual(c, d);
        const q = objects.slice();
        removeObjectAt(q, index);
        assert.deepEqual(q, objects.filter((_, i) => i !== index));
        const e = numbers.slice();
        moveNumberToEnd(e, index);
        assert.deepEqual(e, [...d, numbers[index]]);
        const r = objects.slice();
        moveObjectToEnd(r, index);
        assert.deepEqual(r, [...objects.filter((_, i) => i !== index), objects[index]]);
      }),
      fcOptions(0xa770, 300),
    );
  });
});

describe('random helpers', () => {
  it('randomBelow stays in [0, bound) and reaches both ends', () => {
    const random = seeded(3);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const value = randomBelow(random, 7);
      assert.ok(Number.isInteger(value) && value >= 0 && value < 7);
      seen.add(value);
    }
    assert.equal(seen.size, 7);
  });

  it('shuffleInPlace permutes the array in place, and is reproducible from the seed', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 50 }), fc.nat(), (items, seed) => {
        const copy = items.slice();
        const result = shuffleInPlace(seeded(seed), copy);
        assert.equal(result, copy);
        assert.deepEqual(copy.slice().sort((a, b) => a - b), items.slice().sort((a, b) => a - b));
        assert.deepEqual(shuffleInPlace(seeded(seed), items.slice()), copy);
      }),
      fcOptions(0x5bf1, 200),
    );
  });

  it('shuffleInPlace puts each item at each position about equally often (Fisher–Yates is uniform)', () => {
    const random = seeded(4);
    const counts = Array.from({ length: 4 }, () => new Array<number>(4).fill(0));
    for (let i = 0; i < 8000; i++) shuffleInPlace(random, [0, 1, 2, 3]).forEach((item, position) => counts[item][position]++);
    for (const row of counts) for (const count of row) assert.ok(count > 1700 && count < 2300, String(count));
  });
});

describe('messages (§2.3: PING, STORE, FIND_NODE, FIND_VALUE)', () => {
  const requests: Request[] = [
    { kind: 'ping', requestId: 1 },
    { kind: 'findNode', requestId: 2, target: hexId('1') },
    { kind: 'findValue', requestId: 3, key: hexId('2') },
    { kind: 'store', requestId: 4, key: hexId('3'), value: new Uint8Array(1), ttlMs: 5 },
  ];
  const replies: Reply[] = [
    { kind: 'pong', requestId: 1 },
    { kind: 'nodes', requestId: 2, closer: [hexPeer('4')] },
    { kind: 'value', requestId: 3, value: new Uint8Array(1), ttlMs: 5 },
    { kind: 'stored', requestId: 4, status: StoreStatus.ok },
  ];
  const leave: Message = { kind: 'leave' };

  it('isRequest and isReply classify every kind, and leave is neither', () => {
    for (const message of requests) assert.ok(isRequest(message) && !isReply(message), message.kind);
    for (const message of replies) assert.ok(isReply(message) && !isRequest(message), message.kind);
    assert.ok(!isRequest(leave) && !isReply(leave));
  });

  it('repliesTo: PING←pong, FIND_NODE←nodes, FIND_VALUE←value or nodes, STORE←stored, nothing else', () => {
    const allowed: Record<Request['kind'], Reply['kind'][]> = {
      ping: ['pong'],
      findNode: ['nodes'],
      findValue: ['nodes', 'value'],
      store: ['stored'],
    };
    for (const request of requests) {
      for (const reply of replies) {
        assert.equal(repliesTo(request.kind, reply), allowed[request.kind].includes(reply.kind), `${request.kind} ← ${reply.kind}`);
      }
    }
  });

  it('message codes are distinct bytes, store statuses distinct with ok = 0', () => {
    const codes = Object.values(MessageCode);
    assert.equal(new Set(codes).size, codes.length);
    assert.ok(codes.every((code) => code > 0 && code < 256));
    const statuses = Object.values(StoreStatus);
    assert.equal(new Set(statuses).size, statuses.length);
    assert.equal(StoreStatus.ok, 0);
  });
});

describe('limits', () => {
  it('a reply can carry a full bucket, and a full nodes reply fits in one message', () => {
    assert.ok(Limits.contactsPerReplyMax >= Limits.bucketSizeMax);
    // A contact is at most 32 id bytes + the address (+ a few bytes of framing).
    assert.ok(Limits.contactsPerReplyMax * (32 + Limits.addressBytesMax + 4) <= Limits.messageBytesMax);
    assert.ok(Limits.valueBytesMax < Limits.messageBytesMax);
    assert.ok(Limits.lookupCandidatesMax >= 2 * Limits.bucketSizeMax);
  });
});
