import { statusFromError, type PeerRuntime } from '@flashback/peer'
import { type FriendInfo, type PeerStatusReport } from '@flashback/protocol'
import { parse, profileDir, profileOption, expectPositionals } from '../cli-args.js'
import { notFoundError, usageError } from '../cli-error.js'
import { type Command } from '../command.js'
import { formatDate, shortFingerprint, table } from '../format.js'
import { withRuntime } from '../open-runtime.js'

const USAGE = `Usage: flashback friends --profile DIR add EMAIL [--nickname NAME] [--fingerprint SHA256]
       flashback friends --profile DIR remove EMAIL
       flashback friends --profile DIR list [--json] [--no-check]

Friends are the peers you trust by certificate: their fingerprint is learned from the tracker when you add them
(or given with --fingerprint, e.g. read out over the phone) and every later connection must present it.
With "access": "friends" only they may visit you. A running \`flashback peer\` of the same profile picks the
change up without a restart.

list health-checks every friend (● online, ○ offline, ! error with why) unless --no-check is given.`

const SYMBOL: Record<PeerStatusReport['status'], string> = { online: '●', offline: '○', checking: '?', error: '!' }
const CHECK_TIMEOUT_MS = 10_000
const CHECK_CONCURRENCY = 8

/** `flashback friends add|remove|list`. */
export const friendsCommand: Command = {
  name: 'friends',
  summary: 'add, remove and list friends (with their online status)',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parse(
      argv,
      { ...profileOption, json: { type: 'boolean' }, nickname: { type: 'string' }, fingerprint: { type: 'string' }, check: { type: 'boolean', default: true } },
      'friends',
      { allowNegative: true },
    )
    const [action, email] = positionals
    if (action !== 'add' && action !== 'remove' && action !== 'list') {
      throw usageError(`${action === undefined ? 'missing action' : `unknown action ${JSON.stringify(action)}`}: add, remove or list (see \`flashback friends --help\`)`)
    }
    expectPositionals(positionals, action === 'list' ? 1 : 2, 'friends')
    if (action !== 'add' && (values.nickname !== undefined || values.fingerprint !== undefined)) {
      throw usageError('--nickname and --fingerprint go with `friends add`')
    }
    if (action !== 'list' && (values.json || argv.includes('--no-check'))) throw usageError('--json and --no-check go with `friends list`')
    if (action !== 'list' && !email) throw usageError(`friends ${action} needs the friend's EMAIL`)
    const dir = profileDir(values.profile, io.env, true)

    await withRuntime(dir, async (runtime) => {
      if (action === 'add') {
        const friend = await runtime.addFriend(email as string, {
          ...(values.nickname !== undefined ? { nickname: values.nickname } : {}),
          ...(values.fingerprint !== undefined ? { fingerprint: values.fingerprint } : {}),
        })
        const nick = friend.nickname ? ` ("${friend.nickname}")` : ''
        io.stdout.write(`added ${friend.email}${nick} as a friend, certificate ${friend.fingerprint}\n`)
        return
      }
      if (action === 'remove') {
        if (!(await runtime.removeFriend(email as string))) throw notFoundError(`${email} is not one of your friends`)
        io.stdout.write(`removed ${email} from your friends\n`)
        return
      }
      const friends = runtime.friends()
      const statuses = values.check ? await checkAll(runtime, friends) : new Map<string, PeerStatusReport>()
      if (values.json) {
        const rows = friends.map((f) => ({ ...f, ...(statuses.has(f.email) ? { status: statuses.get(f.email) } : {}) }))
        io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`)
        return
      }
      io.stdout.write(formatFriends(friends, statuses, values.check ?? true))
    })
  },
}

/** One health check per friend (bounded in time and in parallel), as the running peer does every minute. */
async function checkAll(runtime: PeerRuntime, friends: FriendInfo[]): Promise<Map<string, PeerStatusReport>> {
  const out = new Map<string, PeerStatusReport>()
  const queue = [...friends]
  const worker = async () => {
    for (let friend = queue.shift(); friend; friend = queue.shift()) {
      const checkedAt = new Date().toISOString()
      try {
        const reply = await runtime.health(friend.email, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) })
        out.set(friend.email, { email: friend.email, status: 'online', address: reply.address, checkedAt })
      } catch (err) {
        out.set(friend.email, { email: friend.email, ...statusFromError(err), checkedAt })
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(CHECK_CONCURRENCY, friends.length) }, worker))
  return out
}

export function formatFriends(friends: FriendInfo[], statuses: Map<string, PeerStatusReport>, checked: boolean): string {
  if (friends.length === 0) return 'No friends yet: add one with `flashback friends --profile DIR add EMAIL`.\n'
  const rows = friends.map((f) => {
    const s = statuses.get(f.email)
    const status = s ? `${SYMBOL[s.status]} ${s.status}${s.message ? `: ${s.message}` : ''}` : '-'
    return [f.email, f.nickname ?? '', shortFingerprint(f.fingerprint), formatDate(f.addedAt), ...(checked ? [status] : [])]
  })
  return table(['FRIEND', 'NICKNAME', 'FINGERPRINT', 'ADDED', ...(checked ? ['STATUS'] : [])], rows)
}
