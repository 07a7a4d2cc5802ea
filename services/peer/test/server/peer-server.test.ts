import t from 'tap'
import { once } from 'node:events'
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { join } from 'node:path'
import { PeerHealthReply, PeerServerReady } from '@flashback/protocol'
import Value from 'typebox/value'
import { announcedAddresses, createPeerServer, startPeerServer } from '../../src/index.js'
import { welcomePageText } from '../../src/server/welcome-page.js'
import { makeIdentity, request, tempDir } from './helper.js'

t.test('ready event, port, addresses and /health', async (t) => {
  const root = await tempDir(t)
  const identity = await makeIdentity('owner@example.com')
  const heard: PeerServerReady[] = []
  const server = createPeerServer({ root, identity, welcomePage: false, onReady: (r) => heard.push(r) })
  const event = once(server, 'ready')
  const ready = await server.listen()
  t.teardown(() => server.close())
  const [emitted] = (await event) as [PeerServerReady]
  t.ok(Value.Check(PeerServerReady, ready), 'listen() resolves with { port, addresses }')
  t.same(emitted, ready, 'the ready event carries the same')
  t.same(heard, [ready], 'onReady is called once with it')
  t.ok(ready.port > 0, 'the OS chose a port')
  t.equal(server.port, ready.port, 'server.port is it')
  t.same(ready.addresses, ['127.0.0.1'], 'on loopback the address is 127.0.0.1')
  t.same(await server.listen(), ready, 'listen() again is harmless')

  const health = await request(ready.port, '/health')
  t.equal(health.status, 200, '/health answers')
  const body = health.json() as PeerHealthReply
  t.ok(Value.Check(PeerHealthReply, body), 'in the PeerHealthReply shape')
  t.same(body, { status: 'ok', email: identity.email, fingerprint: identity.fingerprint }, 'with the owner’s e-mail and fingerprint')
  t.equal(health.headers['x-content-type-options'], 'nosniff', 'with nosniff')
})

t.test('the server presents the identity certificate and asks for the client’s', async (t) => {
  const root = await tempDir(t)
  const identity = await makeIdentity('owner@example.com')
  const server = await startPeerServer({ root, identity, welcomePage: false })
  t.teardown(() => server.close())
  const { connect } = await import('node:tls')
  const socket = connect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false })
  await once(socket, 'secureConnect')
  const cert = socket.getPeerCertificate()
  t.equal(cert.fingerprint256.replace(/:/g, '').toLowerCase(), identity.fingerprint, 'the TLS certificate is the identity')
  socket.destroy()
})

t.test('announced addresses with bindAll', async (t) => {
  const fake = {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }, { address: '::1', family: 'IPv6', internal: true }],
    eth0: [
      { address: '192.168.1.20', family: 'IPv4', internal: false },
      { address: 'fe80::1c2:3ff:fe4d:5e6f', family: 'IPv6', internal: false },
      { address: '2001:db8::42', family: 'IPv6', internal: false },
    ],
    wlan0: [{ address: '192.168.1.20', family: 'IPv4', internal: false }, { address: '10.0.0.7', family: 'IPv4', internal: false }],
  } as unknown as Parameters<typeof announcedAddresses>[1]
  t.same(announcedAddresses(true, fake), ['192.168.1.20', '2001:db8::42', '10.0.0.7'], 'non-loopback IPv4 and IPv6, no link-local, no duplicates')
  t.same(announcedAddresses(false, fake), ['127.0.0.1'], 'loopback only without bindAll')

  const root = await tempDir(t)
  const identity = await makeIdentity('owner@example.com')
  const server = await startPeerServer({ root, identity, bindAll: true, access: 'friends', friends: { isFriend: () => true }, welcomePage: false })
  t.teardown(() => server.close())
  t.same(server.addresses, announcedAddresses(true), 'the ready addresses are the machine’s own')
  const client = await makeIdentity('friend@example.com')
  const v4 = await request(server.port, '/health', { client })
  t.equal(v4.status, 200, 'reachable on 127.0.0.1')
  const v6 = await request(server.port, '/health', { client, host: '::1' }).catch(() => undefined)
  if (v6) t.equal(v6.status, 200, 'and on ::1 (dual stack)')
  else t.comment('no IPv6 loopback on this machine: the dual-stack check was skipped')
})

t.test('the welcome page', async (t) => {
  const root = await tempDir(t)
  await mkdir(join(root, 'photos'))
  await writeFile(join(root, 'notes [draft].md'), 'x')
  await writeFile(join(root, '.secret'), 'x')
  const identity = await makeIdentity('owner@example.com')
  const server = await startPeerServer({ root, identity })
  const text = await readFile(join(root, 'index.md'), 'utf8')
  t.match(text, /^# owner@example\.com's shared folder/, 'it greets with the owner’s address')
  t.match(text, /- \[photos\/\]\(<photos\/>\)/, 'it links a folder')
  t.match(text, /- \[notes \\\[draft\\\]\.md\]\(<notes%20%5Bdraft%5D\.md>\)/, 'it links a file, escaped for Markdown and URL')
  t.notMatch(text, /secret/, 'hidden names are not mentioned')
  const served = await request(server.port, '/content/index.md')
  t.equal(served.text, text, 'it is served like any file')
  await server.close()

  await writeFile(join(root, 'index.md'), 'my own page')
  const again = await startPeerServer({ root, identity })
  await again.close()
  t.equal(await readFile(join(root, 'index.md'), 'utf8'), 'my own page', 'an existing index.md is never overwritten')

  const other = await tempDir(t)
  await symlink('/nonexistent-target', join(other, 'index.md'))
  const third = await startPeerServer({ root: other, identity })
  await third.close()
  const { lstat } = await import('node:fs/promises')
  t.ok((await lstat(join(other, 'index.md'))).isSymbolicLink(), 'a dangling index.md symlink is left alone, never written through')

  t.match(welcomePageText('a@b.c', []), /empty for now/, 'an empty share says so')
})

t.test('start errors are clear', async (t) => {
  const identity = await makeIdentity('owner@example.com')
  await t.rejects(startPeerServer({ root: '/nonexistent/share', identity }), /share root .* cannot be opened/, 'a missing root')
  const root = await tempDir(t)
  await writeFile(join(root, 'file'), 'x')
  await t.rejects(startPeerServer({ root: join(root, 'file'), identity }), /not a folder/, 'a file as root')
  const first = await startPeerServer({ root, identity, welcomePage: false })
  t.teardown(() => first.close())
  await t.rejects(startPeerServer({ root, identity, port: first.port, welcomePage: false }), /EADDRINUSE/, 'a port in use')
  t.throws(() => createPeerServer({ root, identity, port: 70000 }), /invalid port/, 'a port out of range')
  t.throws(() => createPeerServer({ root, identity: { ...identity, fingerprint: 'nope' } }), /fingerprint/, 'a bad identity fingerprint')
})

t.test('close() ends idle keep-alive connections at once and cuts long downloads after the grace period', async (t) => {
  const root = await tempDir(t)
  const { open } = await import('node:fs/promises')
  const fh = await open(join(root, 'huge.bin'), 'w')
  await fh.truncate(1024 ** 3)
  await fh.close()
  const identity = await makeIdentity('owner@example.com')
  const server = await startPeerServer({ root, identity, welcomePage: false })
  // A download that reads nothing: it stays in flight until close() cuts it.
  let response: IncomingMessage | undefined
  const stalled = new Promise<string>((resolve) => {
    const req = httpsRequest({ host: '127.0.0.1', port: server.port, path: '/download/huge.bin', rejectUnauthorized: false, agent: false }, (res) => {
      response = res
      res.pause()
      res.on('error', () => resolve('cut'))
      res.on('aborted', () => resolve('cut'))
      res.on('close', () => resolve('cut'))
      res.on('end', () => resolve('ended'))
    })
    req.on('error', () => resolve('cut'))
    req.end()
  })
  await new Promise((r) => setTimeout(r, 100))
  let closeEvent = false
  server.on('close', () => (closeEvent = true))
  await server.close(200)
  // Read what was buffered: a paused socket would not even notice the connection is gone.
  response?.resume()
  t.equal(await stalled, 'cut', 'the stalled download was cut after the grace period')
  t.ok(closeEvent, 'close is emitted')
  await server.close()
  t.pass('close() twice is harmless')
})

t.test('requests the HTTP parser refuses are answered as JSON with nosniff too', async (t) => {
  const root = await tempDir(t)
  const identity = await makeIdentity('owner@example.com')
  const server = await startPeerServer({ root, identity, welcomePage: false })
  t.teardown(() => server.close())
  const { rawRequest } = await import('./helper.js')
  const bad = await rawRequest(server.port, '/a b')
  t.equal(bad.status, 400, 'a malformed request line is 400')
  t.match(bad.raw, /X-Content-Type-Options: nosniff/, 'with nosniff')
  t.same(JSON.parse(bad.body), { error: 'bad_request', message: 'malformed request' }, 'and the JSON error shape')
  const huge = await request(server.port, '/health', { headers: { 'x-big': 'a'.repeat(20_000) } })
  t.equal(huge.status, 431, 'oversized headers are 431')
  t.equal(huge.headers['x-content-type-options'], 'nosniff', 'with nosniff')
})
