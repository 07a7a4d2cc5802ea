/**
 * Hash routes, so the same build works from `file://`, from Electron's custom protocol and from web mode's `/`:
 *   #/peers                        everyone online and my friends
 *   #/peer/<email>/<path…>         visiting a peer's house (a folder or a file)
 *   #/house/<path…>                my own house
 *   #/downloads, #/settings
 * Each segment is percent-encoded once.
 */
import { isSharePath } from './paths.js'

export type Route =
  | { name: 'peers' }
  | { name: 'peer'; email: string; path: string }
  | { name: 'house'; path: string }
  | { name: 'downloads' }
  | { name: 'settings' }

export const defaultRoute: Route = { name: 'peers' }

const encodePath = (path: string) => (path === '' ? '' : path.split('/').map(encodeURIComponent).join('/'))

export function routeToHash(route: Route): string {
  switch (route.name) {
    case 'peer':
      return `#/peer/${encodeURIComponent(route.email)}${route.path === '' ? '' : `/${encodePath(route.path)}`}`
    case 'house':
      return `#/house${route.path === '' ? '' : `/${encodePath(route.path)}`}`
    default:
      return `#/${route.name}`
  }
}

/** Parses a location hash; anything unknown or malformed gives the default route. */
export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '')
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
    case 'house': {
      const path = rest.filter((s) => s !== '').join('/')
      return isSharePath(path) ? { name: 'house', path } : { name: 'house', path: '' }
    }
    case 'peer': {
      const [email, ...segments] = rest
      if (!email || !email.includes('@')) return defaultRoute
      const path = segments.filter((s) => s !== '').join('/')
      if (segments.some((s) => s.includes('/'))) return { name: 'peer', email, path: '' }
      return { name: 'peer', email, path: isSharePath(path) ? path : '' }
    }
    default:
      return defaultRoute
  }
}

export function sameRoute(a: Route, b: Route): boolean {
  return routeToHash(a) === routeToHash(b)
}
