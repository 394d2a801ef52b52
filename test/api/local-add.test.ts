/**
 * The API's side of a local add (POST /api/v1/local-adds): the proof that the caller can read
 * the node's api-token (binding every field and the time), and the refusal of a connection that
 * does not come from the node's own machine. What the node then checks of the path, and the add
 * itself, are tested against running nodes in test/cli/storage-commands.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/api/errors.ts';
import { nodeHandlers } from '../../src/api/handlers.ts';
import { LOCAL_ADD_PROOF_WINDOW_MS, localAddProof, localAddProofProblem } from '../../src/api/local-add-proof.ts';
import { FakeNode } from './fake-node.ts';

const TOKEN = 'a'.repeat(64);
const NOW_MS = 1_800_000_000_000;
const REQUEST = { path: '/home/ada/photos', identity: 'directory:66306:1234:4096:1700000000000000000', encrypt: true, name: 'photos', atMs: NOW_MS };

describe('local add proof', () => {
  it('holds for the request it was made for, within the window either way of the node\'s clock', () => {
    const proof = localAddProof(TOKEN, REQUEST);
    assert.match(proof, /^[0-9a-f]{64}$/);
    for (const skewMs of [0, LOCAL_ADD_PROOF_WINDOW_MS, -LOCAL_ADD_PROOF_WINDOW_MS]) {
      assert.equal(localAddProofProblem(TOKEN, { ...REQUEST, proof }, NOW_MS + skewMs), null, `skew ${skewMs}`);
    }
    assert.match(localAddProofProblem(TOKEN, { ...REQUEST, proof }, NOW_MS + LOCAL_ADD_PROOF_WINDOW_MS + 1) ?? '', /more than 5 minutes from the node's clock/);
    assert.match(localAddProofProblem(TOKEN, { ...REQUEST, proof }, NOW_MS - LOCAL_ADD_PROOF_WINDOW_MS - 1) ?? '', /more than 5 minutes/);
  });

  it('fails under another token, and for any other field', () => {
    const proof = localAddProof(TOKEN, REQUEST);
    assert.match(localAddProofProblem('b'.repeat(64), { ...REQUEST, proof }, NOW_MS) ?? '', /not made with this node's api-token/);
    const others = [{ path: '/home/ada/photo' }, { identity: REQUEST.identity.replace(/0$/, '1') }, { encrypt: false }, { name: 'other' }, { name: undefined }, { atMs: NOW_MS + 1 }];
    for (const change of others) {
      assert.match(localAddProofProblem(TOKEN, { ...REQUEST, ...change, proof }, NOW_MS) ?? '', /not made with this node's api-token/, JSON.stringify(change));
    }
    // encrypt left out is encrypt true: the node's default.
    assert.equal(localAddProof(TOKEN, { ...REQUEST, encrypt: undefined }), proof);
  });
});

describe('local add route', () => {
  it('refuses a connection that does not come from loopback before it reads anything (409 local_path_refused)', async () => {
    const handlers = nodeHandlers(new FakeNode());
    for (const caller of [{ loopback: false }, undefined]) {
      await assert.rejects(handlers.addLocalPath({ params: {}, body: { ...REQUEST, proof: localAddProof(TOKEN, REQUEST) }, caller }), (error: unknown) => {
        assert.ok(error instanceof ApiError);
        assert.deepEqual([error.status, error.code], [409, 'local_path_refused']);
        assert.match(error.message, /only over a connection from the node's own machine/);
        return true;
      });
    }
  });
});
