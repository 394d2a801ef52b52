/** The CLI run in this process against devnet nodes, and polling for a condition: what the devnet tests share. */
import assert from 'node:assert/strict';
import { main, type CliIo } from '../../src/cli/main.ts';

export async function peergrid(argv: readonly string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (text) => (out += text), err: (text) => (err += text), env: {} };
  const status = await main(argv, io);
  return { status, out, err };
}

/** Runs a command that must succeed with --json, and returns its JSON. */
export async function peergridJson(argv: readonly string[]): Promise<Record<string, unknown>> {
  const run = await peergrid(argv);
  assert.equal(run.status, 0, `${argv.join(' ')}: ${run.err}`);
  return JSON.parse(run.out) as Record<string, unknown>;
}

/**
 * Polls an async condition until it holds, or fails after `timeoutMs` — with what `explain` then
 * finds, so that a failure on a CI machine can be understood from its output alone.
 */
export async function eventually(what: string, condition: () => Promise<boolean>, timeoutMs: number, explain?: () => Promise<string>): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) {
      const found = explain === undefined ? '' : `\n${await explain().catch((error: unknown) => `(explaining failed: ${String(error)})`)}`;
      assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}${found}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
