import t from 'tap'
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net'
import { createSelfSignedCertificate, identityFromPem } from '@flashback/identity'
import { connectTls, ImpostorError } from '../../src/runtime/index.js'
import { makeIdentity, startHttpsServer, waitFor } from './helper.js'

const client = await makeIdentity('visitor@example.com')
const serverCert = await createSelfSignedCertificate({ email: 'server@example.com', ipAddresses: ['127.0.0.1'] })
const server = identityFromPem(serverCert.certPem, serverCert.keyPem)

t.test('a pinned fingerprint that matches gives a socket, with our client certificate presented', async (t) => {
  const https = await startHttpsServer(t, server, '127.0.0.1')
  const socket = await connectTls({ host: '127.0.0.1', port: https.port, client, verify: { kind: 'fingerprint', fingerprint: server.fingerprint } })
  t.ok(socket.encrypted, 'a TLS socket')
  t.equal(socket.alpnProtocol === false || socket.alpnProtocol === 'http/1.1', true, 'HTTP/1.1 (or no ALPN)')
  // TLS 1.3: the client is done before the server has processed the client certificate.
  await waitFor(() => https.clients.length > 0, 10_000, 'the server handshake')
  socket.destroy()
  const seen = https.clients.map((fp) => fp.replace(/:/g, '').toLowerCase())
  t.same(seen, [client.fingerprint], 'the server saw the client certificate (mutual TLS)')
})

t.test('another certificate than the pinned one is an impostor: rejected before any request', async (t) => {
  const impostor = await makeIdentity('server@example.com')
  const https = await startHttpsServer(t, impostor, '127.0.0.1')
  const err = await connectTls({ host: '127.0.0.1', port: https.port, client, verify: { kind: 'fingerprint', fingerprint: server.fingerprint } }).catch((e: unknown) => e)
  t.ok(err instanceof ImpostorError, 'an ImpostorError')
  t.equal((err as ImpostorError).actual, impostor.fingerprint, 'it names the certificate presented')
  t.equal((err as ImpostorError).expected, server.fingerprint, 'and the one expected')
  t.match((err as ImpostorError).address, `127.0.0.1:${https.port}`, 'and where')
  t.same(https.requests, [], 'no HTTP request ever reached the impostor')
})

t.test('CA verification trusts what the CA file holds and nothing else', async (t) => {
  const https = await startHttpsServer(t, server, '127.0.0.1')
  const socket = await connectTls({ host: '127.0.0.1', port: https.port, client, verify: { kind: 'ca', caPem: server.certPem } })
  t.ok(socket.authorized, 'the chain and the IP address were verified against the CA file')
  socket.destroy()
  const other = await makeIdentity('other@example.com')
  const err = await connectTls({ host: '127.0.0.1', port: https.port, client, verify: { kind: 'ca', caPem: other.certPem } }).catch((e: unknown) => e)
  t.ok(err instanceof Error && !(err instanceof ImpostorError), 'a certificate the CA did not sign is refused by the chain check')
})

t.test('the system CAs do not trust a self-signed certificate', async (t) => {
  const https = await startHttpsServer(t, server, '127.0.0.1')
  await t.rejects(connectTls({ host: '127.0.0.1', port: https.port, client, verify: { kind: 'system' } }), /self[- ]signed|unable to verify/i, 'refused by OpenSSL')
})

t.test('a server that never finishes the handshake times out; an abort stops the attempt', async (t) => {
  const sockets = new Set<Socket>()
  const silent = createNetServer((socket) => sockets.add(socket))
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const s of sockets) s.destroy()
    silent.close()
  })
  const { port } = silent.address() as AddressInfo
  await t.rejects(
    connectTls({ host: '127.0.0.1', port, client, verify: { kind: 'fingerprint', fingerprint: server.fingerprint }, timeoutMs: 200 }),
    { code: 'ETIMEDOUT' },
    'a silent server gives a timeout error',
  )
  const controller = new AbortController()
  const attempt = connectTls({ host: '127.0.0.1', port, client, verify: { kind: 'fingerprint', fingerprint: server.fingerprint }, signal: controller.signal })
  controller.abort(new Error('no longer needed'))
  await t.rejects(attempt, /no longer needed/, 'an abort rejects with its reason')
})
