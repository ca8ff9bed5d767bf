/**
 * Access checks for the server: loopback detection, the token (constant-time comparison), and the
 * Origin check on WebSocket upgrades.
 *
 * The token travels as `Authorization: Bearer T` (scripts, `earshot push`) or as the `token` query
 * parameter (browsers cannot set headers on a WebSocket). Both sides are hashed with SHA-256 before
 * `timingSafeEqual`, so the comparison takes the same time whatever the length or content of the guess.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** Hosts that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  if (h.startsWith('::ffff:')) return isLoopbackHost(h.slice(7));
  return isIP(h) === 4 && h.startsWith('127.');
}

/** A fresh random token (URL-safe, 128 bits). */
export function generateToken(): string {
  return randomBytes(16).toString('base64url');
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Compares in constant time (equal-length SHA-256 digests). */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  return timingSafeEqual(digest(expected), digest(given));
}

/** The token a request carries, from the Authorization header or the `token` query parameter. */
export function requestToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1];
  }
  const q = new URL(req.url ?? '/', 'http://x').searchParams.get('token');
  return q ?? undefined;
}

/**
 * Whether a WebSocket upgrade may proceed given its Origin header. Requests without Origin come from
 * non-browser clients (the token guards those); a browser page may connect when it was served by
 * this server (Origin host equals the Host header) or its origin is listed in `allowed`.
 */
export function originAllowed(req: IncomingMessage, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === req.headers.host;
}

/**
 * DNS-rebinding guard for a server bound to loopback: a hostile page can make its own name resolve to
 * 127.0.0.1, and then its requests are same-origin with it; but their Host header still names the
 * hostile domain. On a loopback server only loopback names are accepted in Host.
 */
export function hostAllowed(req: IncomingMessage, listenHost: string): boolean {
  if (!isLoopbackHost(listenHost)) return true;
  const host = req.headers.host;
  if (host === undefined) return true;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  return isLoopbackHost(name);
}
