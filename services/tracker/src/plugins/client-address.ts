/**
 * `request.clientAddress`: the client's IP as ../client-address.ts resolves it (forwarded headers
 * believed only from RELAY_TRUST_PROXY peers, and only on the listener built to sit behind them).
 */
import fp from 'fastify-plugin'
import { resolveClientAddress } from '../client-address.js'
import { makeTrustMatcher } from '../trust-proxy.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The client's IP (canonical; IPv4-mapped IPv6 shown as IPv4). */
    clientAddress: string
  }
}

const bySocket = new WeakMap<object, string>()
const trustNobody = makeTrustMatcher([])

/**
 * The client address of a connection that no proxy stands in front of: its peer's, canonical.
 * The same for every request of a keep-alive connection, so it is worked out once per connection.
 */
export function socketClientAddress(socket: { remoteAddress?: string }): string {
  let address = bySocket.get(socket)
  if (address === undefined) {
    address = resolveClientAddress(socket.remoteAddress, {}, trustNobody)
    bySocket.set(socket, address)
  }
  return address
}

export interface ClientAddressPluginOptions {
  /** Proxies (IPs/CIDRs) whose forwarded headers are believed; empty = the socket's peer, always. */
  trustProxy: readonly string[]
}

export default fp<ClientAddressPluginOptions>(
  async (app, opts) => {
    const trusted = makeTrustMatcher(opts.trustProxy)
    app.decorateRequest('clientAddress', '')
    if (opts.trustProxy.length === 0) {
      // No proxy to believe: the address is the socket's peer.
      app.addHook('onRequest', (request, _reply, done) => {
        const socket = request.raw.socket
        request.clientAddress = socket ? socketClientAddress(socket) : resolveClientAddress(undefined, request.headers, trusted)
        done()
      })
      return
    }
    app.addHook('onRequest', (request, _reply, done) => {
      request.clientAddress = resolveClientAddress(request.raw.socket?.remoteAddress, request.headers, trusted)
      done()
    })
  },
  { name: 'flashback-client-address', fastify: '5.x' },
)
