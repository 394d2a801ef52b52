/**
 * Writing a new file without ever replacing anything (runtime/content/new-file.ts): the bytes land
 * under the name only when complete, an existing name is left alone, and a failed write leaves no
 * partial file behind.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExistingPathError, writeNewFile } from '../../../src/runtime/content/new-file.ts';

async function* pieces(...parts: (string | Error)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    if (part instanceof Error) throw part;
    yield new TextEncoder().encode(part);
  }
}

describe('writeNewFile', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peergrid-new-file-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes every piece in order, tells each size, returns the total', async () => {
    const sizes: number[] = [];
    const path = join(dir, 'a.txt');
    assert.equal(await writeNewFile(path, pieces('hello, ', '', 'grid\n'), (bytes) => sizes.push(bytes)), 12);
    assert.equal(await readFile(path, 'utf8'), 'hello, grid\n');
    assert.deepEqual(sizes, [7, 0, 5]);
  });

  it('writes a file whose name takes all 255 bytes a name may have, and leaves no partial file', async () => {
    // A stored entry name may be 255 bytes (DagLimits.nameBytesMax); its partial name must still fit.
    const sub = join(dir, 'long-names');
    await mkdir(sub);
    const names = ['x'.repeat(255), '😀'.repeat(63) + 'abc', '€'.repeat(85)];
    for (const name of names) {
      assert.equal(Buffer.byteLength(name), 255);
      assert.equal(await writeNewFile(join(sub, name), pieces(name)), 255);
      assert.equal(await readFile(join(sub, name), 'utf8'), name);
    }
    assert.deepEqual((await readdir(sub)).sort(), names.slice().sort());
  });

  it('never replaces an existing file, and leaves no partial file', async () => {
    const path = join(dir, 'b.txt');
    await writeFile(path, 'mine');
    await assert.rejects(writeNewFile(path, pieces('theirs')), ExistingPathError);
    assert.equal(await readFile(path, 'utf8'), 'mine');
    assert.deepEqual((await readdir(dir)).filter((name) => name.startsWith('.b.txt')), []);
  });

  it('a source that fails leaves neither the file nor a partial one', async () => {
    const path = join(dir, 'c.txt');
    await assert.rejects(writeNewFile(path, pieces('some', new Error('cut off'))), /cut off/);
    assert.deepEqual((await readdir(dir)).filter((name) => name.includes('c.txt')), []);
  });

  it('when the file cannot be created, the source is let go unread', async () => {
    let returned = false;
    let read = false;
    const source: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          read = true;
          return { done: true, value: undefined };
        },
        return: async () => {
          returned = true;
          return { done: true, value: undefined };
        },
      }),
    };
    await assert.rejects(writeNewFile(join(dir, 'no such directory', 'd.txt'), source), { code: 'ENOENT' });
    assert.equal(returned, true);
    assert.equal(read, false);
  });
});
