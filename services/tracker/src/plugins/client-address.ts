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
    app.addHook('onRequest', async (request) => {
      request.clientAddress = resolveClientAddress(request.raw.socket?.remoteAddress, request.headers, trusted)
    })
  },
  { name: 'flashback-client-address', fastify: '5.x' },
)
