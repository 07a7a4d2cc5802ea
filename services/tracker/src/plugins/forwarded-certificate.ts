/**
 * Client certificates forwarded by a TLS-terminating proxy, for the plain-HTTP listener
 * (RELAY_HTTP_PORT). Believed only when the connection comes from a RELAY_TRUST_PROXY address;
 * on the TLS listener these headers are stripped and never read.
 *
 * - RFC 9440 `Client-Cert: :<base64 DER>:` (a structured-field byte sequence)
 * - Envoy `X-Forwarded-Client-Cert: …;Hash=<sha256 hex>;Cert="<url-encoded PEM>";…` (last element)
 * - nginx `X-SSL-Cert: $ssl_client_escaped_cert` (url-encoded PEM; the older $ssl_client_cert form too)
 */
import { fingerprintDer, InvalidCertificateError, normalizeFingerprint, pemToDer } from '@flashback/identity'
import type { ClientCertificateSource, PresentedCertificate } from './client-certificate.js'
import type { TrustMatcher } from '../trust-proxy.js'

export const FORWARDED_CERTIFICATE_HEADERS = ['client-cert', 'x-forwarded-client-cert', 'x-ssl-cert'] as const

/** RFC 9440 / RFC 8941 byte sequence: `:base64:`. */
export function parseClientCertHeader(value: string): Uint8Array | undefined {
  const m = /^\s*:([A-Za-z0-9+/]+={0,2}):\s*$/.exec(value)
  if (!m) return undefined
  const der = new Uint8Array(Buffer.from(m[1] as string, 'base64'))
  return der.length > 0 ? der : undefined
}

/** Split on `separator` outside double quotes (backslash escapes inside them). */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string
    if (quoted && ch === '\\' && i + 1 < text.length) {
      current += ch + (text[i + 1] as string)
      i++
      continue
    }
    if (ch === '"') quoted = !quoted
    if (ch === separator && !quoted) {
      parts.push(current)
      current = ''
      continue
    }
    current += ch
  }
  parts.push(current)
  return parts
}

function unquote(value: string): string {
  const v = value.trim()
  return v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v
}

/** PEM text from a url-encoded or raw header value (nginx's old $ssl_client_cert indents lines with a tab). */
function pemFromHeader(value: string): Uint8Array | undefined {
  let text = value.trim()
  if (text.includes('%')) {
    try {
      text = decodeURIComponent(text)
    } catch {
      return undefined
    }
  }
  try {
    return pemToDer(text.replace(/\n[\t ]+/g, '\n'))
  } catch (err) {
    if (err instanceof InvalidCertificateError) return undefined
    throw err
  }
}

/** Envoy's XFCC: the element the nearest proxy added (the last), its Cert and/or Hash. */
export function parseXfcc(value: string): PresentedCertificate | undefined {
  const elements = splitOutsideQuotes(value, ',').filter((e) => e.trim() !== '')
  const last = elements[elements.length - 1]
  if (last === undefined) return undefined
  const fields = new Map<string, string>()
  for (const pair of splitOutsideQuotes(last, ';')) {
    const eq = pair.indexOf('=')
    if (eq === -1) continue
    fields.set(pair.slice(0, eq).trim().toLowerCase(), unquote(pair.slice(eq + 1)))
  }
  const cert = fields.get('cert')
  const hash = fields.get('hash')
  const hashFp = hash === undefined ? undefined : normalizeFingerprint(hash)
  if (hash !== undefined && hashFp === undefined) return undefined
  if (cert !== undefined) {
    const der = pemFromHeader(cert)
    if (!der) return undefined
    const fingerprint = fingerprintDer(der)
    // A Hash that disagrees with the Cert beside it means a confused or lying hop: believe neither.
    if (hashFp !== undefined && hashFp !== fingerprint) return undefined
    return { der, fingerprint }
  }
  return hashFp === undefined ? undefined : { fingerprint: hashFp }
}

/** nginx: `$ssl_client_escaped_cert` (url-encoded PEM) or the deprecated `$ssl_client_cert`. */
export function parseNginxCert(value: string): Uint8Array | undefined {
  return pemFromHeader(value)
}

function header(request: { headers: Record<string, string | string[] | undefined> }, name: string): string | undefined {
  const value = request.headers[name]
  // A repeated header is ambiguous (and a classic smuggling trick): believe none of it.
  return typeof value === 'string' ? value : undefined
}

/**
 * The certificate a trusted proxy forwarded, or none. Connections from anywhere else get none,
 * whatever headers they send.
 */
export function forwardedCertificateSource(trusted: TrustMatcher): ClientCertificateSource {
  return (request) => {
    if (!trusted(request.raw.socket.remoteAddress)) return undefined
    const rfc = header(request, 'client-cert')
    if (rfc !== undefined) return parseClientCertHeader(rfc)
    const xfcc = header(request, 'x-forwarded-client-cert')
    if (xfcc !== undefined) return parseXfcc(xfcc)
    const nginx = header(request, 'x-ssl-cert')
    if (nginx !== undefined) return parseNginxCert(nginx)
    return undefined
  }
}
