/**
 * The tree stream's framing (api/tree-stream.ts): records and file bytes come back as they were
 * written, however the stream is cut into pieces; a malformed, oversized or truncated stream is a
 * TreeStreamError, never a hang or a misread file.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TREE_DEPTH_MAX, TREE_HEADER_BYTES_MAX, treeHeader, TreeStreamError, TreeStreamReader, type TreeRecord } from '../../src/api/tree-stream.ts';

const text = new TextEncoder();

function join(parts: readonly Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((part) => [...part]));
}

/** The stream cut into pieces of `size` bytes (1 cuts every header and file apart). */
async function* piecesOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.slice(at, at + size);
}

/** Every record, with each file's bytes as text. */
async function readAll(source: AsyncIterable<Uint8Array>): Promise<{ records: (TreeRecord & { text?: string })[]; totals: unknown }> {
  const reader = new TreeStreamReader(source);
  const records: (TreeRecord & { text?: string })[] = [];
  for (let record = await reader.next(); record !== null; record = await reader.next()) {
    if (record.kind === 'directory') {
      records.push(record);
      continue;
    }
    const pieces: Uint8Array[] = [];
    for await (const piece of reader.fileBytes()) pieces.push(piece.slice());
    records.push({ ...record, text: new TextDecoder().decode(join(pieces)) });
  }
  return { records, totals: reader.totals };
}

const TREE = join([
  treeHeader({ kind: 'directory', path: ['docs'] }),
  treeHeader({ kind: 'file', path: ['docs', 'a note.txt'], bytes: 12 }),
  text.encode('hello, grid\n'),
  treeHeader({ kind: 'file', path: ['empty'], bytes: 0 }),
  treeHeader({ kind: 'file', path: ['x\ny'], bytes: 3 }),
  text.encode('{}\n'),
  treeHeader({ kind: 'end', files: 3, directories: 1 }),
]);

describe('the tree stream', () => {
  for (const size of [1, 7, 64, TREE.length]) {
    it(`reads every record and file, in pieces of ${size} bytes`, async () => {
      const { records, totals } = await readAll(piecesOf(TREE, size));
      assert.deepEqual(records, [
        { kind: 'directory', path: ['docs'] },
        { kind: 'file', path: ['docs', 'a note.txt'], bytes: 12, text: 'hello, grid\n' },
        { kind: 'file', path: ['empty'], bytes: 0, text: '' },
        // A newline in a name is escaped in its JSON header; a file's bytes may hold anything.
        { kind: 'file', path: ['x\ny'], bytes: 3, text: '{}\n' },
      ]);
      assert.deepEqual(totals, { files: 3, directories: 1 });
    });
  }

  it('refuses a stream without its end record, wherever it stops', async () => {
    const withoutEnd = TREE.subarray(0, TREE.length - treeHeader({ kind: 'end', files: 3, directories: 1 }).length);
    await assert.rejects(readAll(piecesOf(withoutEnd, 5)), (error) => error instanceof TreeStreamError && /before its end record/.test(error.message));
    for (const cut of [3, 30, 50]) {
      await assert.rejects(readAll(piecesOf(TREE.subarray(0, cut), 4)), TreeStreamError, `cut at ${cut}`);
    }
  });

  it('refuses a file cut short', async () => {
    const short = join([treeHeader({ kind: 'file', path: ['f'], bytes: 10 }), text.encode('12345')]);
    await assert.rejects(readAll(piecesOf(short, 3)), /5 bytes before the end of a file/);
  });

  it('refuses headers that are not records', async () => {
    const bad = [
      'not json\n',
      '[1,2]\n',
      '{"kind":"link","path":["a"]}\n',
      '{"kind":"file","path":["a"]}\n',
      '{"kind":"file","path":["a"],"bytes":-1}\n',
      '{"kind":"file","path":["a"],"bytes":1.5}\n',
      '{"kind":"directory","path":[]}\n',
      '{"kind":"directory","path":"a"}\n',
      '{"kind":"directory","path":["a",7]}\n',
      `${JSON.stringify({ kind: 'directory', path: Array.from({ length: TREE_DEPTH_MAX + 1 }, () => 'd') })}\n`,
      '{"kind":"end","files":1}\n',
    ];
    for (const header of bad) {
      await assert.rejects(readAll(piecesOf(text.encode(header), 4)), TreeStreamError, header.slice(0, 60));
    }
    const invalidUtf8 = Uint8Array.from([0x7b, 0xff, 0x7d, 0x0a]);
    await assert.rejects(readAll(piecesOf(invalidUtf8, 2)), TreeStreamError);
  });

  it('refuses a header longer than its limit without reading on for ever', async () => {
    let given = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        given += 4096;
        yield new Uint8Array(4096).fill(0x41);
      }
    }
    await assert.rejects(readAll(endless()), /a record header of more than/);
    assert.ok(given <= TREE_HEADER_BYTES_MAX + 8192, `read ${given} bytes`);
  });

  it('asks for a file to be read through before the next record', async () => {
    const reader = new TreeStreamReader(piecesOf(TREE, 16));
    assert.deepEqual(await reader.next(), { kind: 'directory', path: ['docs'] });
    assert.equal((await reader.next())?.kind, 'file');
    await assert.rejects(reader.next(), /not read to its end/);
  });
});
