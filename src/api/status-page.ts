/**
 * The page served at the API's root until a dashboard exists: the node's id, state, addresses and
 * contacts, and the API's routes (from the route table), as static HTML that reloads itself every
 * few seconds. No scripts, so the strict Content-Security-Policy of server.ts holds.
 */
import { routeNames, routes, type ResponseOf } from './routes.ts';
import { searchBox } from './search-page.ts';

const REFRESH_SECONDS = 5;

export function renderStatusPage(status: ResponseOf<'status'>, peers: ResponseOf<'peers'>): string {
  const facts: [string, string][] = [
    ['id', status.id],
    ['peer id', status.peerId],
    ['state', status.state],
    ['uptime', formatDuration(status.uptimeMs)],
    ['contacts', String(status.contacts)],
    ['connections', String(status.connections)],
    ['values held', String(status.values)],
    ['penalties', String(status.penalties.total)],
    ['data directory', status.dataDir],
  ];
  const contactRows = peers.contacts.map((contact) => row([
    code(contact.id.slice(0, 16)),
    code(contact.peerId ?? '—'),
    contact.verified ? 'yes' : 'not yet',
    String(contact.failures),
    contact.lastSeenAgoMs === null ? 'never' : `${formatDuration(contact.lastSeenAgoMs)} ago`,
    contact.rttMs === null ? '—' : `${contact.rttMs} ms`,
    contact.multiaddrs.map((address) => code(address)).join('<br>'),
  ]));
  const routeRows = routeNames.map((name) => row([code(routes[name].method), code(routes[name].path), escapeHtml(routes[name].summary)]));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="${REFRESH_SECONDS}">
<title>peergrid node ${escapeHtml(status.id.slice(0, 8))} (${escapeHtml(status.state)})</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { text-align: left; padding: 0.2em 0.8em 0.2em 0; vertical-align: top; }
th { color: #666; font-weight: normal; }
code { font: 12px ui-monospace, monospace; }
.state-ready { color: #070; } .state-joining { color: #a60; } .state-left, .state-idle { color: #a00; }
</style>
</head>
<body>
<h1>peergrid node <code>${escapeHtml(status.id.slice(0, 16))}…</code> <span class="state-${escapeHtml(status.state)}">${escapeHtml(status.state)}</span></h1>
<table>
${facts.map(([name, value]) => `<tr><th>${escapeHtml(name)}</th><td>${name === 'id' || name === 'peer id' ? code(value) : escapeHtml(value)}</td></tr>`).join('\n')}
</table>
<h2>Search</h2>
${searchBox()}
<h2>Addresses</h2>
<ul>
${status.multiaddrs.map((address) => `<li>${code(address)}</li>`).join('\n') || '<li>none</li>'}
</ul>
<h2>Contacts (${peers.count})</h2>
<table>
<tr><th>id</th><th>peer id</th><th>verified</th><th>failures</th><th>last seen</th><th>RTT</th><th>multiaddrs</th></tr>
${contactRows.join('\n')}
</table>
<h2>API</h2>
<table>
${routeRows.join('\n')}
</table>
<p>This page reloads every ${REFRESH_SECONDS} seconds. The same data as JSON: <code>GET /api/v1/status</code>, <code>GET /api/v1/peers</code>.</p>
</body>
</html>
`;
}

function row(cells: readonly string[]): string {
  return `<tr>${cells.map((cell) => `<td>${cell}</td>`).join('')}</tr>`;
}

function code(text: string): string {
  return `<code>${escapeHtml(text)}</code>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** 83_000 → "1m 23s"; 450 → "450 ms". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.floor(ms / 1000);
  const parts: string[] = [];
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (days > 0) parts.push(`${days}d`);
  if (hours > 0) parts.push(`${hours}h`);
  if (minutes > 0 && days === 0) parts.push(`${minutes}m`);
  if (days === 0 && hours === 0) parts.push(`${seconds % 60}s`);
  return parts.join(' ');
}
