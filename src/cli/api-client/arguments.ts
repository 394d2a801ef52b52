/** The <key> argument of lookup and dht get/put, checked with the API's own key schema. */
import { keySchema } from '../../api/key.ts';
import { UsageError } from '../args.ts';

/** Exactly the positionals a command expects, named, or a UsageError. */
export function expectPositionals(positionals: readonly string[], names: readonly string[]): string[] {
  if (positionals.length < names.length) throw new UsageError(`missing <${names[positionals.length]}>`);
  if (positionals.length > names.length) {
    throw new UsageError(`unexpected argument '${positionals[names.length]}' (expected ${names.map((name) => `<${name}>`).join(' ')})`);
  }
  return [...positionals];
}

export function checkKey(text: string): string {
  const checked = keySchema.check(text, '<key>');
  if (!checked.ok) throw new UsageError(checked.error);
  return checked.value;
}

export function singleKey(positionals: readonly string[]): string {
  return checkKey(expectPositionals(positionals, ['key'])[0]);
}
