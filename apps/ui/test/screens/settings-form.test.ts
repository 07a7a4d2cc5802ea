import t from 'tap'
import { draftFrom, settingsFromDraft } from '../../src/screens/settings-form.js'

t.test('the form draft', async (t) => {
  const d = draftFrom(null, { shareRoot: '/home/ada/Flashback', trackerUrl: 'https://t.example.com', access: 'open' })
  t.same(d, { email: '', shareRoot: '/home/ada/Flashback', trackerUrl: 'https://t.example.com', trackerFingerprint: '', bindAll: false, access: 'open' }, 'first run starts from the defaults')
  const saved = { email: 'ada@example.com', shareRoot: '/s', trackerUrl: 'https://t', trackerFingerprint: 'a'.repeat(64), bindAll: true, access: 'friends' as const }
  t.same(draftFrom(saved, {}), { ...saved }, 'saved settings fill the form')
})

t.test('draft → settings and problems', async (t) => {
  const hex = 'AB:'.repeat(32).slice(0, -1)
  const { settings, problems } = settingsFromDraft({
    email: '  ada@example.com ',
    shareRoot: ' /home/ada/Shared ',
    trackerUrl: 'https://tracker.example.com:8443 ',
    trackerFingerprint: hex,
    bindAll: false,
    access: 'open',
  })
  t.same(problems, {}, 'a good draft has no problem')
  t.equal(settings.email, 'ada@example.com', 'spaces are trimmed')
  t.equal(settings.trackerFingerprint, 'ab'.repeat(32), 'the pasted fingerprint is normalised')
  const empty = settingsFromDraft({ email: '', shareRoot: '', trackerUrl: '', trackerFingerprint: '', bindAll: false, access: 'open' })
  t.same(Object.keys(empty.problems).sort(), ['email', 'shareRoot', 'trackerUrl'], 'an empty draft names the three required fields')
  t.equal(empty.settings.trackerFingerprint, null, 'no fingerprint is null (system CAs)')
  const bad = settingsFromDraft({ email: 'ada@example.com', shareRoot: '/s', trackerUrl: 'https://t.example.com', trackerFingerprint: 'xyz', bindAll: false, access: 'open' })
  t.match(bad.problems.trackerFingerprint, /64 hexadecimal digits/, 'a fingerprint that does not parse is explained')
  const open = settingsFromDraft({ email: 'ada@example.com', shareRoot: '/s', trackerUrl: 'https://t.example.com', trackerFingerprint: '', bindAll: true, access: 'open' })
  t.ok(open.problems.access, 'open access with other computers is refused')
})
