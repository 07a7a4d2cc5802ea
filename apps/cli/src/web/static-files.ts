/**
 * The built renderer (apps/ui/dist): `index.html` at `/`, its hashed assets, the favicon. Read-only, GET/HEAD,
 * paths decoded once and contained in the folder (realpath), no dotfiles. The UI routes with the URL's hash, so no
 * other path needs the page.
 */
import { createReadStream } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import { type IncomingMessage, type ServerResponse } from 'node:http'
import { extname, join, sep } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { sendError } from './http-util.js'
import { SECURITY_HEADERS, WEB_CONTENT_SECURITY_POLICY } from './security.js'

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
}

export interface StaticFiles {
  /** The folder's real path. */
  root: string
  /** Answers a GET/HEAD for a file of the UI; false when there is no such file (the caller answers 404). */
  serve(req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<boolean>
}

/** The share-path rules, for the UI's own files: one decoding, no `..`, no NUL or backslash, no dotfiles. */
function relativeFile(rawPath: string): string | null {
  if (rawPath === '/' || rawPath === '') return 'index.html'
  if (rawPath.length > 1024) return null
  const segments: string[] = []
  for (const raw of rawPath.replace(/^\//, '').split('/')) {
    let segment: string
    try {
      segment = decodeURIComponent(raw)
    } catch {
      return null
    }
    if (segment === '' || segment.startsWith('.') || /[\\/\0]/.test(segment)) return null
    segments.push(segment)
  }
  return segments.join('/')
}

export async function createStaticFiles(uiDir: string): Promise<StaticFiles> {
  let root: string
  try {
    root = await realpath(uiDir)
  } catch {
    throw new Error(`the web UI is not built (no ${uiDir}): run \`npm run build -w @flashback/ui\``)
  }
  const index = await stat(join(root, 'index.html')).catch(() => null)
  if (!index?.isFile()) throw new Error(`the web UI is not built (no ${join(uiDir, 'index.html')}): run \`npm run build -w @flashback/ui\``)

  return {
    root,
    async serve(req, res, rawPath) {
      const rel = relativeFile(rawPath)
      if (rel === null) return false
      let file: string
      try {
        file = await realpath(join(root, rel))
      } catch {
        return false
      }
      if (!file.startsWith(root + sep)) return false
      const info = await stat(file).catch(() => null)
      if (!info?.isFile()) return false
      const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream'
      const immutable = rel.startsWith('assets/')
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-security-policy': WEB_CONTENT_SECURITY_POLICY,
        'content-type': type,
        'content-length': info.size,
        // Vite names assets by their content hash; the page itself must always be fresh.
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-store',
      })
      if (req.method === 'HEAD') {
        res.end()
        return true
      }
      try {
        await pipeline(createReadStream(file), res)
      } catch {
        // The browser went away, or the file vanished mid-way: nothing left to answer.
        if (!res.headersSent) sendError(res, 500, 'internal_error', 'The file could not be read.')
        else res.destroy()
      }
      return true
    },
  }
}
