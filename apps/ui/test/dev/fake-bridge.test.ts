import t from 'tap'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createFakeApi } from '../../src/api/fake-api.js'
import { startUiServer } from '../../dev/fake-bridge.js'

const root = mkdtempSync(join(tmpdir(), 'fb-ui-static-'))
writeFileSync(join(root, 'index.html'), '<!doctype html><title>x</title>')

t.test('the dev server: static files, bridge routes and remote bytes with Range', async (t) => {
  const fake = createFakeApi()
  const seen: { range: string | undefined; status: number }[] = []
  const server = await startUiServer({ root, fake, csp: "default-src 'self'", onRemote: (r) => seen.push(r) })
  t.teardown(() => server.close())
  const index = await fetch(server.url)
  t.equal(index.status, 200, 'index.html is served at /')
  t.equal(index.headers.get('content-security-policy'), "default-src 'self'", 'with the CSP header')
  t.equal((await fetch(`${server.url}..%2f..%2fetc/passwd`)).status, 404, 'no way out of the root')
  t.equal((await fetch(`${server.url}api/bridge/nope`, { method: 'POST', body: '{}' })).status, 404, 'an unknown method is 404')
  t.equal((await fetch(`${server.url}api/bridge/getStatus`)).status, 405, 'bridge methods are POST only')
  const badJson = await fetch(`${server.url}api/bridge/getStatus`, { method: 'POST', body: '{' })
  t.equal(badJson.status, 400, 'a broken body is 400')
  t.same(await badJson.json(), { error: 'invalid_json', message: 'The request body is not acceptable.' }, 'with an error body')
  const big = await fetch(`${server.url}api/bridge/getStatus`, { method: 'POST', body: 'x'.repeat(70 * 1024) })
  t.equal(big.status, 413, 'an oversized body is refused')

  const url = `${server.url}remote/alice%40example.com/music/chord.wav`
  const full = await fetch(url)
  const size = Number(full.headers.get('content-length'))
  t.equal(full.status, 200, 'the whole file without Range')
  t.equal(full.headers.get('accept-ranges'), 'bytes', 'ranges are advertised')
  t.equal(full.headers.get('content-security-policy'), 'sandbox', 'remote files are sandboxed')
  const part = await fetch(url, { headers: { range: 'bytes=100-199' } })
  t.equal(part.status, 206, 'a range gives 206')
  t.equal(part.headers.get('content-range'), `bytes 100-199/${size}`, 'with its Content-Range')
  t.equal((await part.arrayBuffer()).byteLength, 100, 'and exactly those bytes')
  const suffix = await fetch(url, { headers: { range: 'bytes=-10' } })
  t.equal(suffix.headers.get('content-range'), `bytes ${size - 10}-${size - 1}/${size}`, 'a suffix range')
  const open = await fetch(url, { headers: { range: `bytes=${size - 5}-` } })
  t.equal((await open.arrayBuffer()).byteLength, 5, 'an open range')
  const beyond = await fetch(url, { headers: { range: `bytes=${size}-` } })
  t.equal(beyond.status, 416, 'an unsatisfiable range is 416')
  t.equal(beyond.headers.get('content-range'), `bytes */${size}`, 'with the size')
  t.same(seen.map((s) => s.status), [200, 206, 206, 206, 416], 'every remote request is reported with its status')
  t.equal(seen[1]?.range, 'bytes=100-199', 'and its Range header')
  t.equal((await fetch(`${server.url}remote/alice%40example.com/a/%2e%2e/b`)).status, 404, 'hostile remote paths are refused')
  t.equal((await fetch(`${server.url}remote/carol%40example.com/index.md`)).status, 404, 'an offline peer has no bytes')
})
