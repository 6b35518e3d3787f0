import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The browser page's files: a fixed list, so no request path ever reaches the file system. */
const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/capture-worklet.js': { file: 'capture-worklet.js', type: 'text/javascript; charset=utf-8' },
  '/playback-worklet.js': { file: 'playback-worklet.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/** `examples/browser` of this package, from src/server (tsx) or dist/src/server (built). */
export function defaultStaticDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '../../examples/browser'), resolve(here, '../../../examples/browser')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!;
}

/** `path` is the request's pathname, already parsed (see request-target.ts). */
export async function serveStatic(dir: string, req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
  const entry = FILES[path];
  if (!entry || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  try {
    const body = await readFile(join(dir, entry.file));
    res.writeHead(200, { 'content-type': entry.type, 'content-length': body.length, 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('page not installed');
  }
  return true;
}
