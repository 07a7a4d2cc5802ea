import { type PeerBroadcast } from '@flashback/protocol'
import { jsonOption, parse, profileDir, profileOption, expectPositionals } from '../cli-args.js'
import { type Command } from '../command.js'
import { formatDate, formatDuration, shortFingerprint, table } from '../format.js'
import { withRuntime } from '../open-runtime.js'

const USAGE = `Usage: flashback peers --profile DIR [--json]

Everyone online at the tracker of this profile: e-mail, addresses, port, access policy, certificate fingerprint.
A table on a terminal (friends marked ★); --json prints the tracker's answer (every page) as one JSON array.`

/** `flashback peers`: who is online at the tracker. */
export const peersCommand: Command = {
  name: 'peers',
  summary: 'list the peers online at the tracker (a table, or --json)',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parse(argv, { ...profileOption, ...jsonOption }, 'peers')
    expectPositionals(positionals, 0, 'peers')
    const dir = profileDir(values.profile, io.env, true)
    await withRuntime(dir, async (runtime) => {
      const peers = await runtime.onlinePeers()
      if (values.json) {
        io.stdout.write(`${JSON.stringify(peers, null, 2)}\n`)
        return
      }
      const me = runtime.settings().email?.toLowerCase()
      const friends = new Set(runtime.friends().map((f) => f.email.toLowerCase()))
      io.stdout.write(formatPeers(peers, { me, friends }))
    })
  },
}

export function formatPeers(peers: PeerBroadcast[], opts: { me: string | undefined; friends: Set<string> }): string {
  if (peers.length === 0) return 'No peer is online at the tracker.\n'
  const rows = peers.map((p) => {
    const email = p.email.toLowerCase()
    const mark = email === opts.me ? ' (you)' : opts.friends.has(email) ? ' ★' : ''
    return [
      `${p.email}${mark}`,
      p.addresses.join(', '),
      String(p.port),
      typeof p.capabilities.access === 'string' ? p.capabilities.access : '?',
      shortFingerprint(p.fingerprint),
      formatDate(p.last_seen),
      formatDuration(p.expires_in),
    ]
  })
  const count = `${peers.length} peer${peers.length === 1 ? '' : 's'} online\n`
  return table(['PEER', 'ADDRESSES', 'PORT', 'ACCESS', 'FINGERPRINT', 'LAST SEEN', 'EXPIRES IN'], rows, ['left', 'left', 'right']) + count
}
