import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import * as DagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import { cidOf, Codec } from '../../../../src/services/storage/dag/cids.ts';
import { DagError } from '../../../../src/services/storage/dag/dag-error.ts';
import { directoryBlock, isDirectoryBlock, readDirectory } from '../../../../src/services/storage/dag/directory-node.ts';
import { entryNameProblem } from '../../../../src/services/storage/dag/entry-name.ts';

const sha256 = (bytes: Uint8Array): Uint8Array => createHash('sha256').update(bytes).digest();
const leaf = (text: string) => cidOf(Codec.raw, new TextEncoder().encode(text), sha256);

/** A directory block built by hand, as a hostile peer would, bypassing directoryBlock's checks. */
function rawDirectory(unsorted: string[]) {
  // dag-pb's encoder insists on links sorted by name bytes (a decoder takes them as they come).
  const names = [...unsorted].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const bytes = DagPb.encode({ Data: new UnixFS({ type: 'directory' }).marshal(), Links: names.map((name) => ({ Hash: leaf(name), Name: name, Tsize: 1 })) });
  return { cid: cidOf(Codec.dagPb, bytes, sha256), bytes };
}

describe('directory nodes', () => {
  it('round-trip their entries, sorted by name, with their links listed for pinning', () => {
    const entries = [
      { name: 'zeta.txt', cid: leaf('z'), dagBytes: 1 },
      { name: 'alpha', cid: leaf('a'), dagBytes: 7 },
      { name: 'é', cid: leaf('e'), dagBytes: 3 },
    ];
    const block = directoryBlock(entries, sha256);
    assert.equal(block.cid.code, Codec.dagPb);
    assert.ok(isDirectoryBlock(block.cid, block.bytes));
    const read = readDirectory(block.cid, block.bytes);
    assert.deepEqual(read.map((entry) => entry.name), ['alpha', 'zeta.txt', 'é']);
    assert.deepEqual(read.map((entry) => entry.dagBytes), [7, 1, 3]);
    assert.equal(block.links.length, 3);
    assert.equal(directoryBlock([...entries].reverse(), sha256).cid.toString(), block.cid.toString(), 'the same entries give the same CID in any order');
  });

  it('a raw leaf or a file node is not a directory; garbage is an error', () => {
    assert.equal(isDirectoryBlock(leaf('x'), new Uint8Array([1])), false);
    assert.throws(() => isDirectoryBlock(cidOf(Codec.dagPb, new Uint8Array([0xff, 0xff]), sha256), new Uint8Array([0xff, 0xff])), DagError);
  });

  for (const name of ['..', '.', '', '../x', '/etc/passwd', 'a/b', 'a\\b', 'C:evil', 'nul\0byte', 'x'.repeat(256)]) {
    it(`refuses the entry name ${JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}…(${name.length})` : name)}, written or read`, () => {
      assert.notEqual(entryNameProblem(name), null);
      assert.throws(() => directoryBlock([{ name, cid: leaf('x'), dagBytes: 1 }], sha256), DagError);
      const hostile = rawDirectory(['fine', name]);
      assert.throws(() => readDirectory(hostile.cid, hostile.bytes), DagError);
    });
  }

  it('refuses duplicate names, written or read', () => {
    assert.throws(() => directoryBlock([{ name: 'a', cid: leaf('1'), dagBytes: 1 }, { name: 'a', cid: leaf('2'), dagBytes: 1 }], sha256), /two entries/);
    const hostile = rawDirectory(['a', 'a']);
    assert.throws(() => readDirectory(hostile.cid, hostile.bytes), /two entries/);
  });

  it('ordinary names pass: spaces, dots inside, unicode, 255 bytes', () => {
    for (const name of ['a b', '.hidden', 'x..y', '日本語', 'x'.repeat(255)]) assert.equal(entryNameProblem(name), null, name);
  });
});
