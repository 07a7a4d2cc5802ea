/**
 * Who the client is, address-wise, when proxies may stand in between (RELAY_TRUST_PROXY).
 *
 * Only when the connection comes from a trusted proxy are forwarded headers believed: then
 * `cf-connecting-ip` (set by Cloudflare, which overwrites a client's own), else the right-most
 * `x-forwarded-for` entry that is not itself a trusted proxy (entries left of it were written by
 * whoever sent the request and prove nothing). From anyone else both headers are ignored.
 *
 * The address is used for rate limits, logs and as the "observed" address that replaces an
 * unspecified one (0.0.0.0, ::) in a ready, as Syncthing's discovery server does.
 */
import { normalizeAddress } from './addresses.js'
import type { TrustMatcher } from './trust-proxy.js'

/** An IP literal in canonical form, IPv4-mapped IPv6 as IPv4; undefined for anything else. */
export function canonicalClientIp(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (trimmed === '' || trimmed.length > 45) return undefined
  const normal = normalizeAddress(trimmed)
  if (normal === undefined) return undefined
  return normal.startsWith('::ffff:') && normal.includes('.') ? normal.slice(7) : normal
}

function headerValue(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined
  return Array.isArray(value) ? value.join(',') : value
}

/**
 * The client address of a request that arrived from `socketAddress` with `headers`.
 * Never throws; an unparseable socket address is returned as is.
 */
export function resolveClientAddress(
  socketAddress: string | undefined,
  headers: Record<string, string | string[] | undefined>,
  trusted: TrustMatcher,
): string {
  const peer = canonicalClientIp(socketAddress) ?? socketAddress ?? ''
  if (!trusted(peer)) return peer
  const cf = headerValue(headers['cf-connecting-ip'])
  // Several values (a repeated header) cannot all be Cloudflare's: then it is not used.
  const cfAddress = cf !== undefined && !cf.includes(',') ? canonicalClientIp(cf) : undefined
  if (cfAddress !== undefined) return cfAddress
  const forwarded = headerValue(headers['x-forwarded-for'])
  if (forwarded === undefined) return peer
  const hops = forwarded.split(',')
  let client = peer
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = canonicalClientIp(hops[i])
    // A malformed entry ends the walk: what stands left of it cannot be trusted either.
    if (hop === undefined) break
    client = hop
    if (!trusted(hop)) break
  }
  return client
}

const UNSPECIFIED = new Set(['0.0.0.0', '::'])

/**
 * A ready's addresses with every unspecified one (0.0.0.0, ::) replaced by the observed client
 * address; a replacement already in the list is dropped rather than duplicated. Other entries are
 * left for the usual validation.
 */
export function replaceUnspecified(addresses: readonly string[], observed: string | undefined): readonly string[] {
  // The common case first, and cheaply: nothing to replace.
  if (!addresses.some((a) => UNSPECIFIED.has(normalizeAddress(a) ?? ''))) return addresses
  const client = canonicalClientIp(observed)
  if (client === undefined) return addresses
  const out: string[] = []
  const seen = new Set(addresses.map((a) => normalizeAddress(a) ?? a))
  let placed = false
  for (const address of addresses) {
    if (!UNSPECIFIED.has(normalizeAddress(address) ?? '')) {
      out.push(address)
      continue
    }
    if (placed || seen.has(client)) continue
    out.push(client)
    placed = true
  }
  return out
}
