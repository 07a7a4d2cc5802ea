/**
 * The order in which a peer's published addresses are tried: the nearest first.
 * loopback (same machine) → private LAN (RFC 1918, IPv6 ULA, IPv4 link-local) → other IPv6 → public/other.
 * Within a class the tracker's order is kept. Anything that is not a dialable IP literal is dropped.
 */
import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'

export const AddressClass = {
  loopback: 0,
  lan: 1,
  ipv6: 2,
  public: 3,
} as const
export type AddressClass = (typeof AddressClass)[keyof typeof AddressClass]

/** The class of an IP literal, or undefined when it is not one (or cannot be dialled: unspecified, multicast). */
export function classifyAddress(address: string): AddressClass | undefined {
  // node:net is strict (no "1.2.3" or octal shorthands, which ipaddr.js accepts); ipaddr.js knows the ranges.
  if (isIP(address) === 0) return undefined
  let parsed = ipaddr.parse(address)
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address()
  }
  const range = parsed.range()
  if (range === 'unspecified' || range === 'multicast' || range === 'broadcast') return undefined
  if (range === 'loopback') return AddressClass.loopback
  if (parsed.kind() === 'ipv4') {
    return range === 'private' || range === 'linkLocal' ? AddressClass.lan : AddressClass.public
  }
  // A link-local IPv6 address needs a zone id, which the tracker does not carry: it cannot be dialled.
  if (range === 'linkLocal') return undefined
  return range === 'uniqueLocal' ? AddressClass.lan : AddressClass.ipv6
}

/** A canonical spelling, so `::ffff:127.0.0.1` and `127.0.0.1` (or two IPv6 spellings) compare equal. */
export function canonicalAddress(address: string): string | undefined {
  if (isIP(address) === 0) return undefined
  const parsed = ipaddr.process(address)
  return parsed.toString()
}

/**
 * The addresses in try order, canonical and without duplicates. `preferred` (the address that answered
 * last time) goes first when it is among them.
 */
export function orderAddresses(addresses: readonly string[], preferred?: string): string[] {
  const seen = new Set<string>()
  const ranked: { address: string; cls: AddressClass; index: number }[] = []
  addresses.forEach((raw, index) => {
    const cls = classifyAddress(raw)
    const address = canonicalAddress(raw)
    if (cls === undefined || address === undefined || seen.has(address)) return
    seen.add(address)
    ranked.push({ address, cls, index })
  })
  ranked.sort((a, b) => a.cls - b.cls || a.index - b.index)
  const ordered = ranked.map((r) => r.address)
  const first = preferred === undefined ? undefined : canonicalAddress(preferred)
  if (first !== undefined && seen.has(first)) return [first, ...ordered.filter((a) => a !== first)]
  return ordered
}
