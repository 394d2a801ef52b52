/**
 * Emulated wide-area latency for experiments on one machine (issue 6: proximity measured on real
 * nodes, not only in the simulator). The kernel here has no netem, so the delay is added in our own
 * transport: with `PEERGRID_EMULATED_RTT_MATRIX=<file>` in its environment, a node places every
 * peer (itself included) on a host of an N×N RTT matrix — host = the first 32 bits of SHA-256 of
 * the peer id, modulo N — and holds each DHT message it sends for half the RTT between the two
 * hosts, so a request and its answer take the matrix's RTT on top of the real one.
 *
 * For experiments only: a node started without the variable adds nothing. The file is N lines of
 * N RTTs in milliseconds, separated by spaces or tabs (finite, ≥ 0); the simulator's cleaned
 * PlanetLab matrix written out this way is what `npm run bench -- proximity-devnet` uses.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const EMULATED_RTT_MATRIX_ENV = 'PEERGRID_EMULATED_RTT_MATRIX';

/** Hosts an emulation matrix may have: enough for any measured matrix, a bound on a bad file. */
const HOSTS_MAX = 5000;

export interface EmulatedLatency {
  readonly hosts: number;
  /** The matrix host a peer is placed on. */
  hostOf(peerId: string): number;
  /** The emulated RTT between two peers, ms. */
  rttMs(a: string, b: string): number;
}

/** Reads and checks a matrix file's text; throws with the line at fault. */
export function parseEmulationMatrix(text: string): number[][] {
  const rows = text.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  if (rows.length === 0 || rows.length > HOSTS_MAX) throw new RangeError(`an RTT matrix has 1 to ${HOSTS_MAX} rows, this one ${rows.length}`);
  return rows.map((row, index) => {
    const values = row.split(/[ \t]+/).map(Number);
    if (values.length !== rows.length) throw new RangeError(`row ${index + 1} has ${values.length} values, not ${rows.length}`);
    if (!values.every((value) => Number.isFinite(value) && value >= 0)) throw new RangeError(`row ${index + 1} holds a value that is not an RTT in ms`);
    return values;
  });
}

/** Peers whose hosts are remembered: a message is sent for every one, and a hash per message is waste. */
const HOSTS_REMEMBERED_MAX = 10_000;

export function emulatedLatency(matrix: readonly (readonly number[])[]): EmulatedLatency {
  const hosts = new Map<string, number>();
  const hostOf = (peerId: string): number => {
    let host = hosts.get(peerId);
    if (host === undefined) {
      host = createHash('sha256').update(peerId).digest().readUInt32BE(0) % matrix.length;
      if (hosts.size >= HOSTS_REMEMBERED_MAX) hosts.clear();
      hosts.set(peerId, host);
    }
    return host;
  };
  return { hosts: matrix.length, hostOf, rttMs: (a, b) => matrix[hostOf(a)][hostOf(b)] };
}

/** The emulation the environment asks for, or null; throws when the file named cannot be used. */
export function emulatedLatencyFromEnv(env: NodeJS.ProcessEnv): EmulatedLatency | null {
  const path = env[EMULATED_RTT_MATRIX_ENV];
  if (path === undefined || path === '') return null;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${EMULATED_RTT_MATRIX_ENV}: cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return emulatedLatency(parseEmulationMatrix(text));
  } catch (error) {
    throw new Error(`${EMULATED_RTT_MATRIX_ENV}: ${path}: ${(error as Error).message}`);
  }
}
