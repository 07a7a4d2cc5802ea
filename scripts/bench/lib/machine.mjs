// What the numbers were measured on: written into every results file.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import os from 'node:os'

/** stdout and stderr of a command (nginx -v answers on stderr), or undefined. */
function tryRun(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  if (r.error) return undefined
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() || undefined
}

/** The commit measured, with "+changes" when tracked files differ from it (the run is not of that commit alone). */
function gitRevision(repo) {
  const head = tryRun('git', ['-C', repo, 'rev-parse', '--short', 'HEAD'])
  if (!head || /\s/.test(head)) return undefined
  const changed = tryRun('git', ['-C', repo, 'status', '--porcelain', '--untracked-files=no'])
  return changed ? `${head}+changes` : head
}

function tryRead(file) {
  try {
    return readFileSync(file, 'utf8').trim()
  } catch {
    return undefined
  }
}

/** Busy and total jiffies of all CPUs since boot (from /proc/stat). */
export function cpuJiffies() {
  const line = tryRead('/proc/stat')?.split('\n')[0]
  if (!line) return undefined
  const v = line.split(/\s+/).slice(1).map(Number)
  const idle = v[3] + (v[4] ?? 0)
  const total = v.reduce((a, b) => a + b, 0)
  return { busy: total - idle, total }
}

/** Cores' worth of CPU busy over `ms` while the bench itself is idle: the other tenants' load. */
export async function sampleBackgroundLoad(ms = 1000) {
  const a = cpuJiffies()
  await new Promise((resolve) => setTimeout(resolve, ms))
  const b = cpuJiffies()
  if (!a || !b || b.total === a.total) return undefined
  return ((b.busy - a.busy) / (b.total - a.total)) * os.cpus().length
}

export function describeMachine(repo) {
  const cpus = os.cpus()
  const osRelease = tryRead('/etc/os-release')
  const cpuinfo = tryRead('/proc/cpuinfo') ?? ''
  const family = /cpu family\s*:\s*(\d+)/.exec(cpuinfo)?.[1]
  const model = /^model\s*:\s*(\d+)/m.exec(cpuinfo)?.[1]
  const hypervisor = /Hypervisor vendor:\s*(.+)/.exec(tryRun('lscpu', []) ?? '')?.[1]?.trim()
  return {
    cpu: `${cpus.length} × ${cpus[0]?.model ?? 'unknown'}${family ? ` (family ${family}, model ${model})` : ''}`,
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    os: /PRETTY_NAME="([^"]+)"/.exec(osRelease ?? '')?.[1],
    virtualization: hypervisor ? `virtual machine (${hypervisor})` : /hypervisor/.test(cpuinfo) ? 'virtual machine' : undefined,
    node: process.version,
    openssl: process.versions.openssl,
    nginx: tryRun('nginx', ['-v'])?.replace(/^nginx version: /, ''),
    stdiscosrv: /stdiscosrv \S+ "[^"]*" \([^)]*\)/.exec(tryRun('stdiscosrv', ['-version']) ?? '')?.[0],
    wrk: /^wrk \S+/.exec(tryRun('wrk', ['-v']) ?? '')?.[0],
    git: gitRevision(repo),
    loadAverageAtStart: os.loadavg(),
  }
}
