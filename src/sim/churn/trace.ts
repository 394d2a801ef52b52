import { readFileSync } from 'node:fs';

/**
 * # Churn trace format
 *
 * A churn trace is a text file with one line per node. A line lists the node's alternating online and
 * offline periods, in whole milliseconds, separated by spaces or tabs. Every node starts online at
 * time 0, so the first number is how long its first session lasts, the second how long it then stays
 * offline, the third its second session, and so on. A line starting with 0 describes a node that starts
 * offline: the 0 is an empty first session. When a line's durations run out the node goes offline for
 * good (so a final offline period changes nothing). The node keeps its identity throughout.
 *
 * Lines that are blank or whose first non-blank character is '#' are ignored. Durations are integers
 * >= 0; only the first duration of a line may be 0, and a line must have at least one duration after a
 * leading 0.
 *
 * Example: three nodes, the third starting offline.
 *
 *     # session-ms offline-ms session-ms ...
 *     3600000 600000 7200000
 *     900000
 *     0 1800000 3600000
 *
 * When a simulation has more slots than the trace has lines, slot s replays line s modulo the number of
 * lines.
 */
export class ChurnTraceFormatError extends Error {
  /** 1-based line of the input. */
  readonly lineNumber: number;
  /** The message without the line and source prefix. */
  readonly detail: string;

  constructor(lineNumber: number, detail: string, source?: string) {
    super(`${source === undefined ? '' : `${source}: `}line ${lineNumber}: ${detail}`);
    this.name = 'ChurnTraceFormatError';
    this.lineNumber = lineNumber;
    this.detail = detail;
  }
}

/** Parses a churn trace (format above) into one array of durations in ms per node, in file order. */
export function parseChurnTrace(text: string): number[][] {
  const nodes: number[][] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    const line = lines[index].trim();
    if (line === '' || line.startsWith('#')) continue;
    const tokens = line.split(/[ \t]+/);
    const durations = tokens.map((token, position) => parseDuration(token, position, lineNumber));
    if (durations.length === 1 && durations[0] === 0) {
      throw new ChurnTraceFormatError(lineNumber, 'no durations after the leading 0 (the node would never be online)');
    }
    nodes.push(durations);
  }
  if (nodes.length === 0) throw new ChurnTraceFormatError(lines.length, 'the trace has no node lines');
  return nodes;
}

/** Reads and parses a churn trace file; format errors carry the path. */
export function loadChurnTrace(path: string | URL): number[][] {
  const text = readFileSync(path, 'utf8');
  try {
    return parseChurnTrace(text);
  } catch (error) {
    if (error instanceof ChurnTraceFormatError) {
      throw new ChurnTraceFormatError(error.lineNumber, error.detail, String(path));
    }
    throw error;
  }
}

/** Writes nodes' durations in the trace format; parseChurnTrace(formatChurnTrace(x)) equals x. */
export function formatChurnTrace(nodes: readonly (readonly number[])[], comment?: string): string {
  const header = comment === undefined ? '' : `${comment.split('\n').map((line) => `# ${line}`).join('\n')}\n`;
  return header + nodes.map((durations) => durations.join(' ')).join('\n') + '\n';
}

function parseDuration(token: string, position: number, lineNumber: number): number {
  const where = `duration ${position + 1} '${token.length > 40 ? `${token.slice(0, 40)}...` : token}'`;
  if (/^\d+$/.test(token)) {
    const value = Number(token);
    if (!Number.isSafeInteger(value)) throw new ChurnTraceFormatError(lineNumber, `${where} is too large`);
    if (value === 0 && position > 0) {
      throw new ChurnTraceFormatError(lineNumber, `${where}: only the first duration of a line may be 0`);
    }
    return value;
  }
  if (/^-\d*\.?\d+(?:[eE][+-]?\d+)?$/.test(token)) {
    throw new ChurnTraceFormatError(lineNumber, `${where} is negative; durations are milliseconds >= 0`);
  }
  if (/^\+?(?:\d+\.\d*|\.\d+|\d+(?:\.\d*)?[eE][+-]?\d+)$/.test(token)) {
    throw new ChurnTraceFormatError(lineNumber, `${where} is not an integer (durations are whole milliseconds, written with digits only)`);
  }
  throw new ChurnTraceFormatError(lineNumber, `${where} is not a number; durations are whole milliseconds`);
}
