/**
 * Behind a TLS-terminating proxy: Debian's nginx terminates mutual TLS (ssl_verify_client
 * optional_no_ca), forwards the client certificate in X-SSL-Cert to the tracker's plain-HTTP listener
 * (RELAY_HTTP_PORT), and the tracker believes it because nginx connects from a RELAY_TRUST_PROXY
 * address. Skipped with a message when nginx is not installed (CI installs it).
 */
import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTracker } from '../src/start.js'
import { https, makeIdentity, opensslIdentity, sleep, writeIdentityFiles } from './helper.js'

const nginx = spawnSync('nginx', ['-v'], { stdio: 'ignore' }).status === 0

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

/** The nginx configuration the README documents, with this test's paths and ports. */
export function nginxConfig(o: { dir: string; listen: number; upstream: number; cert: string; key: string }): string {
  return `
worker_processes 1;
error_log ${o.dir}/error.log warn;
pid ${o.dir}/nginx.pid;
events { worker_connections 128; }
http {
  access_log off;
  client_body_temp_path ${o.dir}/tmp/body;
  proxy_temp_path ${o.dir}/tmp/proxy;
  fastcgi_temp_path ${o.dir}/tmp/fastcgi;
  uwsgi_temp_path ${o.dir}/tmp/uwsgi;
  scgi_temp_path ${o.dir}/tmp/scgi;
  upstream flashback_tracker { server 127.0.0.1:${o.upstream}; keepalive 16; }
  server {
    listen 127.0.0.1:${o.listen} ssl;
    ssl_certificate ${o.cert};
    ssl_certificate_key ${o.key};
    ssl_protocols TLSv1.2 TLSv1.3;
    # Ask for a client certificate, accept self-signed ones: the tracker pins by fingerprint.
    ssl_verify_client optional_no_ca;
    client_max_body_size 1m;
    location / {
      proxy_pass http://flashback_tracker;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      # Empty when the client sent no certificate, and then not sent at all (a client's own header is dropped too).
      proxy_set_header X-SSL-Cert $ssl_client_escaped_cert;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https;
    }
  }
}
`
}

t.test('nginx terminates TLS and forwards the client certificate', { skip: nginx ? false : 'nginx is not installed (apt-get install nginx-light)' }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fb-nginx-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await mkdir(join(dir, 'tmp'))
  const tracker = await startTracker({ logger: false, rateLimitPerMin: 0, httpPort: 0, trustProxy: ['127.0.0.1'] })
  t.teardown(() => tracker.close())
  t.ok(tracker.http, 'the plain-HTTP listener is up')
  t.match(tracker.http?.url, /^http:\/\/127\.0\.0\.1:\d+$/, 'on loopback by default')

  const server = opensslIdentity('proxy.example.com', 'p256', { san: 'DNS:localhost,IP:127.0.0.1' })
  const files = writeIdentityFiles(dir, server)
  const listen = await freePort()
  const conf = join(dir, 'nginx.conf')
  await writeFile(conf, nginxConfig({ dir, listen, upstream: tracker.http!.port, cert: files.cert, key: files.key }))
  const proc = spawn('nginx', ['-p', dir, '-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  t.teardown(() => {
    proc.kill('SIGQUIT')
  })
  const base = `https://127.0.0.1:${listen}`
  let up = false
  for (let i = 0; i < 50 && !up; i++) {
    up = await https(base, { path: '/health' }).then((r) => r.status === 200, () => false)
    if (!up) await sleep(100)
  }
  t.ok(up, `nginx answers in front of the tracker ${stderr}`)

  const alice = opensslIdentity('alice@example.com', 'ed25519')
  const bob = await makeIdentity('bob@example.com')
  const reg = await https(base, { path: '/api/relay/register', identity: alice, body: { certificate: alice.certPem, email: alice.email } })
  t.equal(reg.status, 200, 'alice registers through nginx')
  t.equal((reg.json() as { fingerprint: string }).fingerprint, alice.fingerprint, 'the tracker saw her certificate (forwarded by nginx)')
  t.equal(reg.serverFingerprint, server.fingerprint, "the TLS server is nginx's")
  await https(base, { path: '/api/relay/register', identity: bob, body: { certificate: bob.certPem, email: bob.email } })
  const ready = await https(base, { path: '/api/relay/broadcast/ready', identity: alice, body: { port: 4443, addresses: ['127.0.0.1'] } })
  t.equal(ready.status, 200, 'alice announces through nginx')
  const found = await https(base, { path: '/api/relay/broadcast/lookup?email=alice@example.com', identity: bob })
  t.equal((found.json() as { fingerprint: string }).fingerprint, alice.fingerprint, 'bob finds her through nginx')
  const direct = await https(tracker.url, { path: '/api/relay/broadcast/lookup?email=alice@example.com', identity: bob })
  t.equal(direct.status, 200, 'and the TLS listener serves the same data')

  const noCert = await https(base, { path: '/api/relay/broadcast/list' })
  t.equal(noCert.status, 401, 'without a client certificate: 401 through nginx')
  const forged = await https(base, { path: '/api/relay/broadcast/list', headers: { 'x-ssl-cert': encodeURIComponent(alice.certPem) } })
  t.equal(forged.status, 401, "a client's own X-SSL-Cert header does not get through nginx")
  const forgedDirect = await https(tracker.url, { path: '/api/relay/broadcast/list', headers: { 'x-ssl-cert': encodeURIComponent(alice.certPem) } })
  t.equal(forgedDirect.status, 401, 'nor is it believed on the TLS listener')
  const fromNowhere = await fetch(`${tracker.http!.url}/api/relay/broadcast/list`, { headers: { 'x-ssl-cert': encodeURIComponent(alice.certPem) } })
  t.equal(fromNowhere.status, 200, 'the HTTP listener believes whoever connects from a trusted address (here: this test, on 127.0.0.1) — so it must listen on loopback or a private network only')
})
