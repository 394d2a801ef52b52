import { fileURLToPath } from 'node:url';
import { loadRttMatrixFile, matrixLatencyModel } from './matrix.ts';
import type { ParsedRttMatrix } from './matrix.ts';
import type { LatencyModel } from './model.ts';

/**
 * The measured PlanetLab matrix shipped in data/ (490 hosts; see data/README.md for its source, licence
 * and cleaning figures). The path is resolved from this module, not the working directory, so the model
 * loads the same file whichever directory the simulator is started from.
 */
export const PLANETLAB_MATRIX_URL = new URL('../../../data/planetlab490_rtt_ms.txt', import.meta.url);

let cachedPlanetLab: ParsedRttMatrix | undefined;

/** The cleaned PlanetLab matrix and its cleaning report, parsed on first use and cached for the process. */
export function loadPlanetLabMatrix(): ParsedRttMatrix {
  cachedPlanetLab ??= loadRttMatrixFile(fileURLToPath(PLANETLAB_MATRIX_URL));
  return cachedPlanetLab;
}

/** Latency between nodes mapped onto the 490 PlanetLab hosts, plus each node's access delay. */
export function planetLabLatencyModel(options: { readonly accessMsMean?: number } = {}): LatencyModel {
  return matrixLatencyModel(loadPlanetLabMatrix().matrix, { name: 'planetlab', accessMsMean: options.accessMsMean });
}
