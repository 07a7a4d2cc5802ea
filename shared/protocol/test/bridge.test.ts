import t from 'tap'
import { Value } from 'typebox/value'
import {
  BridgeError,
  bridgeChannelNames,
  bridgeChannels,
  bridgeDownloadFromRuntime,
  bridgeErrorHttpStatus,
  bridgeIpcChannel,
  bridgeSearchResult,
  bridgeMethodsFrom,
  bridgeStatusFromRuntime,
  bridgeWebPath,
  checkBridgeArgs,
  checkBridgeResult,
  downloadActionRefusal,
  electronRemoteFileUrl,
  encodeBridgeError,
  isBridgeChannelName,
  isBridgeEmail,
  isBridgeEvent,
  mergePeers,
  parseRemoteFilePath,
  settingsProblems,
  SharePath,
  toBridgeError,
  webRemoteFileUrl,
  WebSessionBody,
  type BridgeArgs,
  type BridgeEvent,
  type BridgeChannelName,
  type Download,
  type FlashbackApi,
  type PeerView,
  type Settings,
  type Status,
} from '../src/index.js'

const now = '2025-01-02T03:04:05.000Z'
const fp = 'a'.repeat(64)
const settings: Settings = {
  email: 'ada@example.com',
  shareRoot: '/home/ada/Shared',
  trackerUrl: 'https://tracker.example.com:8443',
  trackerFingerprint: fp,
  bindAll: false,
  access: 'open',
}
const status: Status = {
  email: 'ada@example.com',
  fingerprint: fp,
  registration: 'registered',
  broadcasting: true,
  lastHeartbeat: now,
  server: { port: 4433, addresses: ['127.0.0.1'] },
  errors: [{ at: now, source: 'tracker', code: 'unavailable', message: 'tracker down for a while' }],
}
const peer: PeerView = { email: 'bob@example.com', friend: true, status: 'error', error: 'connection refused', fingerprint: fp }
const download: Download = {
  id: 'd1',
  email: 'bob@example.com',
  path: 'films/trip.mp4',
  name: 'trip.mp4',
  state: 'running',
  received: 1024,
  total: 4096,
  bytesPerSecond: 512,
  file: '/home/ada/Downloads/trip.mp4',
  startedAt: now,
  updatedAt: now,
}
const publishing = {
  enabled: true,
  state: 'hashing',
  files: 10,
  hashed: 4,
  bytes: 4096,
  bytesHashed: 1024,
  unreadable: 0,
  published: 3,
  pending: 1,
  syncing: true,
  current: 'films/trip.mp4',
}
const listing = {
  path: 'notes',
  entries: [{ name: 'plan.md', path: 'notes/plan.md', type: 'file', size: 12, mtime: now, mime: 'text/markdown' }],
}

// Per channel: arguments that must pass and arguments that must be refused, and one valid result.
const table: { [N in BridgeChannelName]: { good: unknown[]; bad: unknown[]; result: unknown; badResult: unknown } } = {
  getInfo: {
    good: [undefined, {}],
    bad: [{ x: 1 }, 'x', null],
    result: { mode: 'desktop', version: '0.1.0', canChooseFolder: true, canReveal: true, downloadsFolder: '/d' },
    badResult: { mode: 'mobile', version: '0.1.0', canChooseFolder: true, canReveal: true, downloadsFolder: '/d' },
  },
  getSettings: {
    good: [{}],
    bad: [{ settings: settings }],
    result: { settings: null, defaults: { shareRoot: '/home/ada/Flashback', access: 'open' } },
    badResult: { settings: { ...settings, email: 'nope' }, defaults: {} },
  },
  setSettings: {
    good: [settings, { ...settings, trackerFingerprint: null, bindAll: true, access: 'registered' }],
    bad: [
      {},
      { ...settings, email: 'not-an-email' },
      { ...settings, trackerUrl: 'http://tracker.example.com' },
      { ...settings, trackerUrl: 'https://user@evil.example.com' },
      { ...settings, trackerFingerprint: 'AB:CD' },
      { ...settings, access: 'everyone' },
      { ...settings, bindAll: 'yes' },
      { ...settings, shareRoot: '' },
      { ...settings, extra: true },
    ],
    result: { settings, status },
    badResult: { settings },
  },
  chooseShareFolder: { good: [{}], bad: [{ path: '/x' }], result: { path: null }, badResult: {} },
  getStatus: {
    good: [{}],
    bad: [[]],
    result: status,
    badResult: { ...status, registration: 'maybe' },
  },
  listMyFiles: {
    good: [{ path: '' }, { path: 'a/b', limit: 10000, cursor: 'abc' }],
    bad: [{}, { path: '../x' }, { path: '/etc' }, { path: 'a', limit: 0 }, { path: 'a', limit: 10001 }, { path: 'a', email: 'x@y.z' }],
    result: listing,
    badResult: { path: '', entries: [{ name: 'x' }] },
  },
  listPeers: {
    good: [{}, { refresh: true }],
    bad: [{ refresh: 'yes' }],
    result: { peers: [peer], updatedAt: now, trackerError: 'tracker unreachable' },
    badResult: { peers: [{ ...peer, status: 'maybe' }], updatedAt: now },
  },
  addFriend: {
    good: [{ email: 'bob@example.com' }, { email: 'bob@example.com', nickname: 'Bob' }],
    bad: [{}, { email: 'bob' }, { email: 'bob@example.com', nickname: '' }, { email: 'bob@example.com', nickname: 'x'.repeat(101) }],
    result: { peer },
    badResult: { peer: { email: 'bob@example.com' } },
  },
  removeFriend: { good: [{ email: 'bob@example.com' }], bad: [{ email: '' }, {}], result: { removed: true }, badResult: { removed: 'yes' } },
  listRemoteFiles: {
    good: [{ email: 'bob@example.com', path: '' }, { email: 'bob@example.com', path: 'Ünïcode dir/sub', limit: 500 }],
    bad: [
      { path: '' },
      { email: 'bob@example.com', path: 'a/../b' },
      { email: 'bob@example.com', path: 'a\\b' },
      { email: 'bob@example.com', path: 'a/' },
      { email: 'bob@example.com', path: 'a//b' },
      { email: 'bob@example.com', path: 'x'.repeat(4097) },
    ],
    result: { ...listing, next_cursor: 'n' },
    badResult: { entries: [] },
  },
  readRemoteText: {
    good: [{ email: 'bob@example.com', path: 'notes/plan.md' }],
    bad: [{ email: 'bob@example.com', path: '' }, { email: 'bob@example.com', path: './plan.md' }, { email: 'bob@example.com' }],
    result: { path: 'notes/plan.md', mime: 'text/markdown', size: 5, text: '# Plan' },
    badResult: { path: 'notes/plan.md', mime: 'text/markdown', size: -1, text: '' },
  },
  startDownload: {
    good: [{ email: 'bob@example.com', path: 'films/trip.mp4' }],
    bad: [{ email: 'bob@example.com', path: '' }, { email: 'bob@example.com', path: 'a', extra: 1 }],
    result: download,
    badResult: { ...download, state: 'downloading' },
  },
  listDownloads: { good: [{}], bad: [{ all: true }], result: { downloads: [download] }, badResult: { downloads: [{}] } },
  cancelDownload: { good: [{ id: 'd1' }], bad: [{ id: '' }, { id: '../x' }, {}], result: { ...download, state: 'cancelled' }, badResult: {} },
  resumeDownload: { good: [{ id: 'abc_DEF-1' }], bad: [{ id: 'a b' }], result: download, badResult: { ...download, received: -1 } },
  revealDownload: { good: [{ id: 'd1' }], bad: [{ id: 1 }], result: { ok: true }, badResult: { ok: false } },
  searchFiles: {
    good: [{ name: 'ha' }, { name: 'harbour.png', limit: 500, cursor: 'WzEsImEiLCJiIl0' }, { sha256: 'AB'.repeat(32) }, { sha256: 'ab'.repeat(32), limit: 1 }],
    bad: [
      {},
      { name: 'h' },
      { name: 'x'.repeat(256) },
      { sha256: 'ab'.repeat(31) },
      { sha256: 'zz'.repeat(32) },
      { name: 'harbour', sha256: 'ab'.repeat(32) },
      { name: 'harbour', limit: 501 },
      { name: 'harbour', cursor: '' },
      { name: 'harbour', extra: 1 },
    ],
    result: {
      results: [{ email: 'bob@example.com', name: 'trip.mp4', path: 'films/trip.mp4', size: 4096, sha256: 'ab'.repeat(32), online: false, mine: false }],
      nextCursor: 'next',
    },
    badResult: { results: [{ email: 'bob@example.com', name: 'trip.mp4', path: 'films/trip.mp4', size: 4096, sha256: 'AB'.repeat(32), online: false, mine: false }] },
  },
  getPublishing: {
    good: [{}],
    bad: [{ enabled: true }],
    result: publishing,
    badResult: { ...publishing, state: 'busy' },
  },
  setPublishing: {
    good: [{ enabled: true }, { enabled: false }],
    bad: [{}, { enabled: 'yes' }, { enabled: true, root: '/x' }],
    result: { ...publishing, enabled: false, state: 'off', error: { message: 'the tracker is unreachable', at: now } },
    badResult: { ...publishing, error: 'unreachable' },
  },
  openExternal: {
    good: [{ url: 'https://example.com/a?b=c' }, { url: 'http://example.com' }],
    bad: [{ url: 'javascript:alert(1)' }, { url: 'file:///etc/passwd' }, { url: 'flashback://peer/x' }, { url: 'https://a b' }],
    result: { opened: true },
    badResult: { opened: 'yes' },
  },
}

t.test('the channel table', async (t) => {
  t.same(Object.keys(table).sort(), [...bridgeChannelNames].sort(), 'the test table covers every channel and no other')
  for (const name of bridgeChannelNames) {
    t.ok(bridgeChannels[name].args && bridgeChannels[name].result, `${name} has an args and a result schema`)
    t.equal(bridgeIpcChannel(name), `flashback:${name}`, `${name}'s IPC channel is flashback:<name>`)
    t.equal(bridgeWebPath(name), `/api/bridge/${name}`, `${name}'s web route is /api/bridge/<name>`)
    t.match(name, /^[a-z][A-Za-z]+$/, `${name} is a plain camelCase name, safe in a URL and a channel`)
  }
  t.ok(isBridgeChannelName('getStatus'), 'a known name is recognised')
  t.notOk(isBridgeChannelName('toString'), 'inherited object keys are not channels')
  t.notOk(isBridgeChannelName('__proto__'), '__proto__ is not a channel')
  t.notOk(isBridgeChannelName(42), 'a number is not a channel')
})

for (const name of bridgeChannelNames) {
  t.test(`channel ${name}: schemas accept good and refuse bad payloads`, async (t) => {
    const row = table[name]
    for (const good of row.good) {
      t.doesNotThrow(() => checkBridgeArgs(name, good), `${name} accepts ${JSON.stringify(good)}`)
    }
    for (const bad of row.bad) {
      const err = (() => {
        try {
          checkBridgeArgs(name, bad)
        } catch (e) {
          return e
        }
        return null
      })()
      t.type(err, BridgeError, `${name} refuses ${JSON.stringify(bad)?.slice(0, 80)}`)
      t.equal((err as BridgeError | null)?.code, 'validation_failed', `${name}'s refusal is a validation_failed error`)
    }
    t.ok(checkBridgeResult(name, row.result), `${name}'s result schema accepts a well-formed result`)
    t.notOk(checkBridgeResult(name, row.badResult), `${name}'s result schema refuses a malformed result`)
  })
}

t.test('a validation error names the settings field at fault', async (t) => {
  try {
    checkBridgeArgs('setSettings', { ...settings, trackerUrl: 'ftp://x' })
    t.fail('an ftp tracker URL must be refused')
  } catch (e) {
    t.equal((e as BridgeError).field, 'trackerUrl', 'the field is trackerUrl')
    t.match((e as BridgeError).message, /setSettings: \/trackerUrl/, 'the message says which method and which field')
  }
})

t.test('share paths', async (t) => {
  const good = ['', 'a', 'a/b/c', '.hidden', '...', 'a/..b', 'a b/ü.md', 'x'.repeat(4096)]
  const bad = ['/', '/a', 'a/', 'a//b', '.', '..', 'a/.', 'a/..', '../a', 'a/./b', 'a\\b', 'a\u0000b', 'x'.repeat(4097)]
  for (const p of good) t.ok(Value.Check(SharePath, p), `${JSON.stringify(p.slice(0, 20))} is a share path`)
  for (const p of bad) t.notOk(Value.Check(SharePath, p), `${JSON.stringify(p.slice(0, 20))} is refused`)
})

t.test('settings problems speak to people, field by field', async (t) => {
  t.same(settingsProblems(settings), [], 'valid settings have no problem')
  const fields = (input: Record<string, unknown>) => settingsProblems(input).map((p) => p.field)
  t.same(fields({}), ['email', 'shareRoot', 'trackerUrl', 'access', 'bindAll'], 'an empty form lists every required field')
  t.same(fields({ ...settings, email: 'ada' }), ['email'], 'a bad e-mail is reported')
  t.same(fields({ ...settings, shareRoot: 'Shared' }), ['shareRoot'], 'a relative share folder is reported')
  t.same(fields({ ...settings, shareRoot: 'C:\\Users\\ada\\Shared' }), [], 'a Windows path is a full path')
  t.same(fields({ ...settings, trackerUrl: 'http://t.example.com' }), ['trackerUrl'], 'plain http trackers are refused')
  t.match(settingsProblems({ ...settings, trackerUrl: 'http://t' })[0]?.message, /https:\/\//, 'the message says the address starts with https://')
  t.same(fields({ ...settings, trackerFingerprint: 'abc' }), ['trackerFingerprint'], 'a short fingerprint is reported')
  t.same(fields({ ...settings, trackerFingerprint: null }), [], 'no fingerprint means system CAs, which is fine')
  t.same(fields({ ...settings, bindAll: true, access: 'open' }), ['access'], 'open access with bindAll is refused, as the peer server does')
  t.same(fields({ ...settings, bindAll: true, access: 'friends' }), [], 'friends-only access with bindAll is fine')
})

t.test('errors survive every transport', async (t) => {
  const body = { error: 'email_taken', message: 'ada@example.com is registered with another certificate.', field: 'email' }
  // What Electron's ipcRenderer.invoke rejects with when main throws new Error(encodeBridgeError(body)).
  const wrapped = new Error(`Error invoking remote method 'flashback:setSettings': Error: ${encodeBridgeError(body)}`)
  const fromIpc = toBridgeError(wrapped)
  t.equal(fromIpc.code, 'email_taken', 'the code survives Electron wrapping')
  t.equal(fromIpc.message, body.message, 'the message survives Electron wrapping')
  t.equal(fromIpc.field, 'email', 'the field survives Electron wrapping')
  const fromHttp = toBridgeError({ error: 'not_online', message: 'bob is offline' })
  t.equal(fromHttp.code, 'not_online', 'an HTTP error body becomes a BridgeError')
  const plain = toBridgeError(new Error('socket hang up'))
  t.equal(plain.code, 'internal_error', 'a plain error becomes internal_error')
  t.equal(plain.message, 'socket hang up', 'keeping its message')
  t.equal(toBridgeError(new Error('flashback-error:{broken')).code, 'internal_error', 'a broken encoding does not throw')
  t.equal(toBridgeError(fromHttp), fromHttp, 'a BridgeError passes through unchanged')
  t.same(JSON.parse(JSON.stringify(fromIpc)), body, 'a BridgeError serialises to the error body')
  t.equal(toBridgeError(undefined).message, 'Something went wrong.', 'undefined still gives a message')
})

t.test('error codes map to HTTP statuses for web mode', async (t) => {
  const table: [string, number][] = [
    ['validation_failed', 400], ['unauthorized', 401], ['forbidden', 403], ['not_online', 404], ['email_taken', 409],
    ['too_large', 413], ['not_text', 415], ['unsupported', 501], ['unreachable', 502], ['whatever', 500],
  ]
  for (const [code, status] of table) t.equal(bridgeErrorHttpStatus(code), status, `${code} → ${status}`)
  t.ok(isBridgeEmail('ada@example.com'), 'an address is an e-mail')
  t.notOk(isBridgeEmail('ada'), 'a word is not')
  t.notOk(isBridgeEmail(42), 'a number is not')
})

t.test('remote file URLs round-trip and refuse hostile paths', async (t) => {
  t.equal(electronRemoteFileUrl('bob@example.com', 'notes/plan.md'), 'flashback://peer/bob%40example.com/notes/plan.md', 'the Electron URL shape')
  t.equal(webRemoteFileUrl('bob@example.com', 'notes/plan.md'), '/remote/bob%40example.com/notes/plan.md', 'the web URL shape')
  t.equal(webRemoteFileUrl('bob@example.com', ''), '/remote/bob%40example.com/', 'the root folder ends in a slash')
  const names = ['a b.mp4', 'ü/ß.md', 'what?#.txt', '100%.png', 'semi;colon', "quote'\"", 'emoji 🎞.webm', '..a', 'a+b&c=d']
  for (const path of names) {
    const url = new URL(electronRemoteFileUrl('bob+tag@example.com', path))
    t.same(parseRemoteFilePath(url.pathname), { email: 'bob+tag@example.com', path }, `${path} round-trips through a parsed flashback:// URL`)
    const web = webRemoteFileUrl('bob+tag@example.com', path)
    t.same(parseRemoteFilePath(web.slice('/remote/'.length)), { email: 'bob+tag@example.com', path }, `${path} round-trips through /remote/`)
  }
  t.same(parseRemoteFilePath('bob%40example.com/a.png?x=1'), { email: 'bob@example.com', path: 'a.png' }, 'a query string is ignored')
  const hostile = [
    '', 'bob%40example.com', 'not-an-email/a', 'bob%40example.com/../x', 'bob%40example.com/a/%2e%2e/x',
    'bob%40example.com/a%2fb', 'bob%40example.com/a%5cb', 'bob%40example.com/a%00b', 'bob%40example.com/a//b',
    'bob%40example.com/%E0%A4%A', 'bob%40example.com/a/', 'bob%40example.com/.',
  ]
  for (const h of hostile) t.equal(parseRemoteFilePath(h), null, `${JSON.stringify(h)} is refused`)
})

t.test('events', async (t) => {
  const events: BridgeEvent[] = [
    { type: 'status', status },
    { type: 'peer', peer },
    { type: 'peers', peers: { peers: [peer], updatedAt: now } },
    { type: 'peer-removed', email: 'bob@example.com' },
    { type: 'download', download },
    { type: 'settings', settings },
    { type: 'publishing', publishing: publishing as Extract<BridgeEvent, { type: 'publishing' }>['publishing'] },
  ]
  for (const e of events) t.ok(isBridgeEvent(e), `a ${e.type} event is valid`)
  t.notOk(isBridgeEvent({ type: 'status' }), 'a status event without its status is refused')
  t.notOk(isBridgeEvent({ type: 'reboot' }), 'an unknown event type is refused')
  t.notOk(isBridgeEvent({ type: 'download', download: { ...download, total: -5 } }), 'a download event with a negative total is refused')
  t.notOk(isBridgeEvent({ type: 'publishing', publishing: { ...publishing, hashed: -1 } }), 'a publishing event with a negative count is refused')
})

t.test('web session body', async (t) => {
  t.ok(Value.Check(WebSessionBody, { token: 'A'.repeat(43) }), 'a base64url token is accepted')
  t.notOk(Value.Check(WebSessionBody, { token: 'short' }), 'a short token is refused')
  t.notOk(Value.Check(WebSessionBody, { token: 'x'.repeat(20) + '<' }), 'odd characters are refused')
})

t.test('runtime adapters', async (t) => {
  const runtime = {
    running: true,
    email: 'ada@example.com',
    fingerprint: fp,
    server: { port: 4433, addresses: ['127.0.0.1'], access: 'open' as const, bindAll: false },
    tracker: { state: 'broadcasting' as const, lastHeartbeatAt: now },
  }
  const s = bridgeStatusFromRuntime({ configured: true, runtime })
  t.ok(checkBridgeResult('getStatus', s), 'the adapted status is a valid bridge status')
  t.equal(s.registration, 'registered', 'broadcasting means registered')
  t.equal(s.broadcasting, true, 'and broadcasting')
  t.equal(s.lastHeartbeat, now, 'the last heartbeat is carried over')
  const taken = bridgeStatusFromRuntime({
    configured: true,
    runtime: { ...runtime, tracker: { state: 'email_taken', error: { code: 'email_taken', message: 'taken' } } },
  })
  t.equal(taken.registration, 'email_taken', 'email_taken is carried over')
  t.equal(taken.registrationMessage, 'taken', 'with its message')
  t.equal(taken.broadcasting, false, 'and not broadcasting')
  const fresh = bridgeStatusFromRuntime({ configured: false, runtime: { running: false, tracker: { state: 'stopped' } } })
  t.equal(fresh.registration, 'unconfigured', 'no settings means unconfigured')
  t.equal(fresh.email, null, 'and no e-mail yet')
  t.ok(checkBridgeResult('getStatus', fresh), 'which is still a valid status')

  const d = bridgeDownloadFromRuntime(
    {
      id: 'x1', email: 'bob@example.com', path: 'a/b/film.mp4', dest: '/dl/film.mp4', state: 'failed', received: 10,
      resumedFrom: 0, error: { code: 'unreachable', message: 'bob went away' }, startedAt: now, updatedAt: now,
    },
    99,
  )
  t.ok(checkBridgeResult('startDownload', d), 'the adapted download is valid')
  t.equal(d.name, 'film.mp4', 'its name is the last path segment')
  t.equal(d.total, null, 'an unknown total is null')
  t.equal(d.error, 'bob went away', 'the error message is kept')
  t.equal(d.bytesPerSecond, undefined, 'a rate is only given while running')

  const b = (email: string) => ({ email, port: 1, addresses: ['127.0.0.1'], capabilities: {}, fingerprint: fp, last_seen: now, expires_in: 60 })
  const f = (email: string, nickname?: string) => ({ email, fingerprint: fp, addedAt: now, ...(nickname ? { nickname } : {}) })
  const peers = mergePeers({
    online: [b('zed@example.com'), b('Carol@example.com'), b('ada@example.com')],
    friends: [f('carol@example.com', 'Carol'), f('dan@example.com'), f('eve@example.com')],
    reports: [
      { email: 'eve@example.com', status: 'error', message: 'certificate mismatch' },
      { email: 'dan@example.com', status: 'offline' },
    ],
    me: 'ADA@example.com',
  })
  t.same(peers.map((p) => [p.email, p.status, p.friend]), [
    ['carol@example.com', 'online', true],
    ['dan@example.com', 'offline', true],
    ['eve@example.com', 'error', true],
    ['zed@example.com', 'online', false],
  ], 'friends first, merged case-insensitively with the online list, myself left out')
  t.equal(peers[0]?.nickname, 'Carol', 'a nickname is kept')
  t.equal(peers[2]?.error, 'certificate mismatch', 'an error carries its message')
  t.ok(checkBridgeResult('listPeers', { peers, updatedAt: now }), 'the merged list is a valid reply')
  const unchecked = mergePeers({ online: [], friends: [f('fay@example.com')] })
  t.equal(unchecked[0]?.status, 'checking', 'an unlisted friend without a health check yet is checking')
})

t.test('FlashbackApi types: argument-less methods may be called bare', async (t) => {
  // Compile-time checks (tsc runs over test/): these lines would not typecheck if the mapping were wrong.
  const call = async (api: FlashbackApi) => {
    await api.getStatus()
    await api.listPeers()
    await api.listPeers({ refresh: true })
    await api.listRemoteFiles({ email: 'bob@example.com', path: '' })
    // @ts-expect-error listRemoteFiles needs its argument
    await api.listRemoteFiles()
  }
  const args: BridgeArgs<'addFriend'> = { email: 'bob@example.com' }
  t.type(call, 'function', 'the API shape typechecks')
  t.equal(args.email, 'bob@example.com', 'BridgeArgs gives the argument type')
})

t.test('bridgeMethodsFrom makes one method per channel from the table', async (t) => {
  const asked: string[] = []
  const methods = bridgeMethodsFrom((name) => async () => {
    asked.push(name)
    return name as never
  })
  t.same(Object.keys(methods).sort(), [...bridgeChannelNames].sort(), 'every channel has a method, and nothing else is there')
  t.equal(await methods.getStatus(), 'getStatus', 'each method is the one made for its name')
  t.same(asked, ['getStatus'], 'only the method called ran')
})

t.test('download actions: only a running download can be cancelled, only a cancelled or failed one resumed', async (t) => {
  t.equal(downloadActionRefusal('cancel', 'running'), undefined, 'a running download can be cancelled')
  for (const state of ['completed', 'cancelled', 'failed'] as const) {
    t.match(downloadActionRefusal('cancel', state), new RegExp(`^This download is ${state}; only a running one`), `a ${state} one cannot, and the text says why`)
  }
  t.equal(downloadActionRefusal('resume', 'cancelled'), undefined, 'a cancelled download can be resumed')
  t.equal(downloadActionRefusal('resume', 'failed'), undefined, 'a failed download can be resumed')
  for (const state of ['running', 'completed'] as const) {
    t.match(downloadActionRefusal('resume', state), /only a cancelled or failed one can be resumed/, `a ${state} one cannot`)
  }
})

t.test('registry hits become search results, my own marked', async (t) => {
  const hit = { email: 'Ada@Example.com', fingerprint: 'cd'.repeat(32), path: 'films/trip.mp4', name: 'trip.mp4', sha256: 'ab'.repeat(32), size: 7, online: true }
  const mine = bridgeSearchResult(hit, 'ada@example.com')
  t.same(mine, { email: 'Ada@Example.com', name: 'trip.mp4', path: 'films/trip.mp4', size: 7, sha256: 'ab'.repeat(32), online: true, mine: true }, 'the fields the UI needs, mine matched without case')
  t.equal(bridgeSearchResult(hit, 'bob@example.com').mine, false, "someone else's file is not mine")
  t.equal(bridgeSearchResult(hit, null).mine, false, 'without an e-mail nothing is mine')
  t.ok(checkBridgeResult('searchFiles', { results: [mine] }), 'a mapped hit is a valid result')
})
