import { stat } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import cliProgress from 'cli-progress'
import { downloadState, type DownloadProgress } from '@flashback/peer'
import { parse, parseTarget, profileDir, profileOption, expectPositionals } from '../cli-args.js'
import { inputError } from '../cli-error.js'
import { type Command, type CommandIo } from '../command.js'
import { formatBytes } from '../format.js'
import { withRuntime } from '../open-runtime.js'

const USAGE = `Usage: flashback get --profile DIR EMAIL:/path [-o FILE] [--force]

Downloads a file of a peer's share. Without -o it is saved under its own name in the current folder; -o names the
file (or an existing folder to save it in). A progress bar shows on a terminal.

Bytes go to FILE.part first. Run the same command again after an interruption and it resumes where it stopped
(Range + If-Range: if the file changed on the peer in between, it starts over). An existing complete FILE is
never overwritten unless --force is given.

Exit codes: 0 saved, 1 bad arguments or FILE exists, 2 peer unreachable / file not found / transfer cut,
3 refused by the peer, 130 interrupted (Ctrl-C; run again to resume).`

/** Exit code of a download the user interrupted (128 + SIGINT), as shells report it. */
export const INTERRUPTED_EXIT_CODE = 130

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false
}

/** `flashback get`: download with resume and a progress bar. */
export const getCommand: Command = {
  name: 'get',
  summary: "download a file of a peer's share (resumes, progress bar)",
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parse(argv, { ...profileOption, output: { type: 'string', short: 'o' }, force: { type: 'boolean' } }, 'get')
    expectPositionals(positionals, 1, 'get')
    const target = parseTarget(positionals[0], 'EMAIL:/path', { requirePath: true })
    const dir = profileDir(values.profile, io.env, true)
    const name = basename(target.path)
    let dest = resolve(values.output ?? name)
    if (await isDirectory(dest)) dest = join(dest, name)
    const source = { email: target.email, path: target.path }
    const state = await downloadState(dest, source)
    if (state.complete && !values.force) throw inputError(`${dest} already exists; add --force to overwrite it`)

    const controller = new AbortController()
    let interrupted = false
    void io.stopSignal.then(() => {
      interrupted = true
      controller.abort()
    })
    const progress = progressReporter(io, `${target.email}:/${target.path}`)
    if (state.resumable) io.stderr.write(`resuming ${dest}.part (${formatBytes(state.partBytes)} already here)\n`)
    try {
      const result = await withRuntime(dir, (runtime) =>
        runtime.download(target.email, target.path, dest, { force: values.force ?? false, signal: controller.signal, onProgress: progress.update }),
      )
      progress.stop()
      const resumed = result.resumedFrom > 0 ? `, resumed from ${formatBytes(result.resumedFrom)}` : ''
      io.stdout.write(`saved ${dest} (${formatBytes(result.bytes)}${resumed})\n`)
    } catch (err) {
      progress.stop()
      if (interrupted) {
        io.stderr.write(`flashback get: interrupted; ${dest}.part keeps what arrived: run the same command again to resume\n`)
        return INTERRUPTED_EXIT_CODE
      }
      throw err
    }
  },
}

/** A cli-progress bar on a terminal (stderr), nothing otherwise: the result line on stdout is what scripts read. */
function progressReporter(io: CommandIo, label: string): { update: (p: DownloadProgress) => void; stop: () => void } {
  if (!io.stderr.isTTY) return { update: () => {}, stop: () => {} }
  const started = Date.now()
  let bar: cliProgress.SingleBar | undefined
  let from = 0
  return {
    update(p) {
      const total = p.total ?? Math.max(p.received, 1)
      if (!bar) {
        from = p.resumedFrom
        bar = new cliProgress.SingleBar({
          stream: io.stderr,
          hideCursor: true,
          barsize: 30,
          format: (options, params) => {
            const width = options.barsize ?? 30
            const filled = Math.round(params.progress * width)
            const seconds = Math.max((Date.now() - started) / 1000, 0.001)
            const speed = (params.value - from) / seconds
            const eta = speed > 0 && params.total > params.value ? `, ${Math.ceil((params.total - params.value) / speed)} s left` : ''
            return `${label} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${Math.floor(params.progress * 100)}% ${formatBytes(params.value)} of ${formatBytes(params.total)} (${formatBytes(speed)}/s${eta})`
          },
        })
        bar.start(total, p.received)
      }
      bar.setTotal(total)
      bar.update(p.received)
    },
    stop() {
      bar?.stop()
    },
  }
}
