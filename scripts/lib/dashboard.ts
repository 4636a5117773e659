/**
 * The dashboard's build and its local server. The server does what Firebase Hosting does in
 * production: serves `dashboard/dist` with a single-page fallback and the same security
 * headers, answers `/__/firebase/init.json`, and forwards `/v1/*` to the `api` function (the
 * Hosting rewrite), so the page and the api share one origin and need no CORS.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from './stack';

/** Where `vite build` writes the dashboard. */
export const DASHBOARD_DIST = join(ROOT, 'dashboard', 'dist');

/** Most gzipped JavaScript the first page may ship (Firebase Auth included). */
export const FIRST_PAGE_BUDGET_BYTES = 200 * 1024;

/**
 * The JavaScript and CSS the first page loads, gzipped, from Vite's manifest: the entry, what it
 * imports, and what it imports on demand (Firebase Auth, which every page loads right after).
 */
export function measureFirstPage(dist = DASHBOARD_DIST): { js: number; css: number; files: string[] } {
  const manifest = JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8')) as Record<
    string,
    { file: string; imports?: string[]; dynamicImports?: string[]; css?: string[]; isEntry?: boolean }
  >;
  const entry = Object.entries(manifest).find(([, chunk]) => chunk.isEntry);
  if (entry === undefined) throw new Error('the dashboard build has no entry chunk');
  const seen = new Set<string>();
  const css = new Set<string>();
  const visit = (id: string) => {
    const chunk = manifest[id];
    if (chunk === undefined || seen.has(chunk.file)) return;
    seen.add(chunk.file);
    for (const c of chunk.css ?? []) css.add(c);
    for (const dep of [...(chunk.imports ?? []), ...(chunk.dynamicImports ?? [])]) visit(dep);
  };
  visit(entry[0]);
  const gz = (file: string) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
  return {
    js: [...seen].reduce((sum, f) => sum + gz(f), 0),
    css: [...css].reduce((sum, f) => sum + gz(f), 0),
    files: [...seen, ...css],
  };
}

/** Builds the dashboard with Vite and prints the first page's weight; fails over the budget. */
export async function buildDashboard(options: { quiet?: boolean } = {}): Promise<void> {
  // Vite ships ES modules only, which this CommonJS project's type resolution cannot name.
  const vite = 'vite';
  const { build } = (await import(vite)) as { build(config: Record<string, unknown>): Promise<unknown> };
  await build({
    configFile: join(ROOT, 'dashboard', 'vite.config.mts'),
    logLevel: options.quiet ? 'warn' : 'info',
    build: { manifest: true },
  });
  const weight = measureFirstPage();
  console.log(
    `Dashboard first page: ${(weight.js / 1024).toFixed(1)} KB gzipped JavaScript (budget ${FIRST_PAGE_BUDGET_BYTES / 1024} KB), ${(weight.css / 1024).toFixed(1)} KB gzipped CSS`,
  );
  if (weight.js > FIRST_PAGE_BUDGET_BYTES)
    throw new Error(`the dashboard's first page ships ${weight.js} gzipped bytes of JavaScript, over the budget`);
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** The Content-Security-Policy of the page; `firebase.json` sends the production one. */
export function contentSecurityPolicy(extraConnect: string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: https://lh3.googleusercontent.com",
    `connect-src 'self' https://identitytoolkit.googleapis.com https://securetoken.googleapis.com${extraConnect.map((c) => ' ' + c).join('')}`,
    'frame-src https://*.firebaseapp.com https://*.web.app https://accounts.google.com',
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** A running local dashboard server. */
export interface DashboardServer {
  url: string;
  stop(): Promise<void>;
}

/** The decoded form of a URL path, or null when its percent-encoding is not valid UTF-8. */
function decodePath(pathname: string): string | null {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return null;
  }
}

/** Serves the built dashboard like Hosting does, forwarding `/v1/*` to `apiUrl`. */
export async function serveDashboard(options: {
  port?: number;
  apiUrl: string;
  projectId: string;
  authEmulatorHost: string;
  ingestUrl: string;
  dist?: string;
}): Promise<DashboardServer> {
  const dist = options.dist ?? DASHBOARD_DIST;
  if (!existsSync(join(dist, 'index.html'))) throw new Error(`${dist} has no index.html: build the dashboard first`);
  const authEmulatorUrl = `http://${options.authEmulatorHost}`;
  const csp = contentSecurityPolicy([authEmulatorUrl]);
  const api = new URL(options.apiUrl);
  const json = (body: unknown) => JSON.stringify(body);
  const generated: Record<string, string> = {
    // The emulator ignores the key's value; Hosting serves the real one in production.
    '/__/firebase/init.json': json({ apiKey: 'fake-api-key', projectId: options.projectId, authDomain: '127.0.0.1' }),
    '/config.json': json({ ingestUrl: options.ingestUrl, authEmulatorUrl }),
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/v1/')) {
      const upstream = httpRequest(
        { host: api.hostname, port: api.port, method: req.method, path: url.pathname + url.search, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'application/json' });
        res.end(json({ error: { code: 'bad_gateway', message: 'The local api function is not answering.' } }));
      });
      // A browser that goes away mid-upload must not leave an 'error' nobody listens to.
      req.on('error', () => upstream.destroy());
      req.pipe(upstream);
      return;
    }
    const headers: Record<string, string> = {
      'Content-Security-Policy': csp,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'strict-origin-when-cross-origin',
    };
    const body = generated[url.pathname];
    if (body !== undefined) {
      res.writeHead(200, { ...headers, 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end(body);
      return;
    }
    const decoded = decodePath(url.pathname);
    if (decoded === null) {
      res.writeHead(400, { ...headers, 'Content-Type': 'text/plain' });
      res.end('Bad request: the path is not valid percent-encoded UTF-8');
      return;
    }
    const file = normalize(join(dist, decoded));
    const inside = file.startsWith(dist + sep);
    const isFile = inside && existsSync(file) && statSync(file).isFile();
    // Deep links (/p/…/issues/…) get the app, which reads the URL; a missing asset is a real 404.
    // Under /p/ everything is the app's, as on Hosting: a release page's version (/p/…/releases/2.3.0) looks like an extension.
    if (!isFile && extname(url.pathname) !== '' && !url.pathname.startsWith('/p/')) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' });
      res.end('Not found');
      return;
    }
    const path = isFile ? file : join(dist, 'index.html');
    res.writeHead(200, {
      ...headers,
      'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream',
      'Cache-Control': path.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    res.end(readFileSync(path));
  };
  // Any page the developer visits can send this server requests (an <img> will do): whatever
  // one of them makes go wrong is answered and logged, and the stack keeps serving.
  const server: Server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      console.error(`dashboard server: ${req.method} ${req.url}: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('Internal error');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
