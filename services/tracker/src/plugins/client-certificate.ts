/**
 * Who is calling: the TLS layer asks for a client certificate (requestCert) but accepts any;
 * this plugin reads the certificate the connection presented, fingerprints its DER (the identity),
 * and offers `app.requireRegistered` for routes that need a registered one.
 *
 * Where the certificate comes from is a `ClientCertificateSource`: the TLS socket in production,
 * a trusted proxy's forwarded header on the plain-HTTP listener, a test double with `inject`.
 */
import { Server as TlsServer, TLSSocket } from 'node:tls'
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { fingerprintDer } from '@flashback/identity'
import { ClientCertificateRequired, NotRegistered } from '../errors.js'
import type { ClientRecord } from '../store/types.js'

/** A registered caller as routes see it: the identity without its certificate (kept in the store). */
export type Caller = Omit<ClientRecord, 'certificatePem'>

export interface PresentedCertificate {
  /** SHA-256 of the DER, lower-case hex: the identity. */
  fingerprint: string
  /** The DER, when known (a proxy may forward only the hash). */
  der?: Uint8Array
}

/**
 * The client certificate behind a request: its DER, or (from a proxy that forwards only a hash) its
 * fingerprint; undefined when there is none.
 */
export type ClientCertificateSource = (request: FastifyRequest) => Uint8Array | PresentedCertificate | undefined

function toPresented(found: Uint8Array | PresentedCertificate | undefined): PresentedCertificate | null {
  if (!found) return null
  return found instanceof Uint8Array ? { der: found, fingerprint: fingerprintDer(found) } : found
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The certificate the client presented (null: none). */
    clientCertificate: PresentedCertificate | null
    /** The registered identity (set by app.requireRegistered). */
    client: Caller | null
  }
  interface FastifyInstance {
    /** onRequest/preHandler hook: 401 without a certificate, 403 when it is not registered; sets request.client. */
    requireRegistered: (request: FastifyRequest, reply: FastifyReply, done: HookDone) => void
    /** onRequest/preHandler hook: 401 without a certificate. */
    requireCertificate: (request: FastifyRequest, reply: FastifyReply, done: HookDone) => void
    /**
     * The registered identity of a certificate fingerprint, or undefined: from memory when known
     * (synchronously), else a promise of the store's answer. requireRegistered and the hot lane ask this.
     */
    resolveCaller: (fingerprint: string) => Caller | undefined | Promise<Caller | undefined>
  }
}

type HookDone = (err?: Error) => void

const notRegistered = () => new NotRegistered('this certificate is not registered: POST /api/relay/register first')

const fromSocket = new WeakMap<object, PresentedCertificate | null>()

/**
 * The certificate of the TLS connection. Renegotiation is disabled on the server (see below), so a
 * connection's certificate never changes and is fingerprinted once per connection, not per request.
 */
export const tlsClientCertificate: ClientCertificateSource = (request) => {
  const socket = request.raw.socket
  return socket instanceof TLSSocket ? (socketCertificate(socket) ?? undefined) : undefined
}

/** The certificate a TLS connection presented (null: none), fingerprinted once per connection. */
export function socketCertificate(socket: TLSSocket): PresentedCertificate | null {
  const cached = fromSocket.get(socket)
  if (cached !== undefined) return cached
  // The X509Certificate form: the DER without building the parsed-object tree getPeerCertificate() makes.
  const raw = socket.getPeerX509Certificate()?.raw
  const presented = toPresented(raw && raw.length > 0 ? new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) : undefined)
  fromSocket.set(socket, presented)
  return presented
}

function presentedFromSocket(request: FastifyRequest, source: ClientCertificateSource): PresentedCertificate | null {
  const socket = request.raw.socket
  if (source === tlsClientCertificate && socket instanceof TLSSocket) return socketCertificate(socket)
  return toPresented(source(request))
}

export interface ClientCertificatePluginOptions {
  source: ClientCertificateSource
  /** Request headers deleted before anything reads them (forwarded-certificate headers on the TLS listener). */
  stripHeaders?: readonly string[]
  /** How many registered identities to keep in memory (registrations never change, so this is safe). */
  cacheSize?: number
}

export default fp<ClientCertificatePluginOptions>(
  async (app, opts) => {
    const source = opts.source
    const cacheSize = opts.cacheSize ?? 10_000
    // Positive answers only: a registration made on another replica must be seen at once.
    // Without the PEM: 10,000 cached callers would otherwise hold ~10 MB of certificates nobody reads.
    const registered = new Map<string, Caller>()

    if (app.server instanceof TlsServer) {
      // A client could otherwise renegotiate mid-connection and present another certificate.
      app.server.on('secureConnection', (socket: TLSSocket) => socket.disableRenegotiation())
    }

    app.decorateRequest('clientCertificate', null)
    app.decorateRequest('client', null)
    const strip = opts.stripHeaders ?? []
    app.addHook('onRequest', (request, _reply, done) => {
      for (const name of strip) delete request.headers[name]
      request.clientCertificate = presentedFromSocket(request, source)
      done()
    })

    app.decorate('requireCertificate', (request: FastifyRequest, _reply: FastifyReply, done: HookDone) => {
      done(request.clientCertificate ? undefined : new ClientCertificateRequired())
    })

    const resolveCaller = (fingerprint: string): Caller | undefined | Promise<Caller | undefined> => {
      const known = registered.get(fingerprint)
      if (known) return known
      return app.store.getClientByFingerprint(fingerprint).then((client) => {
        if (!client) return undefined
        if (registered.size >= cacheSize) registered.delete(registered.keys().next().value as string)
        const caller: Caller = { id: client.id, email: client.email, fingerprint: client.fingerprint, registeredAt: client.registeredAt }
        registered.set(fingerprint, caller)
        return caller
      })
    }
    app.decorate('resolveCaller', resolveCaller)

    // Callback-style: a known identity (the common case) is answered from memory without a promise.
    app.decorate('requireRegistered', (request: FastifyRequest, _reply: FastifyReply, done: HookDone) => {
      const presented = request.clientCertificate
      if (!presented) return done(new ClientCertificateRequired())
      const found = resolveCaller(presented.fingerprint)
      if (!(found instanceof Promise)) {
        if (!found) return done(notRegistered())
        request.client = found
        return done()
      }
      found.then(
        (caller) => {
          if (!caller) return done(notRegistered())
          request.client = caller
          done()
        },
        (err: Error) => done(err),
      )
    })
  },
  { name: 'flashback-client-certificate', fastify: '5.x', dependencies: ['flashback-store'] },
)
