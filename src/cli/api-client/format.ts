/** Small text helpers shared by the client commands' human-readable output. */

/** Rows as aligned columns, two spaces apart; the last column is not padded. */
export function formatColumns(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ').trimEnd())
    .map((line) => `${line}\n`).join('');
}

/** name value lines, names padded to one width; a list value continues on indented lines. */
export function formatFacts(facts: readonly (readonly [string, string | readonly string[]])[]): string {
  const width = Math.max(...facts.map(([name]) => name.length)) + 2;
  let out = '';
  for (const [name, value] of facts) {
    const lines = typeof value === 'string' ? [value] : value.length === 0 ? ['(none)'] : value;
    out += `${name.padEnd(width)}${lines[0]}\n`;
    for (const line of lines.slice(1)) out += `${' '.repeat(width)}${line}\n`;
  }
  return out;
}

/** The JSON a --json run prints: one object, one line. */
export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

/** The first hex digits of an id, enough to tell nodes apart in a table. */
export function shortId(id: string): string {
  return id.slice(0, 16);
}

/** How a key was read: as an id, or as text hashed to one (api/key.ts). */
export function describeKeyKind(kind: 'id' | 'sha256'): string {
  return kind === 'id' ? 'an id' : 'text, id = SHA-256 of it';
}
