/**
 * The search page at /search (issue 7's search box until a dashboard exists): the form, hits with
 * their metadata escaped, a bad query shown with its status, and the box on the status page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { nodeHandlers, type SearchApi } from '../../src/api/handlers.ts';
import { searchPage } from '../../src/api/node-api.ts';
import { renderSearchPage, searchFormOf } from '../../src/api/search-page.ts';
import { startApiServer, type ApiServer } from '../../src/api/server.ts';
import { renderStatusPage } from '../../src/api/status-page.ts';
import { SearchRequestError } from '../../src/runtime/search/search-errors.ts';
import type { SearchReport } from '../../src/runtime/search/search-query.ts';
import { FakeNode } from './fake-node.ts';
import { rawRequest } from './http-request.ts';

const CID = 'bafkreifjdtdyqz6rsmhmvux5ucy3bzdtock4uchufn3fkctuvxnqrfpgty';

function report(overrides: Partial<SearchReport> = {}): SearchReport {
  return {
    terms: [{ term: 'grid', fields: 'any', documents: 3 }], stem: false, matches: 1,
    hits: [{ cid: CID, score: 1.5, publisher: '12D3KooWpublisher', metadata: { title: ['Grids <script>alert(1)</script>'], creator: ['Ada & Co'] } }],
    corpus: { documents: 3, averageDocumentTerms: 10, publishers: 1 }, requests: 4, bytesSent: 100, bytesReceived: 200, holderFailures: 0, elapsedMs: 12,
    ...overrides,
  };
}

describe('the search page', () => {
  const node = new FakeNode();
  const asked: { text: string; fields: readonly string[]; stem: boolean }[] = [];
  node.search = {
    search: async (text: string, options: { fields?: readonly string[]; stem?: boolean } = {}) => {
      asked.push({ text, fields: options.fields ?? [], stem: options.stem ?? false });
      if (text === 'the') throw new SearchRequestError('the query has no word to search for (stopwords and single letters are not indexed)');
      return report();
    },
  } as unknown as SearchApi;
  const handlers = nodeHandlers(node);
  let server: ApiServer;
  before(async () => {
    server = await startApiServer({
      host: '127.0.0.1', port: 0, auth: { token: 'x'.repeat(20), tokenRequired: false }, handlers,
      statusPage: async () => renderStatusPage(await handlers.status({ params: {}, body: undefined }), await handlers.peers({ params: {}, body: undefined })),
      searchPage: (query) => searchPage(handlers, query),
    });
  });
  after(() => server.close());

  it('reads its form from the query string', () => {
    assert.deepEqual(searchFormOf('q=grid+computing&field=creator%3Aada&stem=on'), { query: 'grid computing', field: 'creator:ada', stem: true });
    assert.deepEqual(searchFormOf(''), { query: '', field: '', stem: false });
  });

  it('shows the hits with their metadata escaped and a link to the content', async () => {
    const answer = await rawRequest(server.port, '/search?q=grid&field=creator%3Aada&stem=on');
    assert.equal(answer.status, 200);
    assert.match(String(answer.headers['content-security-policy']), /default-src 'none'/);
    assert.deepEqual(asked.at(-1), { text: 'grid', fields: ['creator:ada'], stem: true });
    assert.match(answer.text, /1 document holds every term: grid \(3\)/);
    assert.match(answer.text, new RegExp(`<a href="/api/v1/content/${CID}">Grids &#60;script&#62;alert\\(1\\)&#60;/script&#62;</a>`));
    assert.match(answer.text, /<th>creator<\/th><td>Ada &#38; Co<\/td>/);
    assert.doesNotMatch(answer.text, /<script>/);
    assert.match(answer.text, /value="grid"/);
    assert.match(answer.text, /name="stem" checked/);
  });

  it('shows a bad query with its reason and a 400, and the bare form before any search', async () => {
    const bad = await rawRequest(server.port, '/search?q=the');
    assert.equal(bad.status, 400);
    assert.match(bad.text, /<p class="error">the query has no word to search for/);
    const bare = await rawRequest(server.port, '/search');
    assert.equal(bare.status, 200);
    assert.doesNotMatch(bare.text, /<ol>/);
    const post = await rawRequest(server.port, '/search', { method: 'POST' });
    assert.equal(post.status, 405);
  });

  it('puts a search box on the status page', async () => {
    const page = await rawRequest(server.port, '/');
    assert.match(page.text, /<form action="\/search" method="get">/);
  });

  it('renders an empty result as such', () => {
    const html = renderSearchPage({ query: 'zzz', field: '', stem: false }, { result: report({ matches: 0, hits: [] }) });
    assert.match(html, /0 documents hold every term/);
  });
});
