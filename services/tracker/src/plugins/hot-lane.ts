/**
 * The hot lane (../hot-lane/lane.ts) on the TLS listener: `app.hotLane`, to which route plugins add
 * the routes it may serve (routes/registered-route.ts), or null where it does not run:
 * - an app without its own HTTPS server (inject-only apps in tests, the plain-HTTP listener behind a
 *   TLS-terminating proxy, whose client certificate and address come from forwarded headers);
 * - an app whose client certificate does not come from the TLS connection;
 * - HOT_LANE=off (the lane's one switch, for operators who want every request through Fastify).
 */
import { Server as HttpsServer } from 'node:https'
import type { TLSSocket } from 'node:tls'
import fp from 'fastify-plugin'
import { HotLane } from '../hot-lane/lane.js'
import { socketClientAddress } from './client-address.js'
import { socketCertificate } from './client-certificate.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The hot lane of this app's TLS listener; null when it does not run. */
    hotLane: HotLane | null
  }
}

export interface HotLanePluginOptions {
  enabled: boolean
  bodyLimit: number
  now: () => number
  /** Log one debug line per request served in the lane (as the Fastify path does at debug level). */
  logRequests: boolean
}

/** Node's HTTP handling of a TLS connection: the listener https.Server installs for 'secureConnection'. */
function nodeConnectionListener(server: HttpsServer): ((this: HttpsServer, socket: TLSSocket) => void) | undefined {
  const listeners = server.listeners('secureConnection').filter((l) => l.name === 'connectionListener')
  return listeners.length === 1 ? (listeners[0] as (this: HttpsServer, socket: TLSSocket) => void) : undefined
}

export default fp<HotLanePluginOptions>(
  async (app, opts) => {
    const server = app.server
    let lane: HotLane | null = null
    if (opts.enabled && server instanceof HttpsServer) {
      const nodeListener = nodeConnectionListener(server)
      if (nodeListener === undefined) {
        // Node's https.Server changed shape: serve everything through Fastify rather than guess.
        app.log.warn('hot lane off: this Node version does not install the HTTP connection listener the lane hands connections to')
      } else {
        const hot = new HotLane({
          server,
          nodeListener,
          securityHeaders: app.securityHeaders,
          certificateOf: socketCertificate,
          addressOf: socketClientAddress,
          resolveCaller: app.resolveCaller,
          rateLimiter: app.rateLimiter,
          bodyLimit: opts.bodyLimit,
          now: opts.now,
          log: app.log,
          logRequests: opts.logRequests,
        })
        server.removeListener('secureConnection', nodeListener)
        server.on('secureConnection', (socket: TLSSocket) => hot.accept(socket))
        lane = hot
      }
    }
    app.decorate('hotLane', lane)
    app.addHook('preClose', (done) => {
      lane?.close()
      done()
    })
  },
  {
    name: 'flashback-hot-lane',
    fastify: '5.x',
    dependencies: ['flashback-client-certificate', 'flashback-rate-limit', 'flashback-security-headers', 'flashback-store'],
  },
)
