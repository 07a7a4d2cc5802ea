/**
 * Security headers on every response, as Helmet writes them, for a JSON API.
 *
 * The headers are Helmet's (the `helmet` package), computed once at start-up by running its
 * middleware against a recording response, then set on each reply as one constant set.
 * @fastify/helmet would build Helmet's middleware again for every request (re-parsing the
 * Content-Security-Policy directives each time); the tracker answers the same headers to everyone,
 * so that work bought nothing and cost about a tenth of a lookup.
 */
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'
import type { IncomingMessage, ServerResponse } from 'node:http'

/**
 * What the tracker sends: the headers OWASP's REST cheat sheet asks of a JSON API, as Helmet writes
 * them. The strictest policy an API can have (it serves no page, script or frame: nothing may load,
 * nothing may frame it), HSTS, nosniff, X-Frame-Options for old browsers, and Cross-Origin-Resource-
 * Policy so no other site can pull an answer into its process. Helmet's headers that only mean
 * something for HTML documents (COOP, Origin-Agent-Cluster, Referrer-Policy, DNS prefetch, IE8's
 * X-Download-Options, Flash's cross-domain policies, the retired XSS auditor) are left out: every
 * header is validated and encrypted on every answer, and these seven protected nothing here.
 */
export const TRACKER_HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  xFrameOptions: { action: 'deny' },
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  referrerPolicy: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
}

/** The headers Helmet's middleware sets with `options` (lower-case names), and the ones it removes. */
export function helmetHeaders(options: HelmetOptions = TRACKER_HELMET_OPTIONS): { set: Record<string, string>; removed: string[] } {
  const set: Record<string, string> = {}
  const removed: string[] = []
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      set[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
      return recorder
    },
    removeHeader(name: string) {
      delete set[name.toLowerCase()]
      removed.push(name.toLowerCase())
    },
  }
  let failed: unknown
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    failed = err
  })
  if (failed) throw failed instanceof Error ? failed : new Error(String(failed))
  return { set, removed }
}

export interface SecurityHeadersOptions {
  helmet?: HelmetOptions
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The security headers every answer carries, in the order they are sent (the hot lane sends them too). */
    securityHeaders: readonly (readonly [name: string, value: string])[]
  }
}

export default fp<SecurityHeadersOptions>(
  async (app, opts) => {
    const { set } = helmetHeaders(opts.helmet)
    const headers = Object.entries(set).map(([name, value]) => [name, value] as const)
    app.decorate('securityHeaders', headers)
    app.addHook('onRequest', (_request, reply, done) => {
      for (let i = 0; i < headers.length; i++) {
        const header = headers[i] as (typeof headers)[number]
        void reply.header(header[0], header[1])
      }
      done()
    })
  },
  { name: 'flashback-security-headers', fastify: '5.x' },
)
