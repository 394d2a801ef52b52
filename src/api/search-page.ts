/**
 * The search page served at /search until a dashboard exists (issue 7, item 4: "a search box"):
 * a form — words, an optional `element:words` filter, stems — that submits to itself by GET, and
 * the ranked hits with their Dublin Core metadata and a link to each file's bytes. Static HTML, no
 * scripts, like the status page (status-page.ts), so the strict Content-Security-Policy holds.
 * The search itself is the API's (`POST /api/v1/search`); this only renders it.
 */
import type { ResponseOf } from './routes.ts';
import { describeTerms } from './search-terms.ts';
import { escapeHtml } from './status-page.ts';

export interface SearchForm {
  readonly query: string;
  readonly field: string;
  readonly stem: boolean;
}

/** The form's fields from the page's query string (absent fields empty). */
export function searchFormOf(query: string): SearchForm {
  const params = new URLSearchParams(query);
  return { query: params.get('q') ?? '', field: params.get('field') ?? '', stem: params.get('stem') === 'on' };
}

/** A search box, as the status page and the search page show it. */
export function searchBox(form: SearchForm = { query: '', field: '', stem: false }): string {
  return `<form action="/search" method="get">
<input name="q" size="40" placeholder="words every result holds" value="${escapeHtml(form.query)}">
<input name="field" size="24" placeholder="element:words (creator:smith)" value="${escapeHtml(form.field)}">
<label><input type="checkbox" name="stem"${form.stem ? ' checked' : ''}> stems</label>
<button>Search</button>
</form>`;
}

/** The page: the form, then the hits (or the problem with the query, or nothing before a search). */
export function renderSearchPage(form: SearchForm, outcome: { readonly result: ResponseOf<'search'> } | { readonly error: string } | null): string {
  let body = '';
  if (outcome !== null && 'error' in outcome) {
    body = `<p class="error">${escapeHtml(outcome.error)}</p>`;
  } else if (outcome !== null) {
    const { result } = outcome;
    const terms = escapeHtml(describeTerms(result.terms));
    const hits = result.hits.map((hit) => {
      const metadata = (hit.metadata ?? {}) as Record<string, readonly string[] | undefined>;
      const title = metadata.title?.join(' / ') ?? '(no title)';
      const facts = ['creator', 'subject', 'date', 'type', 'description']
        .filter((element) => metadata[element] !== undefined)
        .map((element) => `<tr><th>${element}</th><td>${escapeHtml((metadata[element] ?? []).join('; '))}</td></tr>`).join('');
      return `<li><a href="/api/v1/content/${encodeURIComponent(hit.cid)}">${escapeHtml(title)}</a> <small>score ${hit.score.toFixed(3)}</small><br>
<code>${escapeHtml(hit.cid)}</code><table>${facts}</table></li>`;
    }).join('\n');
    body = `<p>${result.matches} document${result.matches === 1 ? ' holds' : 's hold'} every term: ${terms}.
${result.requests} requests to other nodes, ${Math.round(result.elapsedMs)} ms.</p>
<ol>
${hits}
</ol>`;
  }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>peergrid search${form.query === '' ? '' : `: ${escapeHtml(form.query)}`}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
code { font: 12px ui-monospace, monospace; }
li { margin-bottom: 1em; } th { color: #666; font-weight: normal; text-align: left; padding-right: 0.8em; }
.error { color: #a00; }
</style>
</head>
<body>
<h1>Search the grid</h1>
${searchBox(form)}
${body}
<p><a href="/">the node's status</a> · the same as JSON: <code>POST /api/v1/search</code></p>
</body>
</html>
`;
}
