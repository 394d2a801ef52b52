/**
 * `--meta element=value` and `--index-text`, shared by `peergrid put` and `peergrid publish`: the
 * Dublin Core metadata a document is published into the search index under (docs/SEARCH.md).
 */
import { parseMetaArgs, type DublinCore } from '../../services/search/dublin-core.ts';
import { UsageError } from '../args.ts';

export const META_OPTIONS = {
  meta: { type: 'string', multiple: true },
  'index-text': { type: 'boolean' },
} as const;

export const META_USAGE = `  --meta element=value    Dublin Core metadata to publish the content under in the search
                          index (title, creator, subject, description, date, …; may repeat)
  --index-text            publish the most frequent words of the file's text too`;

export interface MetaChoice {
  readonly metadata: DublinCore;
  readonly indexText: boolean;
}

/** The metadata asked for, or null when neither option was given. */
export function parseMetaOptions(values: { readonly meta?: readonly string[]; readonly 'index-text'?: boolean }): MetaChoice | null {
  const meta = values.meta ?? [];
  const indexText = values['index-text'] === true;
  if (meta.length === 0 && !indexText) return null;
  const parsed = parseMetaArgs(meta);
  if (!parsed.ok) throw new UsageError(parsed.error);
  return { metadata: parsed.metadata, indexText };
}
