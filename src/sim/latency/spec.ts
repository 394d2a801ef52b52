import { accessSync, constants, statSync } from 'node:fs';
import { geoLatencyModel } from './geo.ts';
import { loadRttMatrixFile, matrixLatencyModel } from './matrix.ts';
import type { LatencyModel } from './model.ts';
import { planetLabLatencyModel } from './planetlab.ts';

const ACCEPTED_FORMS =
  "'geo' (synthetic geographic model), 'planetlab' (the measured 490-host matrix in data/), " +
  'or the path of a readable RTT matrix file (N lines of N round-trip times in ms)';

/**
 * Turns a latency option such as `--latency geo` into a model: `geo`, `planetlab`, or the path of a
 * matrix file in the format parseRttMatrix accepts. A matrix file's format errors are thrown as they are
 * (MatrixFormatError, with the path and line).
 */
export function parseLatencySpec(text: string): LatencyModel {
  const spec = text.trim();
  if (spec === 'geo') return geoLatencyModel();
  if (spec === 'planetlab') return planetLabLatencyModel();
  if (spec !== '' && isReadableFile(spec)) {
    return matrixLatencyModel(loadRttMatrixFile(spec).matrix, { name: `matrix:${spec}` });
  }
  throw new Error(`unknown latency model '${text}': expected ${ACCEPTED_FORMS}`);
}

function isReadableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
