/**
 * Test helpers: identities, temporary share folders, a started server torn down with the test,
 * and two HTTPS clients: `request` (Node's https, one connection per call unless an agent is given)
 * and `rawRequest` (a TLS socket fed a request line byte for byte, for `--path-as-is` semantics).
 */
import { fstatSync } from 'node:fs'
import * as fsp from 'node:fs/promises'
import { mkdtemp, realpath, rm } from 'node:fs/promises'
import { request as httpsRequest, type Agent } from 'node:https'
import { type IncomingHttpHeaders } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:tls'
import { createSelfSignedCertificate, type CreateCertificateOptions } from '@flashback/identity'
import { type ListingFs } from '../../src/server/listing.js'
import { startPeerServer, type PeerServer, type PeerServerOptions, type PeerIdentity } from '../../src/index.js'

export type Tap = {
  teardown(fn: () => unknown): void
}

const identities = new Map<string, PeerIdentity>()

/** A P-256 identity for `email` (cached per process: key generation is the slow part of a test). */
export async function makeIdentity(email: string, extra: Partial<CreateCertificateOptions> = {}): Promise<PeerIdentity> {
  const key = `${email}|${JSON.stringify(extra)}`
  const known = identities.get(key)
  if (known) return known
  const made = await createSelfSignedCertificate({ email, keyType: 'p256', ...extra })
  const identity = { email, certPem: made.certPem, keyPem: made.keyPem, fingerprint: made.fingerprint }
  identities.set(key, identity)
  return identity
}

/** A fresh folder under the system temp dir, removed when the test ends. Returns its realpath. */
export async function tempDir(t: Tap, prefix = 'flashback-peer-'): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), prefix)))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

export async function startServer(
  t: Tap,
  opts: Partial<PeerServerOptions> & { root: string },
): Promise<PeerServer> {
  const identity = opts.identity ?? (await makeIdentity('owner@example.com'))
  const server = await startPeerServer({ welcomePage: false, ...opts, identity })
  t.teardown(() => server.close(100))
  return server
}

export interface Reply {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
  text: string
  json: () => unknown
}

export interface RequestOptions {
  method?: string
  headers?: Record<string, string>
  /** Client identity; none means no client certificate. */
  client?: PeerIdentity
  agent?: Agent
  host?: string
}

export function request(port: number, path: string, opts: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: opts.host ?? '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: opts.headers ?? {},
        rejectUnauthorized: false,
        ...(opts.client ? { cert: opts.client.certPem, key: opts.client.keyPem } : {}),
        ...(opts.agent ? { agent: opts.agent } : { agent: false }),
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', reject)
        res.on('end', () => {
          const body = Buffer.concat(chunks)
          const text = body.toString('utf8')
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json: () => JSON.parse(text) })
        })
      },
    )
    req.on('error', reject)
    req.end()
  })
}

export interface RawReply {
  status: number
  /** The whole response as latin1 text: status line, headers and body. */
  raw: string
  body: string
}

/**
 * Send `GET <target> HTTP/1.1` exactly as given (no normalisation of dots, slashes or escapes, like
 * `curl --path-as-is`) and read the response until the server closes.
 */
export function rawRequest(port: number, target: string, client?: PeerIdentity): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      rejectUnauthorized: false,
      ...(client ? { cert: client.certPem, key: client.keyPem } : {}),
    })
    const chunks: Buffer[] = []
    socket.on('secureConnect', () => {
      socket.write(Buffer.from(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, 'latin1'))
    })
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', reject)
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('latin1')
      const m = /^HTTP\/1\.1 (\d{3})/.exec(raw)
      const split = raw.indexOf('\r\n\r\n')
      resolve({ status: m ? Number(m[1]) : 0, raw, body: split < 0 ? '' : raw.slice(split + 4) })
    })
  })
}

/** Parse a multipart/byteranges body into its parts. */
export function parseMultipart(body: Buffer, contentType: string): { headers: Record<string, string>; data: Buffer }[] {
  const m = /boundary=([^;]+)/.exec(contentType)
  if (!m) throw new Error('no boundary')
  const delimiter = Buffer.from(`\r\n--${m[1]}`)
  const parts: { headers: Record<string, string>; data: Buffer }[] = []
  let at = body.indexOf(delimiter)
  while (at >= 0) {
    const after = at + delimiter.length
    if (body.subarray(after, after + 2).toString() === '--') break
    const headerEnd = body.indexOf('\r\n\r\n', after)
    const headers: Record<string, string> = {}
    for (const line of body.subarray(after + 2, headerEnd).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':')
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    const next = body.indexOf(delimiter, headerEnd + 4)
    parts.push({ headers, data: body.subarray(headerEnd + 4, next) })
    at = next
  }
  return parts
}

/** The listing's file-system calls, counted. */
export function countingFs(): ListingFs & { calls: Record<'opendir' | 'lstat' | 'stat' | 'realpath', number> } {
  const calls = { opendir: 0, lstat: 0, stat: 0, realpath: 0 }
  return {
    calls,
    opendir: (path, options) => (calls.opendir++, fsp.opendir(path, options)),
    lstat: (path) => (calls.lstat++, fsp.lstat(path)),
    stat: (path) => (calls.stat++, fsp.stat(path)),
    realpath: (path) => (calls.realpath++, fsp.realpath(path)),
  }
}

/** Whether a file descriptor has been closed (fstat answers EBADF). */
export function isClosed(fd: number): boolean {
  try {
    fstatSync(fd)
    return false
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EBADF'
  }
}
