import type { IncomingMessage } from 'node:http';
import { isHttps } from '../auth/cookies';

/** The origin the request was addressed to, as the browser sees it (`http(s)://host[:port]`). */
export function getRequestOrigin(req: IncomingMessage): string {
  return `${isHttps(req) ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
}

/**
 * Cross-site request guard for state-changing HTTP requests and WebSocket upgrades. Browsers always send
 * Origin on both, so a present Origin must be our own or an allowed one; non-browser clients (tests,
 * scripts) send none and are judged by their cookies alone. SameSite=Lax cookies already stop most
 * cross-site writes; this closes the rest (same-site subdomains, old browsers).
 */
export function createOriginCheck({ allowedOrigins = [] }: { allowedOrigins?: string[] }) {
  const allowed = new Set(allowedOrigins.map((o) => o.replace(/\/+$/, '').toLowerCase()));
  return function isAllowedOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    const normalized = origin.toLowerCase();
    return normalized === getRequestOrigin(req).toLowerCase() || allowed.has(normalized);
  };
}
