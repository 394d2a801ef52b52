/**
 * Command-line argument parsing shared by every command: a strict wrapper around node:util parseArgs
 * and typed validators for option values. Every problem with what the user typed is a UsageError,
 * which main.ts turns into a message on stderr and exit status 2; nothing here prints or exits.
 */
import { parseArgs } from 'node:util';
import type { ParseArgsOptionsConfig } from 'node:util';

/** The user asked for something the command line does not allow. Exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedCommandLine<T extends ParseArgsOptionsConfig> {
  readonly values: ParsedValues<T>;
  readonly positionals: string[];
}

/**
 * What parseArgs gives for an option: a string, a boolean, a list of strings for an option declared
 * `multiple: true`, or undefined when it is absent.
 */
export type ParsedValues<T extends ParseArgsOptionsConfig> = {
  [Name in keyof T]?: T[Name]['type'] extends 'boolean' ? boolean : T[Name] extends { multiple: true } ? string[] : string;
};

/**
 * Parses `args` against `options` strictly: unknown options, missing values, values given to
 * boolean flags, options given twice and (unless `allowPositionals`) positional arguments are all
 * UsageErrors. Only an option declared `multiple: true` (a list, such as --listen) may repeat.
 */
export function parseCommandLine<T extends ParseArgsOptionsConfig>(
  args: readonly string[], options: T, settings: { readonly allowPositionals?: boolean } = {},
): ParsedCommandLine<T> {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeNumbers(args, options), options, strict: true, allowPositionals: settings.allowPositionals ?? false, tokens: true });
  } catch (error) {
    throw translateParseArgsError(error);
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    if (options[token.name]?.multiple === true) continue;
    if (seen.has(token.name)) throw new UsageError(`option '--${token.name}' given more than once`);
    seen.add(token.name);
  }
  return { values: parsed.values as ParsedValues<T>, positionals: parsed.positionals };
}

/** A negative number, such as -1 or -0.5: a value, not an option. */
const NEGATIVE_NUMBER = /^-(?:\d|\.\d)/;

/**
 * parseArgs refuses `--seed -5` as ambiguous (is -5 a value or an option?). A negative number is a
 * value, so it is joined to its option (`--seed=-5`) and the validator can say what range is accepted.
 */
function joinNegativeNumbers(args: readonly string[], options: ParseArgsOptionsConfig): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      joined.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined;
    if (name !== undefined && Object.hasOwn(options, name) && options[name].type === 'string'
      && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/** Rewrites parseArgs' errors (TypeErrors with an ERR_PARSE_ARGS_* code) as short UsageErrors. */
function translateParseArgsError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const quoted = /'([^']*)'/.exec(error.message)?.[1] ?? '';
  const flag = quoted.replace(/ <value>$/, '');
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(`unknown option '${flag}'`);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(`unexpected argument '${flag}' (this command takes no positional arguments)`);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/argument missing/.test(error.message)) return new UsageError(`option '${flag}' needs a value`);
      if (/does not take an argument/.test(error.message)) return new UsageError(`option '${flag}' does not take a value`);
      if (/ambiguous/.test(error.message)) {
        return new UsageError(`option '${flag}' needs a value; to give one that starts with '-', write ${flag}=<value>`);
      }
      return new UsageError(error.message.split('\n')[0]);
    default:
      return error;
  }
}

/** A plain decimal number: digits with an optional fraction and exponent; no hex, no blanks, no Infinity. */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Formats a bound for messages: 1000000 → 1,000,000; 2^53 − 1 stays readable. */
export function formatBound(value: number): string {
  if (value === Number.MAX_SAFE_INTEGER) return '2^53-1';
  return Number.isInteger(value) ? value.toLocaleString('en-US') : String(value);
}

function parseDecimal(text: string): number {
  return DECIMAL.test(text) ? Number(text) : Number.NaN;
}

/** An integer in [min, max]. Accepts exponent notation (1e6) when the value is an integer. */
export function parseInteger(flag: string, text: string, min: number, max: number): number {
  const value = parseDecimal(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${flag} must be an integer from ${formatBound(min)} to ${formatBound(max)}, got '${text}'`);
  }
  return value;
}

/** Bounds of a real-valued option; an absent bound is unbounded on that side (but the value stays finite). */
export interface NumberRange {
  readonly min?: number;
  readonly minExclusive?: boolean;
  readonly max?: number;
  readonly maxExclusive?: boolean;
}

/** Describes a range for messages: "≥ 0", "> 0", "in [0, 1)". */
export function describeRange(range: NumberRange): string {
  const { min, max } = range;
  if (min !== undefined && max !== undefined) {
    return `in ${range.minExclusive ? '(' : '['}${formatBound(min)}, ${formatBound(max)}${range.maxExclusive ? ')' : ']'}`;
  }
  if (min !== undefined) return `${range.minExclusive ? '>' : '>='} ${formatBound(min)}`;
  if (max !== undefined) return `${range.maxExclusive ? '<' : '<='} ${formatBound(max)}`;
  return 'finite';
}

function inRange(value: number, range: NumberRange): boolean {
  if (!Number.isFinite(value)) return false;
  if (range.min !== undefined && (range.minExclusive ? value <= range.min : value < range.min)) return false;
  if (range.max !== undefined && (range.maxExclusive ? value >= range.max : value > range.max)) return false;
  return true;
}

/** A finite decimal number within `range`. */
export function parseNumber(flag: string, text: string, range: NumberRange = {}): number {
  const value = parseDecimal(text);
  if (!inRange(value, range)) throw new UsageError(`${flag} must be a number ${describeRange(range)}, got '${text}'`);
  return value;
}

/** A probability: in [0, 1], or [0, 1) when one is excluded (a loss rate of 1 would lose everything). */
export function parseProbability(flag: string, text: string, options: { readonly allowOne?: boolean } = {}): number {
  const range: NumberRange = { min: 0, max: 1, maxExclusive: options.allowOne === false };
  const value = parseDecimal(text);
  if (!inRange(value, range)) throw new UsageError(`${flag} must be a probability ${describeRange(range)}, got '${text}'`);
  return value;
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000,
};
export type DurationUnit = 'ms' | 's' | 'm' | 'h';
const UNIT_WORDS: Readonly<Record<DurationUnit, string>> = { ms: 'milliseconds', s: 'seconds', m: 'minutes', h: 'hours' };
const DURATION = /^(.*?)(ms|s|min|m|h)?$/;

/**
 * A duration in milliseconds. A bare number is in `unit`; a suffix picks another unit (500ms, 30s,
 * 10m or 10min, 2h). `range` bounds the result in milliseconds (only min/minExclusive are usual).
 */
export function parseDuration(flag: string, text: string, unit: DurationUnit, range: NumberRange = { min: 0 }): number {
  const match = DURATION.exec(text);
  const number = match ? parseDecimal(match[1]) : Number.NaN;
  const valueMs = number * DURATION_UNITS_MS[match?.[2] ?? unit];
  if (!inRange(valueMs, range)) {
    const bounds = describeRange({ ...range, min: range.min === undefined ? undefined : range.min / DURATION_UNITS_MS[unit],
      max: range.max === undefined ? undefined : range.max / DURATION_UNITS_MS[unit] });
    throw new UsageError(
      `${flag} must be a duration ${bounds} in ${UNIT_WORDS[unit]} (or with a unit: 500ms, 30s, 10m, 2h), got '${text}'`,
    );
  }
  return valueMs;
}

/** One of a fixed set of words. */
export function parseChoice<const Choice extends string>(flag: string, text: string, choices: readonly Choice[]): Choice {
  if (!(choices as readonly string[]).includes(text)) {
    throw new UsageError(`${flag} must be one of ${choices.join(', ')}; got '${text}'`);
  }
  return text as Choice;
}
