/**
 * RELAY_TRUST_PROXY: which peers of a connection are proxies whose forwarded headers we believe.
 * A list of IPs and CIDR ranges; IPv4-mapped IPv6 addresses match their IPv4 form.
 */
import ipaddr from 'ipaddr.js'

export type TrustMatcher = (address: string | undefined) => boolean

export function makeTrustMatcher(entries: readonly string[]): TrustMatcher {
  const ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = entries.map((entry) => {
    if (entry.includes('/')) return ipaddr.parseCIDR(entry)
    const addr = ipaddr.parse(entry)
    return [addr, addr.kind() === 'ipv4' ? 32 : 128]
  })
  if (ranges.length === 0) return () => false
  return (address) => {
    if (!address || !ipaddr.isValid(address)) return false
    let addr = ipaddr.parse(address)
    if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address()
    return ranges.some(([range, bits]) => range.kind() === addr.kind() && addr.match(range, bits))
  }
}
