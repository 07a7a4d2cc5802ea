import { once } from 'node:events'
import { RuntimeError } from '@flashback/peer'
import { parse, parseTarget, profileDir, profileOption, expectPositionals } from '../cli-args.js'
import { inputError } from '../cli-error.js'
import { type Command } from '../command.js'
import { readPeerError } from '../peer-error.js'
import { withRuntime } from '../open-runtime.js'

const USAGE = `Usage: flashback cat --profile DIR EMAIL:/path

Prints a file of a peer's share to standard output, streaming (any size). On a terminal, a file that is not text
is refused (use \`flashback get\`, or redirect the output).

  flashback cat --profile ~/.flashback alice@example.com:/notes/plan.md`

/** Types a terminal can show. */
function isText(mime: string): boolean {
  return mime.startsWith('text/') || /^(application\/(json|xml|javascript|x-sh|yaml|toml)|image\/svg\+xml)$/.test(mime) || mime.endsWith('+json') || mime.endsWith('+xml')
}

/** `flashback cat`: a peer's file on stdout. */
export const catCommand: Command = {
  name: 'cat',
  summary: "print a file of a peer's share",
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parse(argv, { ...profileOption }, 'cat')
    expectPositionals(positionals, 1, 'cat')
    const target = parseTarget(positionals[0], 'EMAIL:/path', { requirePath: true })
    const dir = profileDir(values.profile, io.env, true)
    await withRuntime(dir, async (runtime) => {
      const controller = new AbortController()
      const response = await runtime.fetchRemote(target.email, target.path, { signal: controller.signal })
      if (response.statusCode !== 200) throw await readPeerError(target.email, target.path, response)
      const mime = (response.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
      if (io.stdout.isTTY && !isText(mime)) {
        controller.abort()
        response.body.destroy()
        throw inputError(`${target.email}:/${target.path} is not text (${mime || 'unknown type'}); download it with \`flashback get\` or redirect the output`)
      }
      // A reader that goes away (`| head`) ends the copy quietly.
      let closed = false
      const onError = () => {
        closed = true
        controller.abort()
      }
      io.stdout.on('error', onError)
      try {
        for await (const chunk of response.body) {
          if (closed) break
          if (!io.stdout.write(chunk as Buffer)) await Promise.race([once(io.stdout, 'drain'), once(io.stdout, 'close')])
        }
      } catch (err) {
        if (!closed) throw new RuntimeError('download_interrupted', `${target.email} stopped sending /${target.path}: ${(err as Error).message}`)
      } finally {
        io.stdout.off('error', onError)
      }
    })
  },
}
