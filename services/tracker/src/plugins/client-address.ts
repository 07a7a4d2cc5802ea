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

export interface ClientAddressPluginOptions {
  /** Proxies (IPs/CIDRs) whose forwarded headers are believed; empty = the socket's peer, always. */
  trustProxy: readonly string[]
}

export default fp<ClientAddressPluginOptions>(
  async (app, opts) => {
    const trusted = makeTrustMatcher(opts.trustProxy)
    app.decorateRequest('clientAddress', '')
    if (opts.trustProxy.length === 0) {
      // No proxy to believe: the address is the socket's peer, the same for every request of a
      // keep-alive connection, so it is parsed once per connection.
      const bySocket = new WeakMap<object, string>()
      app.addHook('onRequest', (request, _reply, done) => {
        const socket = request.raw.socket
        let address = socket ? bySocket.get(socket) : undefined
        if (address === undefined) {
          address = resolveClientAddress(socket?.remoteAddress, request.headers, trusted)
          if (socket) bySocket.set(socket, address)
        }
        request.clientAddress = address
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
