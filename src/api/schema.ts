/**
 * Small runtime schemas for the HTTP API: each checks an unknown JSON value and, when it fits,
 * returns it typed; when it does not, says what was expected and where, in words a user can act on
 * ("body.ttlMs: must be an integer from 1 to 172,800,000, got -5").
 *
 * The route table (routes.ts) declares every request and response with these, once; the server
 * checks what clients send and the client checks what servers answer, and TypeScript infers both
 * sides' types from the same declarations (`Infer`). A few dozen lines cover what the API needs,
 * so no validation package is added.
 */
import { utf8ByteLength } from '../core/utf8-length.ts';

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export interface Schema<T> {
  /** What a value must be, as it follows "must be" in a message: "an integer from 1 to 10". */
  readonly description: string;
  /** Checks `value`; `path` names it in the error ("body.value"; '' for a top-level object). Never throws. */
  check(value: unknown, path: string): Checked<T>;
}

/** An object field that may be absent. */
export interface OptionalSchema<T> extends Schema<T | undefined> {
  readonly optional: true;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function ok<T>(value: T): Checked<T> {
  return { ok: true, value };
}

/** A short rendering of a bad value for messages; long strings and objects are cut. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

function fail<T>(path: string, description: string, value: unknown): Checked<T> {
  return { ok: false, error: `${path}: must be ${description}, got ${describeValue(value)}` };
}

function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

export { utf8ByteLength };

export interface StringRules {
  readonly minLength?: number;
  /** In UTF-8 bytes, which is what limits in the kernel count. */
  readonly maxBytes?: number;
  readonly pattern?: RegExp;
  /** Replaces the generated description, e.g. "64 hex digits". */
  readonly description?: string;
}

export function string(rules: StringRules = {}): Schema<string> {
  const { minLength = 0, maxBytes, pattern } = rules;
  const bounds = maxBytes === undefined ? (minLength > 0 ? ` of at least ${minLength} characters` : '')
    : ` of ${minLength} to ${formatCount(maxBytes)} bytes`;
  const description = rules.description ?? `a string${bounds}`;
  return {
    description,
    check(value, path) {
      if (typeof value !== 'string') return fail(path, description, value);
      if (value.length < minLength) return fail(path, description, value);
      if (maxBytes !== undefined && (value.length > maxBytes || utf8ByteLength(value) > maxBytes)) {
        return { ok: false, error: `${path}: must be ${description}, got ${formatCount(utf8ByteLength(value))} bytes` };
      }
      if (pattern !== undefined && !pattern.test(value)) return fail(path, description, value);
      return ok(value);
    },
  };
}

/** An integer in [min, max]; without max, any safe integer from min up. */
export function integer(range: { readonly min: number; readonly max?: number }): Schema<number> {
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  const description = range.max === undefined ? `an integer >= ${formatCount(range.min)}`
    : `an integer from ${formatCount(range.min)} to ${formatCount(range.max)}`;
  return {
    description,
    check(value, path) {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < range.min || value > max) {
        return fail(path, description, value);
      }
      return ok(value);
    },
  };
}

/** A finite number, at least `min` when given. */
export function number(range: { readonly min?: number } = {}): Schema<number> {
  const description = range.min === undefined ? 'a finite number' : `a number >= ${range.min}`;
  return {
    description,
    check(value, path) {
      if (typeof value !== 'number' || !Number.isFinite(value) || (range.min !== undefined && value < range.min)) {
        return fail(path, description, value);
      }
      return ok(value);
    },
  };
}

export function boolean(): Schema<boolean> {
  return {
    description: 'true or false',
    check: (value, path) => (typeof value === 'boolean' ? ok(value) : fail(path, 'true or false', value)),
  };
}

/** One of a few fixed strings. */
export function oneOf<const Choice extends string>(...choices: Choice[]): Schema<Choice> {
  const description = `one of ${choices.map((choice) => JSON.stringify(choice)).join(', ')}`;
  return {
    description,
    check: (value, path) => ((choices as unknown[]).includes(value) ? ok(value as Choice) : fail(path, description, value)),
  };
}

export function nullable<T>(schema: Schema<T>): Schema<T | null> {
  const description = `${schema.description} or null`;
  return {
    description,
    check: (value, path) => (value === null ? ok(null) : schema.check(value, path)),
  };
}

export function optional<T>(schema: Schema<T>): OptionalSchema<T> {
  return {
    optional: true,
    description: schema.description,
    check: (value, path) => (value === undefined ? ok(undefined) : schema.check(value, path)),
  };
}

export function array<T>(item: Schema<T>, rules: { readonly maxItems?: number } = {}): Schema<readonly T[]> {
  const description = `an array of ${item.description}${rules.maxItems === undefined ? '' : ` (at most ${formatCount(rules.maxItems)})`}`;
  return {
    description,
    check(value, path) {
      if (!Array.isArray(value) || (rules.maxItems !== undefined && value.length > rules.maxItems)) return fail(path, description, value);
      const out: T[] = [];
      for (let index = 0; index < value.length; index++) {
        const checked = item.check(value[index], `${path}[${index}]`);
        if (!checked.ok) return checked;
        out.push(checked.value);
      }
      return ok(out);
    },
  };
}

/**
 * Any JSON value, passed on as it is: for a document whose own parser reports every problem at
 * once, by path (job.json: services/compute/jobs/job-spec.ts). The body's size bound still holds.
 */
export function anyJson(description: string): Schema<unknown> {
  return { description, check: (value) => ok(value) };
}

/** An object whose every field holds the same kind of value, such as a set of named counters. */
export function record<T>(item: Schema<T>): Schema<Record<string, T>> {
  const description = `an object of ${item.description}`;
  return {
    description,
    check(value, path) {
      if (!isPlainObject(value)) return fail(path, description, value);
      const entries: [string, T][] = [];
      for (const [name, fieldValue] of Object.entries(value)) {
        const checked = item.check(fieldValue, `${path}.${name}`);
        if (!checked.ok) return checked;
        entries.push([name, checked.value]);
      }
      // fromEntries defines own properties, so a field named __proto__ stays a field.
      return ok(Object.fromEntries(entries));
    },
  };
}

type Fields = Record<string, Schema<unknown>>;
type RequiredNames<F extends Fields> = { [K in keyof F]: F[K] extends OptionalSchema<unknown> ? never : K }[keyof F];
type OptionalNames<F extends Fields> = { [K in keyof F]: F[K] extends OptionalSchema<unknown> ? K : never }[keyof F];
/** The object type a field table describes; optional schemas become optional properties. */
export type ObjectOf<F extends Fields> = {
  readonly [K in RequiredNames<F>]: Infer<F[K]>;
} & {
  readonly [K in OptionalNames<F>]?: Exclude<Infer<F[K]>, undefined>;
};

export interface ObjectRules {
  /**
   * `reject`: a field the schema does not name is an error — for requests, where a misspelt
   * field must not be ignored silently. `ignore`: it is dropped — for responses, so a client keeps
   * working against a newer server that reports more.
   */
  readonly unknownFields: 'reject' | 'ignore';
}

export interface ObjectSchema<F extends Fields> extends Schema<ObjectOf<F>> {
  readonly fields: F;
}

/** Unknown names shown in an error, and how much of each: a body of thousands of them gets a short answer. */
const UNKNOWN_NAMES_SHOWN = 5;
const UNKNOWN_NAME_CHARS_SHOWN = 64;

function namesInError(names: readonly string[]): string {
  const shown = names.slice(0, UNKNOWN_NAMES_SHOWN).map((name) => `'${name.length > UNKNOWN_NAME_CHARS_SHOWN ? `${name.slice(0, UNKNOWN_NAME_CHARS_SHOWN)}…` : name}'`);
  return names.length > shown.length ? `${shown.join(', ')} and ${names.length - shown.length} more` : shown.join(', ');
}

export function object<F extends Fields>(fields: F, rules: ObjectRules): ObjectSchema<F> {
  const names = Object.keys(fields);
  const description = names.length === 0 ? 'an empty object' : `an object with ${names.join(', ')}`;
  return {
    fields,
    description,
    check(value, path) {
      if (!isPlainObject(value)) return fail(path, description, value);
      if (rules.unknownFields === 'reject') {
        const unknown = Object.keys(value).filter((name) => !Object.hasOwn(fields, name));
        if (unknown.length > 0) {
          const expected = names.length === 0 ? 'none' : names.join(', ');
          return { ok: false, error: `${path}: unknown field${unknown.length > 1 ? 's' : ''} ${namesInError(unknown)} (fields: ${expected})` };
        }
      }
      const out: Record<string, unknown> = {};
      for (const name of names) {
        const checked = fields[name].check(value[name], path === '' ? name : `${path}.${name}`);
        if (!checked.ok) return checked;
        if (checked.value !== undefined) out[name] = checked.value;
      }
      return ok(out as ObjectOf<F>);
    },
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Query parameters arrive as text. These schemas check the text a query string carries and give
 * the typed value; a client formats its typed values with String() and checks them with the same
 * schema before sending, so one declaration serves both ends.
 */

/** A query flag: the text "true" or "false". */
export function queryFlag(): Schema<boolean> {
  const description = '"true" or "false"';
  return {
    description,
    check(value, path) {
      if (value === 'true') return ok(true);
      if (value === 'false') return ok(false);
      return fail(path, description, value);
    },
  };
}

/** A query integer: decimal digits, in [min, max]. */
export function queryInteger(range: { readonly min: number; readonly max: number }): Schema<number> {
  const description = `an integer from ${formatCount(range.min)} to ${formatCount(range.max)}`;
  return {
    description,
    check(value, path) {
      if (typeof value !== 'string' || !/^\d{1,16}$/.test(value)) return fail(path, description, value);
      const parsed = Number(value);
      if (!Number.isSafeInteger(parsed) || parsed < range.min || parsed > range.max) return fail(path, description, value);
      return ok(parsed);
    },
  };
}
