/**
 * Golden cut points. The cut points are part of the storage format — chunks stored by one version
 * must deduplicate against chunks cut by the next — so any change to them (gear table, masks, the
 * algorithm, the default configuration) shows up here as a diff to read. When the change is
 * intended, regenerate with `UPDATE_GOLDEN=1 npm test` and commit golden-cut-points.json.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ChunkingConfig, chunkingConfig, DEFAULT_CHUNKING_CONFIG } from '../../../../src/services/storage/chunking/chunking-config.ts';
import { chunkEnds } from '../../../../src/services/storage/chunking/fastcdc.ts';
import { rollToCut } from '../../../../src/services/storage/chunking/gear-roll.ts';
import { lowEntropyBytes, randomBytes, textBytes } from './sample-data.ts';

const fixturePath = fileURLToPath(new URL('./golden-cut-points.json', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';

const generators = { random: randomBytes, lowEntropy: lowEntropyBytes, text: textBytes } as const;

interface GoldenCase {
  readonly input: { readonly kind: keyof typeof generators; readonly seed: number; readonly length: number };
  readonly config: ChunkingConfig;
  readonly ends?: readonly number[];
}

const cases: GoldenCase[] = [
  { input: { kind: 'random', seed: 1, length: 4 << 20 }, config: DEFAULT_CHUNKING_CONFIG },
  { input: { kind: 'random', seed: 2, length: 1 << 20 }, config: chunkingConfig({ averageBytes: 16 << 10 }) },
  { input: { kind: 'text', seed: 3, length: 1 << 20 }, config: chunkingConfig({ averageBytes: 16 << 10 }) },
  { input: { kind: 'random', seed: 4, length: 32 << 10 }, config: chunkingConfig({ averageBytes: 256, normalizationLevel: 0 }) },
  { input: { kind: 'random', seed: 4, length: 32 << 10 }, config: chunkingConfig({ averageBytes: 256, normalizationLevel: 3 }) },
  { input: { kind: 'text', seed: 5, length: 32 << 10 }, config: chunkingConfig({ averageBytes: 512, minBytes: 64, maxBytes: 1000 }) },
  { input: { kind: 'lowEntropy', seed: 6, length: 32 << 10 }, config: chunkingConfig({ averageBytes: 256, minBytes: 100, maxBytes: 700, normalizationLevel: 1 }) },
];

/** JSON with each case's ends on one line, so that a change reads as a short diff. */
function format(all: readonly GoldenCase[]): string {
  const lines = all.map((entry) => `  ${JSON.stringify(entry)}`);
  return `[\n${lines.join(',\n')}\n]\n`;
}

test('the cut points of fixed inputs are those checked in (golden-cut-points.json)', () => {
  const actual = cases.map((entry) => {
    const data = generators[entry.input.kind](entry.input.seed, entry.input.length);
    const ends = chunkEnds(data, entry.config);
    assert.deepEqual(chunkEnds(data, entry.config, rollToCut), ends, 'the JavaScript loop agrees');
    return { ...entry, config: { ...entry.config }, ends };
  });
  const text = format(actual);
  if (update || !existsSync(fixturePath)) writeFileSync(fixturePath, text);
  assert.equal(text, readFileSync(fixturePath, 'utf8'), 'the cut points changed; if intended, run UPDATE_GOLDEN=1 npm test');
});
