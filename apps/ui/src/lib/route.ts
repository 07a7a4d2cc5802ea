/**
 * Hash routes, so the same build works from `file://`, from Electron's custom protocol and from web mode's `/`:
 *   #/peers                        everyone online and my friends
 *   #/peer/<email>/<path…>         visiting a peer's house (a folder or a file)
 *   #/peer/<email>/<path…>?at=<id> a markdown file, scrolled to the heading a link's fragment named
 *   #/house/<path…>                my own house
 *   #/search, #/search?name=<text>, #/search?sha256=<hex>
 *                                  searching the tracker's file registry (the term in the hash, so it survives a reload)
 *   #/downloads, #/settings
 * Each segment is percent-encoded once (so a raw `?` only ever starts the options).
 */
import { isSharePath } from './paths.js'

export type Route =
  | { name: 'peers' }
  | { name: 'peer'; email: string; path: string; anchor?: string }
  | { name: 'house'; path: string }
  | { name: 'search'; by?: SearchBy; q?: string }
  | { name: 'downloads' }
  | { name: 'settings' }

export type SearchBy = 'name' | 'sha256'

export const defaultRoute: Route = { name: 'peers' }

const encodePath = (path: string) => (path === '' ? '' : path.split('/').map(encodeURIComponent).join('/'))

export function routeToHash(route: Route): string {
  switch (route.name) {
    case 'peer': {
      const base = `#/peer/${encodeURIComponent(route.email)}${route.path === '' ? '' : `/${encodePath(route.path)}`}`
      return route.anchor ? `${base}?at=${encodeURIComponent(route.anchor)}` : base
    }
    case 'house':
      return `#/house${route.path === '' ? '' : `/${encodePath(route.path)}`}`
    case 'search':
      return route.q ? `#/search?${route.by ?? 'name'}=${encodeURIComponent(route.q)}` : '#/search'
    default:
      return `#/${route.name}`
  }
}

/** Parses a location hash; anything unknown or malformed gives the default route. */
export function parseHash(hash: string): Route {
  const full = hash.replace(/^#\/?/, '')
  const query = full.indexOf('?')
  const raw = query < 0 ? full : full.slice(0, query)
  const options = new URLSearchParams(query < 0 ? '' : full.slice(query + 1))
  const parts = raw === '' ? [] : raw.split('/')
  let decoded: string[]
  try {
    decoded = parts.map((p) => decodeURIComponent(p))
  } catch {
    return defaultRoute
  }
  const [head, ...rest] = decoded
  switch (head) {
    case 'peers':
    case 'downloads':
    case 'settings':
      return { name: head }
    case 'search': {
      for (const by of ['name', 'sha256'] as const) {
        const q = options.get(by)
        if (q && q.length <= 1024) return { name: 'search', by, q }
      }
      return { name: 'search' }
    }
    case 'house': {
      const path = rest.filter((s) => s !== '').join('/')
      return isSharePath(path) ? { name: 'house', path } : { name: 'house', path: '' }
    }
    case 'peer': {
      const [email, ...segments] = rest
      if (!email || !email.includes('@')) return defaultRoute
      const path = segments.filter((s) => s !== '').join('/')
      if (segments.some((s) => s.includes('/'))) return { name: 'peer', email, path: '' }
      if (!isSharePath(path)) return { name: 'peer', email, path: '' }
      const anchor = options.get('at')
      return anchor && path !== '' && anchor.length <= 512 ? { name: 'peer', email, path, anchor } : { name: 'peer', email, path }
    }
    default:
      return defaultRoute
  }
}

export function sameRoute(a: Route, b: Route): boolean {
  return routeToHash(a) === routeToHash(b)
}
