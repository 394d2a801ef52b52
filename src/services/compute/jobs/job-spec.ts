/**
 * job.json (issue 5, item 1): what a user submits — a WebAssembly program, the units to run it on
 * (a list of arguments, a numeric range sweep, a parameter grid, or input files), requirements
 * and a preference for volunteers, a validation policy, limits and a deadline. parseJobSpec checks
 * every field and reports every problem at once, by path, so a wrong job.json is fixed in one go;
 * it never throws. docs/COMPUTE.md ("job.json") documents the format with examples.
 */
import { DEFAULT_VALIDATION, parseValidation, type ValidationPolicy } from './validation-policy.ts';
import { adaptiveJobValidation, parseAdaptivePolicy, type AdaptivePolicy } from '../validation/adaptive-policy.ts';

export interface JobSpec {
  readonly name: string;
  /** A path relative to job.json, or a CID of a program already stored. */
  readonly program: string;
  readonly units: UnitSource;
  readonly requirements: Requirements;
  readonly rank: Rank;
  /** What JobState is given: the fixed quorum, or in adaptive mode one replica to start with (adaptive-policy.ts). */
  readonly validation: ValidationPolicy;
  /** Adaptive replication by credibility with spot checks, when job.json asks for it (`"mode": "adaptive"`); null for the fixed quorum. */
  readonly adaptive: AdaptivePolicy | null;
  readonly limits: JobLimits;
  /** Seconds from submission after which unfinished units are given up. */
  readonly deadlineSeconds: number;
}

export type UnitSource =
  | { readonly kind: 'args'; readonly args: readonly string[] }
  | { readonly kind: 'sweep'; readonly from: number; readonly to: number; readonly step: number; readonly template: string }
  | { readonly kind: 'grid'; readonly parameters: Readonly<Record<string, readonly (string | number)[]>>; readonly template: string }
  | { readonly kind: 'inputs'; readonly inputs: readonly string[]; readonly template: string };

/** What a volunteer must offer (Condor's Requirements, as fields rather than an expression language). */
export interface Requirements {
  readonly memoryMiB: number;
  readonly cores: number;
  /** Benchmark speed (the node's own measure), at least. */
  readonly speedMin: number;
  /** Administrative domains allowed; empty for any. */
  readonly domains: readonly string[];
}

/** What a unit prefers among volunteers that qualify (Condor's Rank). */
export const Rank = { speed: 'speed', uptime: 'uptime', proximity: 'proximity' } as const;
export type Rank = (typeof Rank)[keyof typeof Rank];

export interface JobLimits {
  readonly fuelMax: bigint;
  readonly wallTimeSeconds: number;
  readonly outputBytesMax: number;
  readonly memoryPagesMax: number;
}

export const JobSpecLimits = {
  unitsMax: 1_000_000,
  nameLengthMax: 200,
  argsLengthMax: 4096,
  parametersMax: 8,
  deadlineSecondsMax: 90 * 24 * 3600,
  wallTimeSecondsMax: 24 * 3600,
  outputBytesMax: 256 * 1024 * 1024,
  memoryPagesMax: 65_536,
} as const;

export const DEFAULT_JOB_LIMITS: JobLimits = {
  fuelMax: 100_000_000_000n,
  wallTimeSeconds: 600,
  // What travels inline in a report; a job may ask for more (its workers then store outputs on the grid).
  outputBytesMax: 1024 * 1024,
  memoryPagesMax: 4096,
};

export type ParsedJobSpec = { readonly ok: true; readonly spec: JobSpec } | { readonly ok: false; readonly problems: readonly string[] };

/** Parses job.json's text (or its parsed value). */
export function parseJobSpec(input: string | unknown): ParsedJobSpec {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      return { ok: false, problems: [`job.json is not JSON: ${(error as Error).message}`] };
    }
  }
  const problems: string[] = [];
  const at = new Fields(value, '', problems);
  if (!at.isObject) return { ok: false, problems: ['job.json must be an object'] };
  at.unknownKeys(['name', 'program', 'units', 'requirements', 'rank', 'validation', 'limits', 'deadlineSeconds']);
  const name = at.string('name', { required: false, maxLength: JobSpecLimits.nameLengthMax }) ?? 'job';
  const program = at.string('program', { required: true, maxLength: 1024 }) ?? '';
  const units = parseUnits(at.child('units'), problems);
  const requirements = parseRequirements(at.child('requirements'));
  const rank = (at.oneOf('rank', Object.values(Rank)) as Rank | undefined) ?? Rank.speed;
  const { validation, adaptive } = parseValidationField(at, problems);
  const limits = parseLimits(at.child('limits'));
  const deadlineSeconds = at.number('deadlineSeconds', { min: 1, max: JobSpecLimits.deadlineSecondsMax, integer: true }) ?? 24 * 3600;
  if (problems.length > 0 || units === undefined) return { ok: false, problems: problems.length > 0 ? problems : ['units: missing'] };
  return { ok: true, spec: { name, program, units, requirements, rank, validation, adaptive, limits, deadlineSeconds } };
}

/**
 * `validation`: the fixed quorum ({"replicas", "quorum", "replicasMax"}, optionally with
 * `"mode": "quorum"`) or adaptive replication ({"mode": "adaptive", …}).
 */
function parseValidationField(at: Fields, problems: string[]): { validation: ValidationPolicy; adaptive: AdaptivePolicy | null } {
  if (!at.has('validation')) return { validation: DEFAULT_VALIDATION, adaptive: null };
  const raw = at.raw('validation');
  const mode = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>).mode : undefined;
  if (mode === 'adaptive') {
    const adaptive = parseAdaptivePolicy(raw, 'validation', problems);
    return { validation: adaptiveJobValidation(adaptive), adaptive };
  }
  if (mode !== undefined && mode !== 'quorum') {
    problems.push('validation.mode: must be "quorum" (the default) or "adaptive"');
    return { validation: DEFAULT_VALIDATION, adaptive: null };
  }
  if (mode === undefined) return { validation: parseValidation(raw, 'validation', problems), adaptive: null };
  const { mode: _mode, ...fixed } = raw as Record<string, unknown>;
  return { validation: parseValidation(fixed, 'validation', problems), adaptive: null };
}

function parseUnits(at: Fields, problems: string[]): UnitSource | undefined {
  if (!at.present) {
    problems.push('units: missing (one of "args", "sweep", "grid" or "inputs")');
    return undefined;
  }
  if (!at.isObject) return undefined;
  const kinds = ['args', 'sweep', 'grid', 'inputs'].filter((kind) => at.has(kind));
  at.unknownKeys(['args', 'sweep', 'grid', 'inputs', 'template']);
  if (kinds.length !== 1) {
    problems.push(`units: give exactly one of "args", "sweep", "grid" or "inputs" (found ${kinds.length === 0 ? 'none' : kinds.join(', ')})`);
    return undefined;
  }
  const template = at.string('template', { required: kinds[0] !== 'args', maxLength: JobSpecLimits.argsLengthMax });
  switch (kinds[0]) {
    case 'args': {
      const args = at.stringList('args', JobSpecLimits.unitsMax, JobSpecLimits.argsLengthMax);
      if (args !== undefined && args.length === 0) problems.push('units.args: empty');
      return args === undefined ? undefined : { kind: 'args', args };
    }
    case 'sweep': {
      const sweep = at.child('sweep');
      sweep.unknownKeys(['from', 'to', 'step']);
      const from = sweep.number('from', { required: true });
      const to = sweep.number('to', { required: true });
      const step = sweep.number('step', { required: true, positive: true });
      if (from !== undefined && to !== undefined) {
        if (to <= from) problems.push('units.sweep: "to" must be above "from"');
        else if (step !== undefined && Math.ceil((to - from) / step) > JobSpecLimits.unitsMax) problems.push(`units.sweep: ${Math.ceil((to - from) / step)} units; at most ${JobSpecLimits.unitsMax}`);
      }
      if (template !== undefined && !template.includes('{from}') && !template.includes('{to}')) problems.push('units.template: a sweep\'s template uses {from} and {to}');
      if (from === undefined || to === undefined || step === undefined || template === undefined) return undefined;
      return { kind: 'sweep', from, to, step, template };
    }
    case 'grid': {
      const grid = at.child('grid');
      if (!grid.isObject || template === undefined) return undefined;
      const names = grid.keys();
      if (names.length === 0 || names.length > JobSpecLimits.parametersMax) problems.push(`units.grid: 1 to ${JobSpecLimits.parametersMax} parameters`);
      const parameters: Record<string, (string | number)[]> = {};
      let count = 1;
      for (const parameter of names) {
        if (!/^[A-Za-z_][A-Za-z0-9_]{0,31}$/.test(parameter)) problems.push(`units.grid.${parameter}: a parameter's name is a word`);
        const values = grid.valueList(parameter);
        if (values === undefined) continue;
        if (values.length === 0) problems.push(`units.grid.${parameter}: no values`);
        if (!template.includes(`{${parameter}}`)) problems.push(`units.template: does not use {${parameter}}`);
        parameters[parameter] = values;
        count *= Math.max(1, values.length);
      }
      if (count > JobSpecLimits.unitsMax) problems.push(`units.grid: ${count} combinations; at most ${JobSpecLimits.unitsMax}`);
      return { kind: 'grid', parameters, template };
    }
    default: {
      const inputs = at.stringList('inputs', JobSpecLimits.unitsMax, 1024);
      if (inputs !== undefined && inputs.length === 0) problems.push('units.inputs: empty');
      return inputs === undefined ? undefined : { kind: 'inputs', inputs, template: template ?? '' };
    }
  }
}

function parseRequirements(at: Fields): Requirements {
  if (!at.present || !at.isObject) return { memoryMiB: 0, cores: 1, speedMin: 0, domains: [] };
  at.unknownKeys(['memoryMiB', 'cores', 'speedMin', 'domains']);
  return {
    memoryMiB: at.number('memoryMiB', { min: 0, max: 1 << 20, integer: true }) ?? 0,
    cores: at.number('cores', { min: 1, max: 1024, integer: true }) ?? 1,
    speedMin: at.number('speedMin', { min: 0 }) ?? 0,
    domains: at.stringList('domains', 100, 253) ?? [],
  };
}

function parseLimits(at: Fields): JobLimits {
  if (!at.present || !at.isObject) return DEFAULT_JOB_LIMITS;
  at.unknownKeys(['fuelMax', 'wallTimeSeconds', 'outputBytesMax', 'memoryPagesMax']);
  const fuel = at.number('fuelMax', { min: 1, integer: true });
  return {
    fuelMax: fuel === undefined ? DEFAULT_JOB_LIMITS.fuelMax : BigInt(fuel),
    wallTimeSeconds: at.number('wallTimeSeconds', { min: 1, max: JobSpecLimits.wallTimeSecondsMax, integer: true }) ?? DEFAULT_JOB_LIMITS.wallTimeSeconds,
    outputBytesMax: at.number('outputBytesMax', { min: 1, max: JobSpecLimits.outputBytesMax, integer: true }) ?? DEFAULT_JOB_LIMITS.outputBytesMax,
    memoryPagesMax: at.number('memoryPagesMax', { min: 1, max: JobSpecLimits.memoryPagesMax, integer: true }) ?? DEFAULT_JOB_LIMITS.memoryPagesMax,
  };
}

/** Typed reads of one object's fields, each problem recorded with its path. */
class Fields {
  private readonly value: unknown;
  private readonly path: string;
  private readonly problems: string[];

  constructor(value: unknown, path: string, problems: string[]) {
    this.value = value;
    this.path = path;
    this.problems = problems;
  }

  get present(): boolean {
    return this.value !== undefined;
  }

  get isObject(): boolean {
    const ok = typeof this.value === 'object' && this.value !== null && !Array.isArray(this.value);
    if (!ok && this.present && this.path !== '') this.problems.push(`${this.path}: must be an object`);
    return ok;
  }

  keys(): string[] {
    return Object.keys(this.value as object);
  }

  has(key: string): boolean {
    return this.isPlainObject() && Object.hasOwn(this.value as object, key);
  }

  raw(key: string): unknown {
    return this.isPlainObject() ? (this.value as Record<string, unknown>)[key] : undefined;
  }

  child(key: string): Fields {
    return new Fields(this.raw(key), this.name(key), this.problems);
  }

  unknownKeys(known: readonly string[]): void {
    if (!this.isPlainObject()) return;
    for (const key of Object.keys(this.value as object)) if (!known.includes(key)) this.problems.push(`${this.name(key)}: unknown field (known: ${known.join(', ')})`);
  }

  string(key: string, options: { readonly required: boolean; readonly maxLength: number }): string | undefined {
    const value = this.raw(key);
    if (value === undefined) {
      if (options.required) this.problems.push(`${this.name(key)}: missing`);
      return undefined;
    }
    if (typeof value !== 'string' || value.length === 0) return this.wrong(key, 'a non-empty string');
    if (value.length > options.maxLength) return this.wrong(key, `at most ${options.maxLength} characters`);
    return value;
  }

  number(key: string, options: { readonly required?: boolean; readonly min?: number; readonly max?: number; readonly integer?: boolean; readonly positive?: boolean }): number | undefined {
    const value = this.raw(key);
    if (value === undefined) {
      if (options.required) this.problems.push(`${this.name(key)}: missing`);
      return undefined;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) return this.wrong(key, 'a number');
    if (options.integer && !Number.isSafeInteger(value)) return this.wrong(key, 'an integer');
    if (options.positive && value <= 0) return this.wrong(key, 'above 0');
    if (options.min !== undefined && value < options.min) return this.wrong(key, `at least ${options.min}`);
    if (options.max !== undefined && value > options.max) return this.wrong(key, `at most ${options.max}`);
    return value;
  }

  oneOf(key: string, choices: readonly string[]): string | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !choices.includes(value)) return this.wrong(key, `one of ${choices.join(', ')}`);
    return value;
  }

  stringList(key: string, maxItems: number, maxLength: number): string[] | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.length > maxItems) return this.wrong(key, `a list of at most ${maxItems} strings`);
    if (!value.every((item) => typeof item === 'string' && item.length <= maxLength)) return this.wrong(key, `strings of at most ${maxLength} characters`);
    return value as string[];
  }

  valueList(key: string): (string | number)[] | undefined {
    const value = this.raw(key);
    if (!Array.isArray(value) || value.length > JobSpecLimits.unitsMax) return this.wrong(key, 'a list of values');
    if (!value.every((item) => (typeof item === 'string' && item.length <= 256) || (typeof item === 'number' && Number.isFinite(item)))) return this.wrong(key, 'numbers or short strings');
    return value as (string | number)[];
  }

  private isPlainObject(): boolean {
    return typeof this.value === 'object' && this.value !== null && !Array.isArray(this.value);
  }

  private name(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  private wrong(key: string, what: string): undefined {
    this.problems.push(`${this.name(key)}: must be ${what}`);
    return undefined;
  }
}
