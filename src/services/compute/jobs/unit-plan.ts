/**
 * The units of a job, from its unit source (job-spec.ts): one per argument string, per step of a
 * sweep, per combination of a grid's parameters, or per input file. A template's `{name}` is
 * replaced by the parameter's value (`{from}`/`{to}` for a sweep, `{input}` for an input's path,
 * `{index}` always). Generated lazily: a million units never sit in a list.
 */
import type { UnitSource } from './job-spec.ts';

export interface PlannedUnit {
  readonly index: number;
  readonly args: string;
  /** The input file's path (relative to job.json), for an 'inputs' job. */
  readonly input: string | null;
}

export function unitCount(source: UnitSource): number {
  switch (source.kind) {
    case 'args':
      return source.args.length;
    case 'sweep':
      return Math.ceil((source.to - source.from) / source.step);
    case 'grid':
      return Object.values(source.parameters).reduce((product, values) => product * values.length, 1);
    case 'inputs':
      return source.inputs.length;
  }
}

export function* planUnits(source: UnitSource): Generator<PlannedUnit> {
  const count = unitCount(source);
  for (let index = 0; index < count; index++) yield unitAt(source, index);
}

/** The unit at `index` (0 ≤ index < unitCount). */
export function unitAt(source: UnitSource, index: number): PlannedUnit {
  switch (source.kind) {
    case 'args':
      return { index, args: source.args[index], input: null };
    case 'sweep': {
      const from = source.from + index * source.step;
      const to = Math.min(source.to, from + source.step);
      return { index, args: fill(source.template, { from, to, index }), input: null };
    }
    case 'grid': {
      // Mixed radix: the last parameter varies fastest.
      const names = Object.keys(source.parameters);
      const values: Record<string, string | number> = { index };
      let rest = index;
      for (let position = names.length - 1; position >= 0; position--) {
        const choices = source.parameters[names[position]];
        values[names[position]] = choices[rest % choices.length];
        rest = Math.floor(rest / choices.length);
      }
      return { index, args: fill(source.template, values), input: null };
    }
    case 'inputs':
      return { index, args: fill(source.template, { input: source.inputs[index], index }), input: source.inputs[index] };
  }
}

function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => (Object.hasOwn(values, name) ? String(values[name]) : whole));
}
