import t from 'tap'
import { formatBytes, formatDuration, formatFingerprint, formatProgress, formatRate, formatRelativeTime, plural } from '../../src/lib/format.js'

t.test('bytes', async (t) => {
  const cases: [number, string][] = [
    [0, '0 B'], [1, '1 B'], [1023, '1023 B'], [1024, '1 KB'], [1536, '1.5 KB'], [10 * 1024 * 1024, '10 MB'],
    [123.4 * 1024 * 1024, '123 MB'], [5 * 1024 ** 4, '5 TB'], [-1, '—'], [Number.NaN, '—'],
  ]
  for (const [n, s] of cases) t.equal(formatBytes(n), s, `${n} → ${s}`)
  t.equal(formatRate(2048), '2 KB/s', 'a rate is bytes per second')
})

t.test('durations', async (t) => {
  t.equal(formatDuration(5), '5 s', 'seconds')
  t.equal(formatDuration(60), '1 min', 'a round minute')
  t.equal(formatDuration(75), '1 min 15 s', 'minutes and seconds')
  t.equal(formatDuration(3600), '1 h', 'a round hour')
  t.equal(formatDuration(3720), '1 h 2 min', 'hours and minutes')
  t.equal(formatDuration(-3), '—', 'negative is unknown')
})

t.test('download progress', async (t) => {
  t.same(formatProgress(512 * 1024, 1024 * 1024, 256 * 1024), { percent: 50, amount: '512 KB of 1 MB', speed: '256 KB/s · 2 s left' }, 'halfway with a known rate')
  t.same(formatProgress(100, null), { percent: null, amount: '100 B', speed: '' }, 'an unknown total gives no percentage')
  t.same(formatProgress(0, 0), { percent: 100, amount: '0 B', speed: '' }, 'an empty file is complete')
  t.equal(formatProgress(999, 1000).percent, 99, 'percentages round down, 100% only when done')
  t.equal(formatProgress(2000, 1000).percent, 100, 'never above 100')
  t.equal(formatProgress(10, 100, 0).speed, '', 'a zero rate is not shown')
})

t.test('relative times', async (t) => {
  const now = Date.parse('2025-06-14T12:00:00Z')
  const ago = (ms: number) => new Date(now - ms).toISOString()
  t.equal(formatRelativeTime(null, now), 'never', 'no date')
  t.equal(formatRelativeTime('nonsense', now), 'unknown', 'a bad date')
  t.equal(formatRelativeTime(ago(10_000), now), 'just now', 'seconds ago')
  t.equal(formatRelativeTime(ago(5 * 60_000), now), '5 min ago', 'minutes ago')
  t.equal(formatRelativeTime(ago(3 * 3_600_000), now), '3 h ago', 'hours ago')
  t.equal(formatRelativeTime(ago(26 * 3_600_000), now), 'yesterday', 'a day ago')
  t.equal(formatRelativeTime(ago(5 * 86_400_000), now), '5 days ago', 'days ago')
  t.match(formatRelativeTime(ago(40 * 86_400_000), now), /May 2025/, 'older dates are shown as dates')
})

t.test('fingerprints and plurals', async (t) => {
  t.equal(formatFingerprint('ab'.repeat(8)), 'abab abab abab abab', 'grouped by four')
  t.equal(plural(1, 'item'), '1 item', 'singular')
  t.equal(plural(10000, 'item'), '10,000 items', 'plural with thousands separators')
  t.equal(plural(2, 'entry', 'entries'), '2 entries', 'an irregular plural')
})
