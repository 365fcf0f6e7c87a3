/**
 * The dashboard's page and its assets, served from the package (`assets/dashboard/`, built from
 * web/dashboard/ by `npm run build:dashboard` and committed, so a clone, the npm package and the
 * image all serve the same files with no build step and no network). Files are read once and kept
 * in memory with their ETag; only the files of that folder are served (a name, never a path).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { packagePath } from '../package/root.js';
import { HttpError } from '../http/errors.js';

export const ASSETS_DIR = packagePath('assets', 'dashboard');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
};

/**
 * Same-origin only: scripts, styles and API calls come from this server (no CDN, no inline
 * script); uPlot's inline sizes are set through the CSSOM, which `style-src 'self'` allows.
 */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

export class Assets {
  private files: Map<string, Asset> | undefined;

  constructor(private readonly dir: string = ASSETS_DIR) {}

  private load(): Map<string, Asset> {
    if (this.files) return this.files;
    const files = new Map<string, Asset>();
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      throw new HttpError(
        'service-unavailable',
        `The dashboard's assets are missing (${this.dir}). Fix: run 'npm run build:dashboard' in a clone, or reinstall the package.`,
      );
    }
    for (const name of names) {
      const type = TYPES[extname(name)];
      if (!type) continue;
      const body = readFileSync(join(this.dir, name));
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      files.set(name, { body, type, etag });
    }
    this.files = files;
    return files;
  }

  /** Sends `name` (304 when the client's copy is current); 404 for any other name. */
  send(req: IncomingMessage, res: ServerResponse, name: string): void {
    const asset = this.load().get(name);
    if (!asset)
      throw new HttpError('not-found', `no dashboard asset named '${name.slice(0, 100)}'.`);
    const headers: Record<string, string> = {
      'Content-Type': asset.type,
      // Revalidated on every load (cheap: 304), so a new version is picked up at once.
      'Cache-Control': 'no-cache',
      ETag: asset.etag,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    };
    if (asset.type.startsWith('text/html')) headers['Content-Security-Policy'] = PAGE_CSP;
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': String(asset.body.length) });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  }
}
