/**
 * Where a link inside a previewed markdown file leads. Remote content is hostile: only plain http(s) links may leave
 * the app (after asking), relative links stay inside the same peer's house, everything else is refused.
 */
import { extensionOf, isSharePath, parentPath, resolveRelativePath } from './paths.js'

export type LinkTarget =
  /** A file or folder in the same house. `hash` is a fragment to scroll to after opening, if any. */
  | { kind: 'internal'; path: string; folder: boolean; hash?: string }
  /** A fragment of the current document (`#section`). */
  | { kind: 'anchor'; id: string }
  /** An http(s) URL: ask before opening it in the system browser. */
  | { kind: 'external'; url: string }
  /** Anything else (`javascript:`, `data:`, `file:`, `mailto:`, a path above the root…): not followed. */
  | { kind: 'refused'; reason: string }

const schemeRe = /^([a-zA-Z][a-zA-Z0-9+.-]*):/

/**
 * Resolves `href` found in the markdown file at `filePath` (a share path). The decision is made on the raw href,
 * after stripping the whitespace and control characters browsers ignore (so `java\tscript:` is caught too).
 */
export function resolveMarkdownLink(href: string | undefined | null, filePath: string): LinkTarget {
  if (href === undefined || href === null) return { kind: 'refused', reason: 'empty link' }
  // Browsers drop tabs and newlines anywhere in a URL and leading/trailing C0 controls and spaces.
  // eslint-disable-next-line no-control-regex
  const cleaned = href.replace(/[\t\n\r]/g, '').replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '')
  if (cleaned === '') return { kind: 'refused', reason: 'empty link' }
  if (cleaned.startsWith('#')) {
    const id = safeDecode(cleaned.slice(1))
    return id === null || id === '' ? { kind: 'refused', reason: 'empty anchor' } : { kind: 'anchor', id }
  }
  if (cleaned.startsWith('//')) return { kind: 'refused', reason: 'protocol-relative links are not followed' }
  const scheme = schemeRe.exec(cleaned)?.[1]?.toLowerCase()
  if (scheme !== undefined) {
    if (scheme === 'http' || scheme === 'https') {
      try {
        const url = new URL(cleaned)
        if (url.username || url.password) return { kind: 'refused', reason: 'links with credentials are not followed' }
        return { kind: 'external', url: url.href }
      } catch {
        return { kind: 'refused', reason: 'malformed address' }
      }
    }
    return { kind: 'refused', reason: `${scheme}: links are not followed` }
  }
  // A relative reference: path, optional ?query (ignored) and #fragment.
  const hashAt = cleaned.indexOf('#')
  const beforeHash = hashAt >= 0 ? cleaned.slice(0, hashAt) : cleaned
  const fragment = hashAt >= 0 ? safeDecode(cleaned.slice(hashAt + 1)) : null
  const queryAt = beforeHash.indexOf('?')
  const rawPath = queryAt >= 0 ? beforeHash.slice(0, queryAt) : beforeHash
  if (rawPath.includes('\\')) return { kind: 'refused', reason: 'backslashes are not path separators' }
  const decoded = safeDecode(rawPath)
  if (decoded === null) return { kind: 'refused', reason: 'malformed address' }
  if (decoded.includes('\u0000') || decoded.includes('\\')) return { kind: 'refused', reason: 'malformed address' }
  const folder = decoded === '' || decoded.endsWith('/') || decoded === '.' || decoded === '..' || /\/\.\.?$/.test(decoded)
  const resolved = resolveRelativePath(parentPath(filePath), decoded === '' ? baseNameOrEmpty(filePath) : decoded)
  if (resolved === null) return { kind: 'refused', reason: 'the link leads outside this house' }
  if (!isSharePath(resolved)) return { kind: 'refused', reason: 'malformed address' }
  const target: LinkTarget = { kind: 'internal', path: resolved, folder }
  if (fragment) target.hash = fragment
  return target
}

/** Resolves an image source in a markdown file: only relative images of the same house are loaded. */
export function resolveMarkdownImage(src: string | undefined | null, filePath: string): { path: string } | null {
  const target = resolveMarkdownLink(src, filePath)
  if (target.kind !== 'internal' || target.folder || target.path === '') return null
  return { path: target.path }
}

/** Whether a name looks like markdown (the previewer renders these). */
export const isMarkdownName = (name: string): boolean => ['md', 'markdown', 'mdown', 'mkd'].includes(extensionOf(name))

function baseNameOrEmpty(filePath: string): string {
  return filePath.slice(filePath.lastIndexOf('/') + 1)
}

function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text)
  } catch {
    return null
  }
}
