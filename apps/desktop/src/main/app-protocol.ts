/**
 * `app://flashback/<file>`: the UI's own files (the Vite build of apps/ui), served from one folder with the app's
 * CSP and `nosniff` on every answer (see security.ts for why a custom scheme rather than `file://`).
 * Paths are decoded once; `..`, NUL, backslashes, encoded separators and dotfiles are refused; the resolved real
 * path must stay inside the folder's real path (a symlink cannot lead out).
 */
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { APP_HOST, APP_RESPONSE_HEADERS, APP_SCHEME } from './security.js'

/** Content types of what a Vite build emits; anything else is served as bytes (and `nosniff` keeps it that way). */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
}

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream'
}

/**
 * The relative file a URL path names, or null when it is not a plain path inside the folder.
 * `/` is `index.html`.
 */
export function appFilePath(pathname: string): string | null {
  if (/%2f|%5c|%00/i.test(pathname)) return null
  let decoded: string
  try {
    decoded = decodeURIComponent(pathname)
  } catch {
    return null
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null
  const segments = decoded.split('/').filter((s, i) => !(i === 0 && s === ''))
  if (segments.length === 0 || (segments.length === 1 && segments[0] === '')) return 'index.html'
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..' || s.startsWith('.')) return null
  }
  return segments.join('/')
}

function answer(status: number, body: string | Uint8Array | null, contentType: string, extra: Record<string, string> = {}): Response {
  return new Response(body as ConstructorParameters<typeof Response>[0], { status, headers: { ...APP_RESPONSE_HEADERS, 'content-type': contentType, ...extra } })
}

/** What the window shows when apps/ui has not been built (a developer running the shell from a fresh clone). */
export const UI_MISSING_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Flashback</title></head>
<body><main><h1>Flashback's interface is not built</h1>
<p>Build it once with <code>npm run build -w @flashback/ui</code>, then start the app again.</p></main></body></html>
`

export interface AppFileHandlerOptions {
  /** The folder holding index.html and assets/ (apps/ui/dist, or resources/ui in a packaged app). */
  root: string
}

export function createAppFileHandler(options: AppFileHandlerOptions): (request: Request) => Promise<Response> {
  // Resolved once it exists (a missing build is looked for again on the next request).
  let realRoot: string | undefined
  const root = async (): Promise<string | null> => (realRoot ??= await fs.realpath(options.root).catch(() => undefined)) ?? null

  return async (request) => {
    const method = request.method.toUpperCase()
    if (method !== 'GET' && method !== 'HEAD') return answer(405, 'Method not allowed\n', 'text/plain; charset=utf-8', { allow: 'GET, HEAD' })
    let url: URL
    try {
      url = new URL(request.url)
    } catch {
      return answer(400, 'Bad request\n', 'text/plain; charset=utf-8')
    }
    if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return answer(404, 'Not found\n', 'text/plain; charset=utf-8')
    const relative = appFilePath(url.pathname)
    if (relative === null) return answer(404, 'Not found\n', 'text/plain; charset=utf-8')

    const base = await root()
    if (base === null) {
      return relative === 'index.html'
        ? answer(503, method === 'HEAD' ? null : UI_MISSING_PAGE, 'text/html; charset=utf-8')
        : answer(404, 'Not found\n', 'text/plain; charset=utf-8')
    }
    let real: string
    try {
      real = await fs.realpath(path.join(base, ...relative.split('/')))
    } catch {
      if (relative === 'index.html') return answer(503, method === 'HEAD' ? null : UI_MISSING_PAGE, 'text/html; charset=utf-8')
      return answer(404, 'Not found\n', 'text/plain; charset=utf-8')
    }
    if (real !== base && !real.startsWith(base.endsWith(path.sep) ? base : base + path.sep)) {
      return answer(404, 'Not found\n', 'text/plain; charset=utf-8')
    }
    try {
      const stat = await fs.stat(real)
      if (!stat.isFile()) return answer(404, 'Not found\n', 'text/plain; charset=utf-8')
      // The UI's files are small (a few hundred KiB): read whole, which also gives an exact Content-Length.
      const bytes = method === 'HEAD' ? null : new Uint8Array(await fs.readFile(real))
      return answer(200, bytes, contentTypeOf(real), { 'content-length': String(stat.size) })
    } catch {
      return answer(404, 'Not found\n', 'text/plain; charset=utf-8')
    }
  }
}
