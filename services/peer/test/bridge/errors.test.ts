import t from 'tap'
import { BridgeError, bridgeErrorHttpStatus } from '@flashback/protocol'
import { toBridgeErrorFromRuntime, INTERNAL_ERROR_MESSAGE } from '../../src/bridge/index.js'
import {
  FingerprintChangedError,
  ImpostorError,
  PeerHttpError,
  PeerOfflineError,
  PeerUnreachableError,
  ProfileError,
  ProtocolError,
  RuntimeError,
  TrackerHttpError,
  TrackerUnreachableError,
} from '../../src/runtime/index.js'

const fp = (c: string) => c.repeat(64)

t.test('runtime failures become bridge errors with the bridge vocabulary and sensible statuses', async (t) => {
  const cases: [string, unknown, string, number][] = [
    ['a peer the tracker does not list', new PeerOfflineError('a@example.com'), 'not_online', 404],
    ['a peer none of whose addresses answers', new PeerUnreachableError('a@example.com', []), 'unreachable', 502],
    ['an impostor certificate', new ImpostorError('127.0.0.1:1', fp('a'), fp('b')), 'certificate_mismatch', 403],
    ["a friend's changed certificate", new FingerprintChangedError('a@example.com', fp('a'), fp('b')), 'certificate_mismatch', 403],
    ['an unreachable tracker', new TrackerUnreachableError('down'), 'unavailable', 502],
    ['an untrusted tracker', new TrackerUnreachableError('pin', { code: 'tracker_untrusted' }), 'certificate_mismatch', 403],
    ['a folder that is a file', new PeerHttpError('a@example.com', 400, 'not_a_directory', 'file'), 'not_a_directory', 400],
    ['a refused visit', new PeerHttpError('a@example.com', 403, 'forbidden', 'no'), 'forbidden', 403],
    ['a binary file read as text', new PeerHttpError('a@example.com', 415, 'not_text', 'binary'), 'not_text', 415],
    ['text of a folder', new PeerHttpError('a@example.com', 400, 'not_a_file', 'folder'), 'bad_request', 400],
    ['an odd peer answer', new PeerHttpError('a@example.com', 500, 'http_500', 'boom'), 'unavailable', 502],
    ['an e-mail unknown to the tracker', new RuntimeError('not_registered', 'who?'), 'not_found', 404],
    ['a tracker error status', new TrackerHttpError(429, 'rate_limited', 'slow down'), 'unavailable', 502],
    ['a peer speaking nonsense', new ProtocolError('garbage'), 'unavailable', 502],
    ['a second download to the same file', new RuntimeError('already_downloading', 'busy'), 'invalid_state', 409],
    ['a stopped peer', new RuntimeError('not_running', 'stopped'), 'unavailable', 502],
  ]
  for (const [what, thrown, code, status] of cases) {
    const err = toBridgeErrorFromRuntime(thrown)
    t.ok(err instanceof BridgeError, `${what}: a BridgeError`)
    t.equal(err.code, code, `${what}: code ${code}`)
    t.equal(bridgeErrorHttpStatus(err.code), status, `${what}: HTTP ${status} in web mode`)
    t.equal(err.message, (thrown as Error).message, `${what}: the runtime's words are kept`)
    t.notOk(err.internal, `${what}: an expected failure, not a bug`)
  }
})

t.test('validation problems name their field; unexpected failures say little', async (t) => {
  const profile = toBridgeErrorFromRuntime(new ProfileError('settings: /access is bad', { field: '/access' }))
  t.match(profile, { code: 'validation_failed', field: 'access' }, 'a profile problem names the settings field')
  t.match(toBridgeErrorFromRuntime(new RuntimeError('invalid_email', 'nope')), { code: 'validation_failed', field: 'email' }, 'a bad e-mail names the email field')
  const own = new BridgeError('unsupported', 'no picker')
  t.equal(toBridgeErrorFromRuntime(own), own, 'a BridgeError passes through unchanged')
  const bug = toBridgeErrorFromRuntime(new TypeError('cannot read properties of undefined (reading "x") at /home/me/secret'))
  t.match(bug, { code: 'internal_error', message: INTERNAL_ERROR_MESSAGE, internal: true }, 'a bug is internal_error without its details')
  t.match(toBridgeErrorFromRuntime(Object.assign(new Error('EACCES: /x'), { code: 'EACCES' })), { code: 'internal_error', internal: true }, 'a system error too')
})
