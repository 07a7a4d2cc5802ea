import t from 'tap'
import { type Download, type PeerView, type Status } from '@flashback/protocol'
import {
  activeDownloads,
  initialState,
  needsSetup,
  peerName,
  reduce,
  reduceEvent,
  sortPeers,
  upsertDownload,
  upsertPeer,
  type AppState,
} from '../../src/state/app-state.js'
import { AppStore } from '../../src/state/store.js'
import { createFakeApi } from '../../src/api/fake-api.js'

const now = '2025-06-14T10:00:00.000Z'
const status: Status = { email: 'bob@example.com', fingerprint: null, registration: 'registered', broadcasting: true, lastHeartbeat: now, server: null, errors: [] }
const peer = (email: string, st: PeerView['status'], friend = false, nickname?: string): PeerView => ({ email, status: st, friend, ...(nickname ? { nickname } : {}) })
const dl = (id: string, state: Download['state'], received = 0): Download => ({
  id, email: 'alice@example.com', path: `f/${id}`, name: id, state, received, total: 100, file: `/d/${id}`, startedAt: now, updatedAt: now,
})
const loaded: AppState = reduce(initialState, {
  type: 'loaded',
  info: { mode: 'web', version: '1', canChooseFolder: false, canReveal: false, downloadsFolder: '/d' },
  settings: null,
  defaults: {},
  status,
  downloads: [],
})

t.test('loading', async (t) => {
  t.equal(initialState.phase, 'loading', 'the app starts loading')
  t.equal(loaded.phase, 'ready', 'a load makes it ready')
  t.ok(needsSetup(loaded), 'no settings after loading means the first-run setup')
  t.notOk(needsSetup(initialState), 'no setup is shown before loading finished')
  const failed = reduce(initialState, { type: 'load-failed', message: 'down', unauthorized: false })
  t.equal(failed.phase, 'failed', 'a failed load is shown as failed')
  t.equal(failed.loadError, 'down', 'with its message')
  t.equal(reduce(initialState, { type: 'load-failed', message: 'no', unauthorized: true }).phase, 'unauthorized', 'a 401 is its own state')
})

t.test('events', async (t) => {
  const s1 = reduceEvent(loaded, { type: 'status', status: { ...status, registration: 'email_taken', broadcasting: false } })
  t.equal(s1.status?.registration, 'email_taken', 'a status event replaces the status')
  const s2 = reduce(s1, { type: 'peers-loaded', reply: { peers: [peer('alice@example.com', 'online', true)], updatedAt: now, trackerError: 'down' } })
  t.equal(s2.peers?.length, 1, 'a listing fills the peers')
  t.equal(s2.trackerError, 'down', 'and keeps the tracker error')
  const s3 = reduceEvent(s2, { type: 'peer', peer: peer('ALICE@example.com', 'offline', true) })
  t.equal(s3.peers?.length, 1, 'a peer event updates in place, matching e-mails case-insensitively')
  t.equal(s3.peers?.[0]?.status, 'offline', 'with the new status')
  const s4 = reduceEvent(s3, { type: 'peer', peer: peer('carol@example.com', 'checking', true) })
  t.equal(s4.peers?.length, 2, 'a new peer is added')
  const s5 = reduceEvent(s4, { type: 'peer-removed', email: 'carol@example.com' })
  t.same(s5.peers?.map((p) => p.email), ['ALICE@example.com'], 'a removed peer leaves the list')
  const s6 = reduceEvent(s5, { type: 'peers', peers: { peers: [], updatedAt: now } })
  t.same(s6.peers, [], 'a full list replaces everything')
  t.equal(s6.trackerError, null, 'and clears an old tracker error')
  const s7 = reduceEvent(s6, { type: 'download', download: dl('a', 'running') })
  const s8 = reduceEvent(s7, { type: 'download', download: dl('b', 'running') })
  const s9 = reduceEvent(s8, { type: 'download', download: dl('a', 'running', 50) })
  t.same(s9.downloads.map((d) => [d.id, d.received]), [['b', 0], ['a', 50]], 'new downloads go first, progress updates in place')
  const s10 = reduceEvent(s9, { type: 'settings', settings: { email: 'bob@example.com', shareRoot: '/s', trackerUrl: 'https://t', trackerFingerprint: null, bindAll: false, access: 'open' } })
  t.equal(s10.settings?.shareRoot, '/s', 'a settings event replaces the settings')
  t.equal(reduceEvent(initialState, { type: 'peer-removed', email: 'x@y.z' }), initialState, 'removing from an unloaded list changes nothing')
})

t.test('helpers', async (t) => {
  t.same(upsertPeer(null, peer('a@b.c', 'online')).length, 1, 'upserting into nothing creates the list')
  t.same(upsertDownload([], dl('x', 'running')).map((d) => d.id), ['x'], 'upserting a download into an empty list')
  t.equal(activeDownloads([dl('a', 'running'), dl('b', 'completed'), dl('c', 'running'), dl('d', 'failed')]), 2, 'only running downloads are active')
  t.equal(peerName(peer('a@b.c', 'online', true, 'Ann')), 'Ann', 'a nickname is the name')
  t.equal(peerName(peer('a@b.c', 'online')), 'a@b.c', 'else the e-mail')
  const sorted = sortPeers([
    peer('zed@x.y', 'offline', true),
    peer('amy@x.y', 'error', true),
    peer('bob@x.y', 'online'),
    peer('cat@x.y', 'online', true),
    peer('dan@x.y', 'checking', true),
  ])
  t.same(sorted.map((p) => p.email), ['cat@x.y', 'bob@x.y', 'dan@x.y', 'amy@x.y', 'zed@x.y'], 'online first (friends before others), then checking, error, offline')
})

t.test('the store follows the bridge', async (t) => {
  const fake = createFakeApi({ sampleDownloads: true })
  t.teardown(() => fake.control.close())
  const store = new AppStore(fake)
  let notified = 0
  store.subscribe(() => notified++)
  await store.start()
  t.equal(store.getState().phase, 'ready', 'the store loads')
  t.equal(store.getState().downloads.length, 4, 'with the downloads')
  await store.refreshPeers(false)
  t.ok(store.getState().peers?.some((p) => p.email === 'alice@example.com'), 'and the peers')
  fake.control.setPeerStatus('alice@example.com', 'error', 'connection refused')
  const alice = store.getState().peers?.find((p) => p.email === 'alice@example.com')
  t.equal(alice?.status, 'error', 'a peer event reaches the state')
  t.equal(alice?.error, 'connection refused', 'with its message')
  t.ok(notified > 0, 'subscribers are notified')
  store.stop()
  fake.control.setPeerStatus('alice@example.com', 'online')
  t.equal(store.getState().peers?.find((p) => p.email === 'alice@example.com')?.status, 'error', 'a stopped store hears nothing more')

  const failing = createFakeApi()
  failing.control.failNext('getStatus', { error: 'unauthorized', message: 'no cookie' })
  const s2 = new AppStore(failing)
  await s2.start()
  t.equal(s2.getState().phase, 'unauthorized', 'an unauthorized load shows the token page')
  s2.stop()
})

t.test('publishing: loaded, then kept current by events', async (t) => {
  t.equal(loaded.publishing, null, 'unknown until asked')
  const off = { enabled: false, state: 'off' as const, files: 0, hashed: 0, bytes: 0, bytesHashed: 0, unreadable: 0, published: 0, pending: 0, syncing: true }
  const s1 = reduce(loaded, { type: 'publishing-loaded', publishing: off })
  t.same(s1.publishing, off, 'a getPublishing answer is stored')
  const hashing = { ...off, enabled: true, state: 'hashing' as const, files: 10, hashed: 3, current: 'a/b.bin' }
  const s2 = reduceEvent(s1, { type: 'publishing', publishing: hashing })
  t.same(s2.publishing, hashing, 'a publishing event replaces it')
})
