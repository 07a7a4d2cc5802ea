/**
 * One TLS connection with this peer's client certificate, whose server is verified in one of three ways:
 *   - a pinned SHA-256 fingerprint (peers and self-signed trackers): the chain is not checked, the
 *     certificate must simply be the one expected; any other is an impostor and the socket is destroyed
 *     before a byte of HTTP is written;
 *   - a CA certificate file (a tracker with a private CA): normal chain and host-name checks against it;
 *   - the system CAs (a tracker with a public certificate).
 * TLS session resumption is never used: every connection proves its certificate again.
 */
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { isIP } from 'node:net'
import { fingerprintDer } from '@flashback/identity'
import { ImpostorError, formatHostPort } from './errors.js'

export type ServerVerification =
  | { kind: 'fingerprint'; fingerprint: string }
  | { kind: 'ca'; caPem: string }
  | { kind: 'system' }

export interface ClientCertificate {
  certPem: string
  keyPem: string
}

export interface TlsConnectOptions {
  host: string
  port: number
  /** Presented to the server (mutual TLS). */
  client?: ClientCertificate | undefined
  verify: ServerVerification
  /** SNI and the name checked with CA verification; defaults to `host` when it is a name. */
  servername?: string | undefined
  /** Give up when the handshake has not finished by then (default 10 s). */
  timeoutMs?: number | undefined
  signal?: AbortSignal | undefined
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000

class ConnectTimeoutError extends Error {
  readonly code = 'ETIMEDOUT'
  constructor(where: string, ms: number) {
    super(`no TLS connection to ${where} within ${ms} ms`)
    this.name = 'ConnectTimeoutError'
  }
}

/** Open a verified TLS connection; rejects with ImpostorError when a pinned fingerprint does not match. */
export function connectTls(options: TlsConnectOptions): Promise<TLSSocket> {
  const { host, port, verify } = options
  const where = formatHostPort(host, port)
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
  return new Promise<TLSSocket>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(options.signal.reason ?? new Error('aborted'))
      return
    }
    const name = options.servername ?? (isIP(host) ? undefined : host)
    const socket = tlsConnect({
      host,
      port,
      cert: options.client?.certPem,
      key: options.client?.keyPem,
      ALPNProtocols: ['http/1.1'],
      // Pinned: the certificate is self-signed by design, so the chain cannot be checked; the fingerprint is.
      rejectUnauthorized: verify.kind !== 'fingerprint',
      ...(verify.kind === 'ca' ? { ca: verify.caPem } : {}),
      ...(name ? { servername: name } : {}),
    })
    let settled = false
    const finish = (err: Error | undefined) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      socket.removeListener('error', onError)
      socket.removeListener('secureConnect', onSecure)
      if (err) {
        socket.destroy()
        reject(err)
      } else {
        resolve(socket)
      }
    }
    const onError = (err: Error) => finish(err)
    const onAbort = () => finish(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'))
    const onSecure = () => {
      if (verify.kind === 'fingerprint') {
        const peer = socket.getPeerCertificate(true)
        const actual = peer?.raw ? fingerprintDer(new Uint8Array(peer.raw)) : ''
        if (actual !== verify.fingerprint) {
          finish(new ImpostorError(where, verify.fingerprint, actual || 'none'))
          return
        }
      }
      finish(undefined)
    }
    const timer = setTimeout(() => finish(new ConnectTimeoutError(where, timeoutMs)), timeoutMs)
    socket.once('secureConnect', onSecure)
    socket.on('error', onError)
    options.signal?.addEventListener('abort', onAbort, { once: true })
  })
}
