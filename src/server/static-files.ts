/**
 * The dashboard's static files (built by `npm run build:dashboard` into dist/dashboard/). Only files
 * inside the directory are served; unknown paths without an extension get index.html (one-page app).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/**
 * Browsers may load only this server's scripts and styles and open WebSockets back to it.
 * 'unsafe-inline' styles: uPlot positions its cursor and legend with inline style attributes.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** dist/dashboard of the package this module belongs to (works from src/ under tsx and from dist/). */
export function defaultDashboardDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'dashboard');
    dir = dirname(dir);
  }
  return resolve('dist', 'dashboard');
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Earshot</title>
<body style="font:16px system-ui;background:#0f1216;color:#d8dee6;padding:3em">
<h1>Earshot</h1><p>The dashboard is not built. Run <code>npm run build:dashboard</code> and reload.</p>
<p>The live feed (<code>/feed</code>), ingest (<code>/ingest</code>) and <code>/metrics</code> work without it.</p></body>`;

export function serveStatic(req: IncomingMessage, res: ServerResponse, root: string | null): void {
  const headers = { 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    res.writeHead(400, headers).end('bad path');
    return;
  }
  const index = root === null ? undefined : join(root, 'index.html');
  if (root === null || !existsSync(index!)) {
    if (pathname === '/' || pathname === '/index.html') res.writeHead(200, { ...headers, 'Content-Type': TYPES['.html'] }).end(NOT_BUILT);
    else res.writeHead(404, headers).end('not found');
    return;
  }
  const rootAbs = resolve(root);
  let file = resolve(rootAbs, `.${normalize(`/${pathname}`)}`);
  if (file !== rootAbs && !file.startsWith(rootAbs + sep)) {
    res.writeHead(404, headers).end('not found');
    return;
  }
  let stat = existsSync(file) ? statSync(file) : undefined;
  if (stat?.isDirectory()) {
    file = join(file, 'index.html');
    stat = existsSync(file) ? statSync(file) : undefined;
  }
  if (!stat) {
    if (extname(pathname) !== '') {
      res.writeHead(404, headers).end('not found');
      return;
    }
    file = index!;
    stat = statSync(file);
  }
  const ext = extname(file);
  // Vite puts a content hash in asset names: those never change; index.html must be revalidated.
  const cache = file.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache';
  res.writeHead(200, { ...headers, 'Content-Type': TYPES[ext] ?? 'application/octet-stream', 'Content-Length': stat.size, 'Cache-Control': cache });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).pipe(res);
}
