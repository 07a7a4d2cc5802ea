import { RegistryClient, TrackerClient, TrackerHttpError, trackerVerification, type SearchTerm } from '@flashback/peer'
import { REGISTRY_SEARCH_MAX_LIMIT, type SearchHit } from '@flashback/protocol'
import { jsonOption, parse, profileDir, profileOption } from '../cli-args.js'
import { usageError } from '../cli-error.js'
import { type Command } from '../command.js'
import { formatBytes, shortFingerprint, table } from '../format.js'
import { withRuntime } from '../open-runtime.js'

const USAGE = `Usage: flashback search --profile DIR NAME
       flashback search --profile DIR --sha256 HASH
       options: [--limit N] [--json]

Searches the tracker's file registry (what peers publish with \`flashback peer --publish\`):
  NAME            a part of a file name, at least 2 characters, case-insensitive
  --sha256 HASH   the SHA-256 of a file's content (64 hex digits): every copy, wherever it is
  --limit N       at most N hits (default 100, at most ${REGISTRY_SEARCH_MAX_LIMIT})
  --json          the hits as a JSON array (email, fingerprint, path, name, sha256, size, online)
Publishers online now come first. Fetch a hit with \`flashback get EMAIL:/PATH\`.
Exits 0 (also when nothing matches), 1 on bad input, 2 when the tracker cannot be reached, 3 when it refuses us.`

export const searchCommand: Command = {
  name: 'search',
  summary: 'search the files peers publish, by name or SHA-256',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parse(argv, { ...profileOption, ...jsonOption, sha256: { type: 'string' }, limit: { type: 'string' } }, 'search')
    const term = searchTerm(positionals, values.sha256)
    const limit = parseLimit(values.limit)
    const dir = profileDir(values.profile, io.env, true)
    const hits = await withRuntime(dir, async (runtime) => {
      const settings = runtime.settings()
      const identity = await runtime.identity()
      const verify = await trackerVerification(settings)
      const url = settings.trackerUrl as string
      const registry = new RegistryClient({ url, identity, verify })
      try {
        return await registry.search(term, { max: limit })
      } catch (err) {
        // A tracker that lost its database no longer knows us: register (idempotent) and ask once more.
        if (!(err instanceof TrackerHttpError && err.status === 403 && err.code === 'not_registered')) throw err
        const tracker = new TrackerClient({ url, identity, verify })
        try {
          await tracker.register()
        } finally {
          await tracker.close()
        }
        return await registry.search(term, { max: limit })
      } finally {
        await registry.close()
      }
    })
    if (values.json) {
      io.stdout.write(`${JSON.stringify(hits, null, 2)}\n`)
      return
    }
    io.stdout.write(formatHits(hits, term))
  },
}

function searchTerm(positionals: string[], sha256: string | undefined): SearchTerm {
  if (sha256 !== undefined) {
    if (positionals.length > 0) throw usageError('give a NAME or --sha256 HASH, not both (see `flashback search --help`)')
    if (!/^[0-9a-fA-F]{64}$/.test(sha256.trim())) throw usageError(`--sha256 must be 64 hexadecimal digits, not ${JSON.stringify(sha256)}`)
    return { sha256: sha256.trim().toLowerCase() }
  }
  if (positionals.length === 0) throw usageError('missing NAME (a part of a file name) or --sha256 HASH (see `flashback search --help`)')
  if (positionals.length > 1) throw usageError(`one NAME at a time; quote a name with spaces ("${positionals.join(' ')}")`)
  const name = positionals[0] as string
  if ([...name].length < 2) throw usageError('NAME needs at least 2 characters')
  if (name.length > 255) throw usageError('NAME is longer than a file name can be (255 characters)')
  return { name }
}

function parseLimit(value: string | undefined): number {
  if (value === undefined) return 100
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > REGISTRY_SEARCH_MAX_LIMIT) {
    throw usageError(`--limit must be a number from 1 to ${REGISTRY_SEARCH_MAX_LIMIT}, not ${JSON.stringify(value)}`)
  }
  return Number(value)
}

export function formatHits(hits: SearchHit[], term: SearchTerm): string {
  const what = 'name' in term ? `a name containing ${JSON.stringify(term.name)}` : `SHA-256 ${term.sha256.slice(0, 16)}…`
  if (hits.length === 0) return `No published file has ${what}.\n`
  const rows = hits.map((h) => [h.online ? 'online' : 'offline', h.email, `/${h.path}`, formatBytes(h.size), `${h.sha256.slice(0, 16)}…`, shortFingerprint(h.fingerprint)])
  const online = hits.filter((h) => h.online).length
  const summary = `${hits.length} file${hits.length === 1 ? '' : 's'} with ${what} (${online} on peers online now)\n`
  return table(['', 'PEER', 'PATH', 'SIZE', 'SHA-256', 'FINGERPRINT'], rows, ['left', 'left', 'left', 'right']) + summary
}
