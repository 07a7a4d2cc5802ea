import t from 'tap'
import { describeType, previewKind } from '../../src/lib/preview.js'
import { normalizeFingerprintInput } from '../../src/lib/fingerprint.js'
import { describeRegistration, peerStatusLook } from '../../src/lib/status-text.js'

t.test('which previewer shows a file', async (t) => {
  const cases: [string, string | undefined, string][] = [
    ['index.md', 'text/markdown', 'markdown'],
    ['README.markdown', undefined, 'markdown'],
    ['notes.txt', 'text/plain', 'text'],
    ['data.json', 'application/json', 'text'],
    ['script.py', 'application/octet-stream', 'text'],
    ['photo.JPG', 'image/jpeg', 'image'],
    ['drawing.svg', 'image/svg+xml', 'image'],
    ['scan.tiff', 'image/tiff', 'download'],
    ['clip.webm', 'video/webm', 'video'],
    ['clip.mp4', undefined, 'video'],
    ['song.mp3', 'audio/mpeg', 'audio'],
    ['chord.wav', 'audio/wav', 'audio'],
    ['archive.zip', 'application/zip', 'download'],
    ['flashback.AppImage', 'application/octet-stream', 'download'],
    ['noext', undefined, 'download'],
    ['page.html', 'text/html', 'text'],
  ]
  for (const [name, mime, kind] of cases) t.equal(previewKind(name, mime), kind, `${name} (${mime ?? 'no type'}) → ${kind}`)
  t.equal(previewKind('x', 'text/plain; charset=utf-8'), 'text', 'MIME parameters are ignored')
  t.equal(describeType('a.md'), 'Markdown document', 'markdown is described')
  t.equal(describeType('a.png'), 'PNG image', 'images are described with their format')
  t.equal(describeType('x', undefined, true), 'Folder', 'folders are folders')
  t.equal(describeType('blob'), 'File', 'unknown files are files')
  t.equal(describeType('flashback-0.1.0.AppImage'), 'AppImage file', 'a mixed-case extension keeps its case')
})

t.test('fingerprints as people paste them', async (t) => {
  const hex = 'ab'.repeat(32)
  t.equal(normalizeFingerprintInput(hex), hex, 'plain lower-case hex')
  t.equal(normalizeFingerprintInput(hex.toUpperCase()), hex, 'upper-case is lowered')
  t.equal(normalizeFingerprintInput(hex.match(/../g)?.join(':') ?? ''), hex, 'colon-separated (openssl style)')
  t.equal(normalizeFingerprintInput(`SHA256:${hex}`), hex, 'a sha256: prefix is dropped')
  t.equal(normalizeFingerprintInput(`sha256 Fingerprint=${hex}`.replace(' Fingerprint=', ' ')), hex, 'a spaced prefix is dropped')
  t.equal(normalizeFingerprintInput('abc'), null, 'too short is refused')
  t.equal(normalizeFingerprintInput('zz'.repeat(32)), null, 'non-hex is refused')
})

t.test('status words', async (t) => {
  t.same(
    [peerStatusLook('online').glyph, peerStatusLook('offline').glyph, peerStatusLook('checking').glyph, peerStatusLook('error').glyph],
    ['●', '○', '?', '!'],
    'the four glyphs of the issue',
  )
  const base = { email: 'ada@example.com', fingerprint: null, broadcasting: false, lastHeartbeat: null, server: null, errors: [] }
  t.equal(describeRegistration({ ...base, registration: 'registered', broadcasting: true }).title, 'Sharing', 'broadcasting is sharing')
  t.equal(describeRegistration({ ...base, registration: 'registered' }).tone, 'busy', 'registered but not yet broadcasting is in progress')
  const taken = describeRegistration({ ...base, registration: 'email_taken' })
  t.equal(taken.tone, 'bad', 'email_taken is a problem')
  t.match(taken.detail, /ada@example\.com is registered on this tracker with another certificate/, 'email_taken is explained with the address')
  t.match(describeRegistration({ ...base, registration: 'retrying', registrationMessage: 'ECONNREFUSED.' }).detail, /ECONNREFUSED\. Trying again/, 'retrying says why and that it retries')
  t.equal(describeRegistration({ ...base, registration: 'rejected' }).tone, 'bad', 'rejected is a problem')
  t.equal(describeRegistration({ ...base, registration: 'unconfigured' }).title, 'Not set up', 'unconfigured')
})
