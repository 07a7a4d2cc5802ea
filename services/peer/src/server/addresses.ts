/**
 * The addresses a peer announces: with bindAll, this machine's own non-loopback IPv4 and IPv6
 * addresses (link-local IPv6 left out: it needs a zone id nobody else can use); else loopback only.
 */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os'
import ipaddr from 'ipaddr.js'

export function announcedAddresses(
  bindAll: boolean,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): string[] {
  if (!bindAll) return ['127.0.0.1']
  const seen = new Set<string>()
  for (const infos of Object.values(interfaces)) {
    for (const info of infos ?? []) {
      if (info.internal || !ipaddr.isValid(info.address)) continue
      const parsed = ipaddr.parse(info.address)
      const range = parsed.range()
      if (range === 'loopback' || range === 'linkLocal' || range === 'unspecified') continue
      seen.add(parsed.kind() === 'ipv6' ? parsed.toString() : info.address)
    }
  }
  return [...seen]
}
