/**
 * `<cid|capability>/path/in/it` (cli/content/ref-paths.ts): the reference is checked and trimmed,
 * the path's names are kept exactly as given — a space belongs to an entry's name.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/cli/args.ts';
import { parseRefPath } from '../../src/cli/content/ref-paths.ts';

const CID = 'bafkreibbs56hhhqatfxsxpcwssrsmukqunviht7oreozsijouj7n3tz2jm';

describe('parseRefPath', () => {
  it('splits the reference from the names, dropping empty ones', () => {
    assert.deepEqual(parseRefPath(`${CID}/docs//readme.md/`), { ref: CID, names: ['docs', 'readme.md'] });
    assert.deepEqual(parseRefPath(CID), { ref: CID, names: [] });
  });

  it('trims the reference but not the names: an entry named " " or "notes " is that entry', () => {
    assert.deepEqual(parseRefPath(` ${CID} `), { ref: CID, names: [] });
    assert.deepEqual(parseRefPath(`${CID}/ `), { ref: CID, names: [' '] });
    assert.deepEqual(parseRefPath(`${CID}/sub/notes `), { ref: CID, names: ['sub', 'notes '] });
    assert.deepEqual(parseRefPath(`${CID}/ lead/trail `), { ref: CID, names: [' lead', 'trail '] });
  });

  it('refuses a name no entry can have, as a usage error', () => {
    assert.throws(() => parseRefPath(`${CID}/a/../b`), UsageError);
    assert.throws(() => parseRefPath(`not-a-cid/a`), UsageError);
  });
});
