import { type FileEntry } from '@flashback/protocol'
import { jsonOption, parse, parseTarget, profileDir, profileOption, expectPositionals } from '../cli-args.js'
import { type Command } from '../command.js'
import { formatBytes, formatDate, table } from '../format.js'
import { withRuntime } from '../open-runtime.js'

const USAGE = `Usage: flashback ls --profile DIR EMAIL[:/path] [--json]

Lists a folder of a peer's share (its root without a path): folders first, then files, with size and date.
--json prints { "email", "path", "entries": [ { name, path, type, size, mtime, mime } … ] } (every page).

  flashback ls --profile ~/.flashback alice@example.com
  flashback ls --profile ~/.flashback alice@example.com:/notes`

/** `flashback ls`: a peer's folder. */
export const lsCommand: Command = {
  name: 'ls',
  summary: "list a folder of a peer's share",
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parse(argv, { ...profileOption, ...jsonOption }, 'ls')
    expectPositionals(positionals, 1, 'ls')
    const target = parseTarget(positionals[0], 'EMAIL[:/path]', { requirePath: false })
    const dir = profileDir(values.profile, io.env, true)
    await withRuntime(dir, async (runtime) => {
      const entries: FileEntry[] = []
      for await (const page of runtime.listFolderPages(target.email, target.path)) entries.push(...page.entries)
      if (values.json) {
        io.stdout.write(`${JSON.stringify({ email: target.email, path: target.path, entries }, null, 2)}\n`)
        return
      }
      io.stdout.write(formatListing(target.email, target.path, entries))
    })
  },
}

export function formatListing(email: string, path: string, entries: FileEntry[]): string {
  const where = `${email}:/${path}`
  if (entries.length === 0) return `${where} is empty.\n`
  const rows = entries.map((e) => [e.type === 'directory' ? '-' : formatBytes(e.size), formatDate(e.mtime), e.type === 'directory' ? `${e.name}/` : e.name])
  const folders = entries.filter((e) => e.type === 'directory').length
  const files = entries.length - folders
  const total = entries.reduce((sum, e) => sum + (e.type === 'file' ? e.size : 0), 0)
  const summary = `${folders} folder${folders === 1 ? '' : 's'}, ${files} file${files === 1 ? '' : 's'} (${formatBytes(total)})`
  return `${where}\n${table(['SIZE', 'MODIFIED', 'NAME'], rows, ['right'])}${summary}\n`
}
