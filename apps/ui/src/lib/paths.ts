/**
 * Share paths as the bridge uses them: '/'-separated from the share root, no leading or trailing slash, '' for the
 * root. Pure helpers, shared by the browser screens and markdown link resolution.
 */

/** Joins a folder path and a name (or a relative sub-path) without doubling slashes. */
export function joinPath(folder: string, name: string): string {
  if (folder === '') return name
  if (name === '') return folder
  return `${folder}/${name}`
}

/** The folder that holds `path`; the root's parent is the root. */
export function parentPath(path: string): string {
  const at = path.lastIndexOf('/')
  return at < 0 ? '' : path.slice(0, at)
}

/** The last segment ('' for the root). */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

/** The lower-case extension without its dot ('' when there is none; dotfiles like `.env` have none). */
export function extensionOf(name: string): string {
  const base = baseName(name)
  const dot = base.lastIndexOf('.')
  return dot <= 0 ? '' : base.slice(dot + 1).toLowerCase()
}

export interface Crumb {
  /** What to show: the root's label, then each folder name. */
  label: string
  /** The path this crumb leads to. */
  path: string
}

/** Breadcrumbs from the root to `path` (inclusive): [root, a, a/b, …]. */
export function breadcrumbs(path: string, rootLabel: string): Crumb[] {
  const crumbs: Crumb[] = [{ label: rootLabel, path: '' }]
  if (path === '') return crumbs
  let acc = ''
  for (const segment of path.split('/')) {
    acc = joinPath(acc, segment)
    crumbs.push({ label: segment, path: acc })
  }
  return crumbs
}

/**
 * Resolves a relative reference against a folder, like a browser resolves a relative URL against a directory:
 * '.' and '..' segments are applied, empty segments dropped. Returns null when the result would climb above the
 * share root (a link that leaves the house). A leading '/' means the share root.
 */
export function resolveRelativePath(fromFolder: string, reference: string): string | null {
  const absolute = reference.startsWith('/')
  const segments = absolute ? [] : fromFolder === '' ? [] : fromFolder.split('/')
  for (const part of reference.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (segments.length === 0) return null
      segments.pop()
      continue
    }
    segments.push(part)
  }
  return segments.join('/')
}

/** True when `path` is a valid share path (the same rules as the bridge's SharePath schema). */
export function isSharePath(path: string): boolean {
  if (path === '') return true
  if (path.length > 4096 || path.includes('\\') || path.includes('\u0000')) return false
  return path.split('/').every((s) => s !== '' && s !== '.' && s !== '..')
}
