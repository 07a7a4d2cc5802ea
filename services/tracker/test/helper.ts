/**
 * Test helpers: identities (from shared/identity and from the openssl CLI), an inject-ready app on a
 * temporary SQLite store, and an HTTPS client that presents a client certificate.
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import type { FastifyRequest } from 'fastify'
import type { Test } from 'tap'
import { createSelfSignedCertificate, pemToDer, type CreateCertificateOptions } from '@flashback/identity'
import { buildApp, type BuildAppOptions, type TrackerApp } from '../src/app.js'
import type { TrackerConfig } from '../src/config.js'
import { SqliteStore } from '../src/store/sqlite/index.js'

export interface TestIdentity {
  email: string
  certPem: string
  keyPem: string
  fingerprint: string
}

export async function makeIdentity(email: string, options: Partial<CreateCertificateOptions> = {}): Promise<TestIdentity> {
  const id = await createSelfSignedCertificate({ email, keyType: 'p256', ...options })
  return { email, ...id }
}

export type OpensslKey = 'ed25519' | 'p256' | 'rsa2048' | 'rsa1024'

/** A self-signed certificate made by the openssl CLI, as a user following the README would. */
export function opensslIdentity(email: string, key: OpensslKey, extra: { days?: number; san?: string } = {}): TestIdentity {
  const dir = mkdtempSync(join(tmpdir(), 'fb-openssl-'))
  try {
    const keyArgs =
      key === 'ed25519'
        ? ['-newkey', 'ed25519']
        : key === 'p256'
          ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']
          : ['-newkey', key === 'rsa2048' ? 'rsa:2048' : 'rsa:1024']
    execFileSync(
      'openssl',
      [
        'req', '-x509', ...keyArgs, '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
        '-days', String(extra.days ?? 30), '-subj', `/CN=${email}`, '-addext', `subjectAltName=${extra.san ?? `email:${email}`}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    const certPem = readFileSync(join(dir, 'cert.pem'), 'utf8')
    const keyPem = readFileSync(join(dir, 'key.pem'), 'utf8')
    const fingerprint = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256'], { input: certPem })
      .toString()
      .replace(/^.*=/, '')
      .replace(/[:\s]/g, '')
      .toLowerCase()
    return { email, certPem, keyPem, fingerprint }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Write an identity's PEM files (for curl and friends). */
export function writeIdentityFiles(dir: string, id: TestIdentity): { cert: string; key: string } {
  const cert = join(dir, `${id.fingerprint.slice(0, 8)}-cert.pem`)
  const key = join(dir, `${id.fingerprint.slice(0, 8)}-key.pem`)
  writeFileSync(cert, id.certPem)
  writeFileSync(key, id.keyPem, { mode: 0o600 })
  return { cert, key }
}

/**
 * inject has no TLS socket. Test apps read the client certificate from this header instead; only
 * apps built by `buildTestApp` install that source, never the TLS listener.
 */
export const TEST_CERT_HEADER = 'x-test-client-cert'

export function headerCertificateSource(request: FastifyRequest): Uint8Array | undefined {
  const value = request.headers[TEST_CERT_HEADER]
  return typeof value === 'string' ? new Uint8Array(Buffer.from(value, 'base64')) : undefined
}

/** Headers that make an injected request present `id`'s certificate. */
export function as(id: TestIdentity): Record<string, string> {
  return { [TEST_CERT_HEADER]: Buffer.from(pemToDer(id.certPem)).toString('base64') }
}

export interface TestApp {
  app: TrackerApp
  store: SqliteStore
  clock: { now: number }
}

/** An app on a fresh SQLite store with a controllable clock (starts at the real time). */
export async function buildTestApp(
  t: Test,
  options: { config?: Partial<TrackerConfig> } & Omit<BuildAppOptions, 'config' | 'store' | 'now'> = {},
): Promise<TestApp> {
  const dir = await mkdtemp(join(tmpdir(), 'fb-tracker-app-'))
  const store = new SqliteStore({ path: join(dir, 'tracker.db') })
  const clock = { now: Date.now() }
  const app = await buildApp({
    clientCertificate: headerCertificateSource,
    sweeper: false,
    ...options,
    config: { rateLimitPerMin: 0, dataDir: dir, ...options.config },
    store,
    now: () => clock.now,
  })
  t.teardown(async () => {
    await app.close()
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })
  return { app, store, clock }
}

/** Register `id` through the API (inject). */
export async function register(app: TrackerApp, id: TestIdentity, email = id.email) {
  return app.inject({ method: 'POST', url: '/api/relay/register', headers: as(id), payload: { certificate: id.certPem, email } })
}

export interface HttpsReply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  json: () => unknown
  /** SHA-256 of the server certificate the connection saw (lower-case hex). */
  serverFingerprint: string
}

export interface HttpsOptions {
  method?: string
  path: string
  identity?: TestIdentity
  body?: unknown
  rawBody?: string | Buffer
  headers?: Record<string, string>
}

/** One HTTPS request on a fresh connection, presenting `identity`'s certificate when given. */
export function https(baseUrl: string, options: HttpsOptions): Promise<HttpsReply> {
  const url = new URL(options.path, baseUrl)
  const payload = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body))
  const headers: Record<string, string> = { ...options.headers }
  if (options.body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json'
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload))
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: options.method ?? (payload === undefined ? 'GET' : 'POST'),
        headers,
        agent: false,
        // The server's certificate is self-signed; tests pin it by fingerprint instead (serverFingerprint).
        rejectUnauthorized: false,
        ...(options.identity ? { cert: options.identity.certPem, key: options.identity.keyPem } : {}),
      },
      (res) => {
        const chunks: Buffer[] = []
        const serverFingerprint = ((res.socket as TLSSocket).getPeerCertificate().fingerprint256 ?? '').replace(/:/g, '').toLowerCase()
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8')
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body), serverFingerprint })
        })
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(payload)
  })
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Bundle dist/server.js and dist/healthcheck.js into a folder of this test's own under dist/ (test files
 * run in parallel: a shared output could be rewritten while another test starts it). Removed by teardown.
 */
export async function buildBundle(t: Test): Promise<{ server: string; healthcheck: string }> {
  const script = new URL('../../../scripts/build-node.mjs', import.meta.url).href
  const { buildNode } = (await import(script)) as {
    buildNode: (o: { entryPoints: Record<string, string>; outdir: string }) => Promise<void>
  }
  const root = new URL('..', import.meta.url).pathname
  const outdir = join(root, 'dist', `test-${process.pid}-${Math.random().toString(16).slice(2, 8)}`)
  await buildNode({
    entryPoints: { server: join(root, 'src', 'server.ts'), healthcheck: join(root, 'src', 'healthcheck.ts') },
    outdir,
  })
  t.teardown(() => rm(outdir, { recursive: true, force: true }))
  return { server: join(outdir, 'server.js'), healthcheck: join(outdir, 'healthcheck.js') }
}
