/** Matchmaker tokens: issued and checked with one key, refused when forged, altered, expired or malformed. */
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { issueToken, MAX_TOKEN_LENGTH, verifyToken } from '../../src/matchmaker/token.js'

const key = randomBytes(32)
const claims = { email: 'alice@example.com', fingerprint: 'ab'.repeat(32), expiresAtS: 2_000_000_000 }

t.test('a token carries its claims and checks with the same key', async (t) => {
  const token = issueToken(key, claims)
  t.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'two base64url parts')
  t.same(verifyToken(key, token, claims.expiresAtS - 1), { ok: true, claims }, 'it verifies and gives back e-mail, fingerprint and expiry')
  const long = issueToken(key, { ...claims, email: `${'ü'.repeat(120)}@example.com` })
  t.ok(long.length <= MAX_TOKEN_LENGTH, 'the longest e-mail still fits the length bound')
  t.equal(verifyToken(key, long, 0).ok, true, 'and verifies (UTF-8 e-mails round-trip)')
  t.ok(issueToken(key, claims).length < 300, 'an ordinary token is small enough for a datagram')
})

t.test('forged, altered and expired tokens are refused', async (t) => {
  const token = issueToken(key, claims)
  const [payload, mac] = token.split('.') as [string, string]
  t.same(verifyToken(randomBytes(32), token, 0), { ok: false, reason: 'forged' }, 'another key: forged')
  const other = issueToken(key, { ...claims, email: 'mallory@example.com' })
  t.same(verifyToken(key, `${other.split('.')[0]}.${mac}`, 0), { ok: false, reason: 'forged' }, 'a payload swapped under a valid MAC: forged')
  const tampered = Buffer.from(payload, 'base64url')
  tampered.writeUInt32BE(0xffffffff, 1)
  t.same(verifyToken(key, `${tampered.toString('base64url')}.${mac}`, 0), { ok: false, reason: 'forged' }, 'an extended expiry: forged')
  t.same(verifyToken(key, token, claims.expiresAtS), { ok: false, reason: 'expired' }, 'at its expiry second: expired')
  t.same(verifyToken(key, token, claims.expiresAtS + 3600), { ok: false, reason: 'expired' }, 'later: expired')
})

t.test('malformed input of any kind is refused without throwing', async (t) => {
  const token = issueToken(key, claims)
  const cases: [string, unknown][] = [
    ['not a string', 42],
    ['undefined', undefined],
    ['an object', { token }],
    ['empty', ''],
    ['no dot', token.replace('.', '')],
    ['two dots', `${token}.x`],
    ['a leading dot', `.${token.split('.')[1]}`],
    ['a non-base64url character', token.replace(/^./, '+')],
    ['a short MAC', `${token.split('.')[0]}.AAAA`],
    ['a payload of only a header', `${Buffer.alloc(37).toString('base64url')}.${token.split('.')[1]}`],
    ['far too long', 'A'.repeat(MAX_TOKEN_LENGTH + 1)],
  ]
  for (const [what, value] of cases) {
    const result = verifyToken(key, value, 0)
    t.equal(result.ok, false, `${what}: refused`)
  }
  const header = Buffer.from(token.split('.')[0] as string, 'base64url')
  header.writeUInt8(2, 0)
  t.equal(verifyToken(key, `${header.toString('base64url')}.${token.split('.')[1]}`, 0).ok, false, 'another version byte: refused')
  t.throws(() => issueToken(key, { ...claims, fingerprint: 'XYZ' }), /fingerprint/, 'issuing needs a real fingerprint')
})
