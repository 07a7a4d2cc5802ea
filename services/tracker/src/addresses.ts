/**
 * The addresses a peer announces: IPv4 or IPv6 literals, nothing else (no host names, ports,
 * brackets or zone ids), stored in one canonical spelling so duplicates are caught whatever the input.
 */
import ipaddr from 'ipaddr.js'

/** The canonical form of an IP literal, or undefined when `input` is not a plain IPv4/IPv6 literal. */
export function normalizeAddress(input: string): string | undefined {
  if (input.includes('%')) return undefined
  // Four decimal parts only: ipaddr would also take "1.2.3", "0x7f.1" or octal forms, which peers may read differently.
  if (ipaddr.IPv4.isValidFourPartDecimal(input)) return ipaddr.IPv4.parse(input).toString()
  if (!input.includes(':') || !ipaddr.IPv6.isValid(input)) return undefined
  const v6 = ipaddr.IPv6.parse(input)
  return v6.isIPv4MappedAddress() ? `::ffff:${v6.toIPv4Address().toString()}` : v6.toRFC5952String()
}

export type AddressCheck =
  | { ok: true; addresses: string[] }
  | { ok: false; index: number; reason: 'invalid' | 'duplicate'; value: string }

/** Normalise a list of addresses, refusing invalid ones and duplicates (after normalisation). */
export function checkAddresses(inputs: readonly string[]): AddressCheck {
  const seen = new Set<string>()
  const addresses: string[] = []
  for (const [index, value] of inputs.entries()) {
    const normal = normalizeAddress(value)
    if (normal === undefined) return { ok: false, index, reason: 'invalid', value }
    if (seen.has(normal)) return { ok: false, index, reason: 'duplicate', value }
    seen.add(normal)
    addresses.push(normal)
  }
  return { ok: true, addresses }
}
