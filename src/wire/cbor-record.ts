/**
 * Typed reads of one decoded dag-cbor map from a peer, each bounded: the compute and search
 * protocols' decoders (services/compute/grid/compute-messages.ts, services/search/search-messages.ts)
 * read every field through it, so a missing, mistyped or oversized
 * field is a FieldProblem with its path, which the decoder turns into `{ ok: false, error }`.
 */
import { utf8ByteLength } from './utf8.ts';

export class FieldProblem extends Error {}

export class CborRecord {
  private readonly value: Record<string, unknown>;
  private readonly path: string;

  constructor(value: unknown, path: string) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
      throw new FieldProblem(`${path || 'message'}: not a map`);
    }
    this.value = value as Record<string, unknown>;
    this.path = path;
  }

  has(name: string): boolean {
    return this.value[name] !== undefined && this.value[name] !== null;
  }

  text(name: string, maxBytes: number): string {
    const value = this.value[name];
    if (typeof value !== 'string') throw this.problem(name, 'not text');
    // UTF-8 is at most 3 bytes per UTF-16 unit: a cheap bound before the exact count.
    if (value.length * 3 > maxBytes && utf8ByteLength(value) > maxBytes) throw this.problem(name, `over ${maxBytes} bytes`);
    return value;
  }

  textOrNull(name: string, maxBytes: number): string | null {
    return this.has(name) ? this.text(name, maxBytes) : null;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T {
    const value = this.value[name];
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw this.problem(name, `not one of ${allowed.join(', ')}`);
    return value as T;
  }

  bytes(name: string, maxBytes: number): Uint8Array {
    const value = this.value[name];
    if (!(value instanceof Uint8Array)) throw this.problem(name, 'not bytes');
    if (value.length > maxBytes) throw this.problem(name, `${value.length} bytes, over ${maxBytes}`);
    return value;
  }

  bytesOrNull(name: string, maxBytes: number): Uint8Array | null {
    return this.has(name) ? this.bytes(name, maxBytes) : null;
  }

  integer(name: string, min: number, max: number): number {
    const value = this.value[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) throw this.problem(name, `not an integer from ${min} to ${max}`);
    return value;
  }

  integerOrNull(name: string, min: number, max: number): number | null {
    return this.has(name) ? this.integer(name, min, max) : null;
  }

  number(name: string, min: number, max: number): number {
    const value = this.value[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) throw this.problem(name, `not a number from ${min} to ${max}`);
    return value;
  }

  boolean(name: string): boolean {
    const value = this.value[name];
    if (typeof value !== 'boolean') throw this.problem(name, 'not a boolean');
    return value;
  }

  /** A list of at most `maxItems`, each read by `read` with its index in the path. */
  list<T>(name: string, maxItems: number, read: (item: unknown, path: string) => T): T[] {
    const value = this.value[name];
    if (!Array.isArray(value)) throw this.problem(name, 'not a list');
    if (value.length > maxItems) throw this.problem(name, `${value.length} items, over ${maxItems}`);
    return value.map((item, index) => read(item, `${this.at(name)}[${index}]`));
  }

  /** The field as it came, for a reader of its own (with its path). */
  field(name: string): { readonly value: unknown; readonly path: string } {
    return { value: this.value[name], path: this.at(name) };
  }

  record(name: string): CborRecord {
    return new CborRecord(this.value[name], this.at(name));
  }

  private at(name: string): string {
    return this.path === '' ? name : `${this.path}.${name}`;
  }

  private problem(name: string, what: string): FieldProblem {
    return new FieldProblem(`${this.at(name)}: ${what}`);
  }
}
