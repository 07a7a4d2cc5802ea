/**
 * The production bundle as a process: `node dist/server.js` logs "tracker listening" with port and
 * fingerprint, refuses a bad setting with one line naming it, and on SIGTERM finishes the request in
 * flight, closes the database and exits 0.
 */
import t, { type Test } from 'tap'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:tls'
import { promisify } from 'node:util'
import { buildBundle, https, makeIdentity } from './helper.js'

const bundle = await buildBundle(t)
const server = bundle.server

interface Started {
  child: ChildProcess
  lines: Record<string, unknown>[]
  listening: Record<string, unknown>
  exited: Promise<number | null>
}

async function startProcess(t: Test, env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [server], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: Record<string, unknown>[] = []
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  let buffer = ''
  const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      let nl
      while ((nl = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, nl)
        buffer = buffer.slice(nl + 1)
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>
          lines.push(parsed)
          if (parsed.msg === 'tracker listening') resolve(parsed)
        } catch {
          reject(new Error(`not a JSON log line: ${line}`))
        }
      }
    })
    void exited.then((code) => reject(new Error(`exited early with ${code}`)))
  })
  return { child, lines, listening, exited }
}

t.test('starts, logs its port and fingerprint, stops gracefully on SIGTERM', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'fb-server-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const proc = await startProcess(t, { RELAY_PORT: '0', RELAY_BIND_ADDRESS: '127.0.0.1', RELAY_DATA_DIR: dataDir, RATE_LIMIT_PER_MIN: '0' })
  const port = proc.listening.port as number
  t.ok(port > 0, 'the "tracker listening" line carries the port')
  t.match(proc.listening.fingerprint, /^[0-9a-f]{64}$/, 'and the server certificate fingerprint')
  const url = `https://127.0.0.1:${port}`
  const health = await https(url, { path: '/health' })
  t.equal(health.status, 200, 'the process serves HTTPS')
  t.equal(health.serverFingerprint, proc.listening.fingerprint, 'with the certificate whose fingerprint it logged')

  const healthcheck = (p: number) =>
    new Promise<number | null>((resolve) =>
      spawn(process.execPath, [bundle.healthcheck], { env: { PATH: process.env.PATH ?? '', RELAY_PORT: String(p) } }).on('exit', resolve),
    )
  t.equal(await healthcheck(port), 0, 'the container HEALTHCHECK script (no curl) passes against the running tracker')

  // A request in flight when SIGTERM arrives: headers and half the body sent, the rest after the signal.
  const alice = await makeIdentity('alice@example.com')
  const body = JSON.stringify({ certificate: alice.certPem, email: alice.email })
  const socket = connect({ host: '127.0.0.1', port, cert: alice.certPem, key: alice.keyPem, rejectUnauthorized: false })
  await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()))
  let response = ''
  socket.on('data', (c: Buffer) => (response += c.toString()))
  const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()))
  socket.write(
    `POST /api/relay/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
      body.slice(0, 100),
  )
  // Give the server ample time to parse the headers: from then on the request is in flight.
  await new Promise((r) => setTimeout(r, 1000))
  proc.child.kill('SIGTERM')
  await new Promise((r) => setTimeout(r, 300))
  socket.write(body.slice(100))
  await ended
  t.match(response, /^HTTP\/1\.1 200 /, 'the request in flight at SIGTERM was answered')
  t.match(response, /"fingerprint":"[0-9a-f]{64}"/, 'in full')
  const code = await proc.exited
  t.equal(code, 0, 'the process exits 0 after SIGTERM')
  t.ok(proc.lines.some((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM'), 'it logs the shutdown')
  t.ok(proc.lines.some((l) => l.msg === 'tracker stopped'), 'and that it stopped (database closed)')
  t.equal(await healthcheck(port), 1, 'the HEALTHCHECK script fails once the tracker is gone')

  // The registration made during shutdown was committed.
  const again = await startProcess(t, { RELAY_PORT: '0', RELAY_BIND_ADDRESS: '127.0.0.1', RELAY_DATA_DIR: dataDir, RATE_LIMIT_PER_MIN: '0' })
  t.equal(again.listening.fingerprint, proc.listening.fingerprint, 'a restart reuses the generated certificate')
  const identity = await https(`https://127.0.0.1:${again.listening.port as number}`, { path: '/api/relay/identity?email=alice@example.com', identity: alice })
  t.equal(identity.status, 200, 'the registration answered during shutdown was kept')
  again.child.kill('SIGINT')
  t.equal(await again.exited, 0, 'SIGINT also exits 0')
})

t.test('an invalid setting exits non-zero with one line naming the variable', async (t) => {
  for (const [env, args, variable] of [
    [{ RELAY_PORT: 'http' }, [], 'RELAY_PORT'],
    [{ BROADCAST_TTL_S: '-5' }, [], 'BROADCAST_TTL_S'],
    [{}, ['--log-level', 'shout'], 'LOG_LEVEL'],
  ] as const) {
    const result = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [server, ...args], { env: { PATH: process.env.PATH ?? '', ...env } })
      let stderr = ''
      let stdout = ''
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
      child.on('exit', (code) => resolve({ code, stderr, stdout }))
    })
    t.not(result.code, 0, `${variable}: the exit code is non-zero`)
    const lines = result.stderr.trim().split('\n')
    t.equal(lines.length, 1, `${variable}: one line`)
    t.match(lines[0], variable, `${variable}: naming the variable`)
    t.equal(result.stdout, '', `${variable}: nothing else is printed`)
  }
})

t.test('--help prints every option and exits 0', async (t) => {
  const { stdout } = await promisify(execFile)(process.execPath, [server, '--help'])
  t.match(stdout, /--port <value>\s+RELAY_PORT/, 'flags are listed with their variables')
})
