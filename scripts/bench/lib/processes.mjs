// Child processes of the bench: start (optionally pinned to one core with taskset), wait until ready,
// read CPU time and memory from /proc, stop. Every process started here is remembered and stopped
// when the bench exits, by its own pid only.
import { spawn, execFileSync } from 'node:child_process'
import { readFileSync, readdirSync, existsSync } from 'node:fs'
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

const started = new Set()

let clockTicks = 100
try {
  clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
} catch {
  // 100 Hz is Linux's USER_HZ everywhere we run.
}

export function hasCommand(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** A port the OS says is free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

/** Resolves once a TCP connection to host:port succeeds. */
export async function waitForPort(port, { host = '127.0.0.1', timeoutMs = 15_000, isAlive = () => true } = {}) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect({ host, port })
      s.once('connect', () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    if (!isAlive()) throw new Error(`the process exited before listening on ${port}`)
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`)
    await sleep(50)
  }
}

/**
 * Starts a process. `cpu` pins it (and its threads and children) with taskset.
 * `ready(line)` is called with each output line and returns a value once the process is ready.
 * Returns { pid, child, ready: <value>, output(): string, stop() }.
 */
export async function startProcess({ name, cmd, args = [], env = {}, cwd, cpu, ready, readyTimeoutMs = 60_000 }) {
  const pinned = cpu !== undefined && cpu !== null
  const file = pinned ? 'taskset' : cmd
  const argv = pinned ? ['-c', String(cpu), cmd, ...args] : args
  const child = spawn(file, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const proc = { name, child, pid: child.pid, exited: false, lines: [] }
  started.add(proc)
  child.once('exit', (code, signal) => {
    proc.exited = true
    proc.exitCode = code ?? signal
    started.delete(proc)
  })
  let onLine = () => {}
  const feed = (stream) => {
    let rest = ''
    stream.setEncoding('utf8')
    stream.on('data', (d) => {
      rest += d
      let nl
      while ((nl = rest.indexOf('\n')) !== -1) {
        const line = rest.slice(0, nl)
        rest = rest.slice(nl + 1)
        if (proc.lines.length < 400) proc.lines.push(line)
        onLine(line)
      }
    })
  }
  feed(child.stdout)
  feed(child.stderr)
  proc.output = () => proc.lines.join('\n')
  proc.stop = () => stopProcess(proc)
  if (ready) {
    proc.ready = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} not ready after ${readyTimeoutMs} ms:\n${proc.output()}`)), readyTimeoutMs)
      const check = (line) => {
        let v
        try {
          v = ready(line)
        } catch {
          v = undefined
        }
        if (v !== undefined && v !== false) {
          clearTimeout(timer)
          onLine = () => {}
          resolve(v)
        }
      }
      onLine = check
      for (const l of proc.lines) check(l)
      child.once('exit', () => {
        clearTimeout(timer)
        reject(new Error(`${name} exited (${proc.exitCode}) before it was ready:\n${proc.output()}`))
      })
    })
  }
  return proc
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProcess(proc, graceMs = 5000) {
  if (proc.exited) return
  const gone = new Promise((resolve) => proc.child.once('exit', resolve))
  proc.child.kill('SIGTERM')
  const t = setTimeout(() => proc.child.kill('SIGKILL'), graceMs)
  await gone
  clearTimeout(t)
}

/** Stops every process this bench started and that still runs (used on exit and on errors). */
export async function stopAll() {
  await Promise.all([...started].map((p) => stopProcess(p, 2000)))
}

function descendants(pid) {
  const parents = new Map()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const ppid = Number(fields[1])
      if (!parents.has(ppid)) parents.set(ppid, [])
      parents.get(ppid).push(Number(entry))
    } catch {
      // The process ended while we looked.
    }
  }
  const out = [pid]
  for (let i = 0; i < out.length; i++) out.push(...(parents.get(out[i]) ?? []))
  return out
}

/** CPU seconds (user + system) used so far by a process and all its descendants. */
export function cpuSeconds(pid) {
  let ticks = 0
  for (const p of descendants(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'latin1')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(fields[11]) + Number(fields[12])
    } catch {
      // gone
    }
  }
  return ticks / clockTicks
}

/** Resident memory (and its peak) in bytes of a process and its descendants. */
export function memory(pid) {
  let rss = 0
  let hwm = 0
  for (const p of descendants(pid)) {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'latin1')
      rss += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024
      hwm += Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024
    } catch {
      // gone
    }
  }
  return { rss, hwm }
}

export function procAvailable() {
  return existsSync('/proc/self/stat')
}

process.once('exit', () => {
  // SIGTERM, not SIGKILL: nginx's master then stops its workers itself instead of orphaning them.
  for (const p of started) {
    try {
      p.child.kill('SIGTERM')
    } catch {
      // already gone
    }
  }
})
