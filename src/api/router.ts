/**
 * Finds the route a request's method and path name, and its path parameters (percent-decoded).
 * A path no route has is 404; a path some route has under another method is 405 with Allow.
 */
import { badRequest, methodNotAllowed, notFound } from './errors.ts';
import { routeNames, routes, type RouteName } from './routes.ts';

export interface RouteMatch {
  readonly name: RouteName;
  /** Parameter values as text, before their schemas check them. */
  readonly params: Readonly<Record<string, string>>;
}

interface CompiledRoute {
  readonly name: RouteName;
  readonly method: string;
  /** Path segments; a parameter is { param: name }. */
  readonly segments: readonly (string | { readonly param: string })[];
}

const compiled: readonly CompiledRoute[] = routeNames.map((name) => ({
  name,
  method: routes[name].method,
  segments: routes[name].path.split('/').map((segment) => (segment.startsWith(':') ? { param: segment.slice(1) } : segment)),
}));

/** `pathname` is the raw path of the request URL, without the query, still percent-encoded. */
export function matchRoute(method: string, pathname: string): RouteMatch {
  const parts = pathname.split('/');
  const allowed: string[] = [];
  for (const candidate of compiled) {
    const params = matchSegments(candidate.segments, parts);
    if (params === null) continue;
    if (candidate.method === method) return { name: candidate.name, params };
    allowed.push(candidate.method);
  }
  if (allowed.length > 0) throw methodNotAllowed(method, pathname, allowed);
  throw notFound(`no route ${pathname} (routes: ${[...new Set(routeNames.map((name) => routes[name].path))].join(', ')})`);
}

function matchSegments(segments: CompiledRoute['segments'], parts: readonly string[]): Record<string, string> | null {
  if (segments.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index];
    const part = parts[index];
    if (typeof segment === 'string') {
      if (segment !== part) return null;
      continue;
    }
    // An empty parameter matches, so that its schema can say what it must be (a 400, not a 404).
    params[segment.param] = decodeSegment(segment.param, part);
  }
  return params;
}

function decodeSegment(name: string, part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw badRequest(`${name}: bad percent-encoding in the path`);
  }
}
