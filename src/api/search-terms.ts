/**
 * How a search's terms read to a person, the same in `peergrid search` and on the search page:
 * each term with the fields it was limited to and how many documents hold it; a stem's list
 * (`~network`, its name in the index) as the stem and a star, any word of that stem.
 */
import type { ResponseOf } from './routes.ts';

export function describeTerms(terms: ResponseOf<'search'>['terms']): string {
  return terms.map((term) => {
    const word = term.term.startsWith('~') ? `${term.term.slice(1)}*` : term.term;
    return `${word}${term.fields === 'any' ? '' : ` in ${term.fields}`} (${term.documents})`;
  }).join(', ');
}
