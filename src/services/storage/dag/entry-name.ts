/**
 * The one check every directory entry name passes, written or read: a single path component that
 * cannot escape the directory it is written into (issue 4, bad input: "a directory entry such as
 * `../x` or an absolute path"). Returns the reason a name is refused, or null.
 */
import { DagError } from './dag-error.ts';
import { DagLimits } from './limits.ts';

const encoder = new TextEncoder();

export function entryNameProblem(name: string): string | null {
  if (name.length === 0) return 'an empty name';
  if (name === '.' || name === '..') return `the name "${name}"`;
  if (name.includes('/') || name.includes('\\')) return `a name with a path separator: ${JSON.stringify(name)}`;
  if (name.includes('\0')) return 'a name with a NUL character';
  // A drive letter ("C:") would make the name absolute on Windows.
  if (/^[A-Za-z]:/.test(name)) return `a name that looks like a drive: ${JSON.stringify(name)}`;
  if (encoder.encode(name).length > DagLimits.nameBytesMax) return `a name longer than ${DagLimits.nameBytesMax} bytes`;
  return null;
}

/** Checks the names of one directory's entries: each a safe name, none twice. Throws DagError. */
export function checkEntryNames(names: readonly string[], where: string | null = null): void {
  if (names.length > DagLimits.directoryEntriesMax) throw new DagError(`a directory of more than ${DagLimits.directoryEntriesMax} entries`, where);
  const seen = new Set<string>();
  for (const name of names) {
    const problem = entryNameProblem(name);
    if (problem !== null) throw new DagError(`refused ${problem}`, where);
    if (seen.has(name)) throw new DagError(`two entries named ${JSON.stringify(name)}`, where);
    seen.add(name);
  }
}
