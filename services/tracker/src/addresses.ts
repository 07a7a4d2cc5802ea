/**
 * The addresses a peer announces: IPv4 or IPv6 literals, nothing else (no host names, ports,
 * brackets or zone ids), stored in one canonical spelling so duplicates are caught whatever the input.
 *
 * Checked with node:net (native) and formatted here: every ready carries a list of these, and
 * parsing them with ipaddr.js objects was a quarter of a ready's CPU time.
 */
import { isIPv4, isIPv6 } from 'node:net'

/** The canonical form of an IP literal, or undefined when `input` is not a plain IPv4/IPv6 literal. */
export function normalizeAddress(input: string): string | undefined {
  // node:net takes four decimal parts without leading zeros only, so "1.2.3", "0x7f.0.0.1" or
  // "010.0.0.1" (which peers might read differently) are refused, and what passes is canonical already.
  if (isIPv4(input)) return input
  if (input.length > 45 || input.includes('%')) return undefined
  // Peers announce the same addresses again with every ready: remember recent IPv6 spellings.
  const known = recentIPv6.get(input)
  if (known !== undefined) return known ?? undefined
  const normal = isIPv6(input) ? canonicalIPv6(input) : null
  if (recentIPv6.size >= RECENT_IPV6_MAX) recentIPv6.clear()
  recentIPv6.set(input, normal)
  return normal ?? undefined
}

const RECENT_IPV6_MAX = 10_000
/** input → canonical form (null: not an address). Cleared whole when full: cheap, and bounded. */
const recentIPv6 = new Map<string, string | null>()

/** The eight 16-bit groups of a valid IPv6 literal (node:net's isIPv6 has checked it). */
function ipv6Groups(input: string): number[] {
  let text = input
  const tail: number[] = []
  // An embedded IPv4 tail (::ffff:192.0.2.1, ::192.0.2.1) is two groups.
  const lastColon = text.lastIndexOf(':')
  if (text.indexOf('.', lastColon) !== -1) {
    const octets = text.slice(lastColon + 1).split('.').map(Number) as [number, number, number, number]
    tail.push((octets[0] << 8) | octets[1], (octets[2] << 8) | octets[3])
    text = text.slice(0, lastColon + 1) + '0'
    // "::1.2.3.4" became "::0": drop the placeholder group again below.
  }
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)))
  const gap = text.indexOf('::')
  let groups: number[]
  if (gap === -1) groups = parse(text)
  else {
    const head = parse(text.slice(0, gap))
    const rest = parse(text.slice(gap + 2))
    const wanted = 8 - (tail.length > 0 ? 1 : 0)
    groups = [...head, ...new Array<number>(wanted - head.length - rest.length).fill(0), ...rest]
  }
  if (tail.length > 0) groups = [...groups.slice(0, -1), ...tail]
  return groups
}

/**
 * RFC 5952 text of a valid IPv6 literal: lower-case hex without leading zeros, the longest run of
 * two or more zero groups (the first of equals) as "::"; IPv4-mapped addresses as ::ffff:a.b.c.d.
 */
function canonicalIPv6(input: string): string {
  const g = ipv6Groups(input)
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    const a = g[6] as number
    const b = g[7] as number
    return `::ffff:${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`
  }
  let bestStart = -1
  let bestLength = 1
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && g[j] === 0) j++
    if (j - i > bestLength) {
      bestStart = i
      bestLength = j - i
    }
    i = j
  }
  const hex = (from: number, to: number) => g.slice(from, to).map((n) => n.toString(16)).join(':')
  if (bestStart === -1) return hex(0, 8)
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`
}

export type AddressCheck =
  | { ok: true; addresses: string[] }
  | { ok: false; index: number; reason: 'invalid' | 'duplicate'; value: string }

/** Normalise a list of addresses, refusing invalid ones and duplicates (after normalisation). */
export function checkAddresses(inputs: readonly string[]): AddressCheck {
  const addresses: string[] = []
  for (let index = 0; index < inputs.length; index++) {
    const value = inputs[index] as string
    const normal = normalizeAddress(value)
    if (normal === undefined) return { ok: false, index, reason: 'invalid', value }
    // At most 32 entries: a linear scan beats building a Set.
    if (addresses.includes(normal)) return { ok: false, index, reason: 'duplicate', value }
    addresses.push(normal)
  }
  return { ok: true, addresses }
}
