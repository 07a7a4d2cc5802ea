// Device IDs, statistics and the report's ratio orientation.
import t from 'tap'
import { deviceIdFromFingerprint } from '../lib/device-id.mjs'
import { latencySummary, median, percentileSorted } from '../lib/stats.mjs'
import { makeRow } from '../lib/compare.mjs'
import { formatValue, markdownTable } from '../lib/report.mjs'
import { makeRandom } from '../loadgen/engine.mjs'
import { get, postJson } from '../loadgen/requests.mjs'

t.test('Syncthing device IDs', async (t) => {
  // Checked against stdiscosrv 1.19: it answered a lookup of this ID after an announce with that certificate.
  t.equal(
    deviceIdFromFingerprint('2fb221225a7e9383831a1d61a20b31c415b2943e84d43795d395f912b145ac01'),
    'F6ZCCIS-2P2JYHD-AY2DVQ2-ECZRYQQ-K3FFB6Q-TKDPFOE-TSX4RFM-KFVQAQN',
    'base32 of the SHA-256, Luhn mod 32 check characters, dashes every 7',
  )
})

t.test('medians and percentiles', async (t) => {
  t.equal(median([3, 1, 2]), 2, 'odd count: the middle value')
  t.equal(median([4, 1, 2, 3]), 2.5, 'even count: the mean of the two middle values')
  t.ok(Number.isNaN(median([])), 'no runs: no median')
  t.equal(median([1, Number.NaN, 3]), 2, 'failed runs (NaN) are left out')
  const sorted = Float64Array.from({ length: 1000 }, (_, i) => i + 1)
  t.equal(percentileSorted(sorted, 99), 990, 'nearest rank: p99 of 1..1000 is 990')
  t.equal(latencySummary(Float64Array.from([5, 1, 3])).max, 5, 'the summary keeps the maximum')
})

t.test('ratios read "above 1 = Flashback better" whatever the metric', async (t) => {
  const faster = makeRow({ metric: 't', unit: 'req/s', better: 'higher', values: { flashback: [200], b: [100] }, baseline: 'b', target: { ratio: 1 } })
  t.equal(faster.ratio, 2, 'twice the throughput is 2x')
  t.equal(faster.meetsTarget, true, 'and meets a 1.0x target')
  const slower = makeRow({ metric: 'p99', unit: 'ms', better: 'lower', values: { flashback: [20], b: [10] }, baseline: 'b' })
  t.equal(slower.ratio, 0.5, 'twice the latency is 0.5x')
  const stall = makeRow({ metric: 'stall', unit: 'ms', better: 'lower', values: { flashback: [25] }, target: { max: 20 } })
  t.equal(stall.meetsTarget, false, 'an absolute ceiling is checked against the median')
  const skipped = makeRow({ metric: 't', unit: 'req/s', values: { flashback: [1], b: { skipped: 'not installed' } }, baseline: 'b' })
  t.equal(skipped.ratio, null, 'no ratio against a skipped baseline')
  const table = markdownTable([{ number: 1, title: 'x', status: 'ok', rows: [skipped] }, { number: 2, title: 'y', status: 'skipped', reason: 'no nginx', install: 'apt-get install -y nginx-light', rows: [] }])
  t.match(table, /skipped \(not installed\)/, 'a skipped baseline is shown, not dropped')
  t.match(table, /apt-get install -y nginx-light/, 'with its install command')
  t.equal(formatValue(12345.6, 'req/s'), '12,346 req/s', 'throughput is grouped by thousands')
})

t.test('request builders and the generator random source', async (t) => {
  t.equal(get('/a', { close: true }), 'GET /a HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', 'GET with Connection: close')
  const post = postJson('/r', { a: 1 })
  t.match(post, /Content-Length: 7\r\n\r\n\{"a":1\}$/, 'POST carries the JSON body and its length')
  t.throws(() => postJson('/r', { a: 'é' }), /ASCII/, 'non-ASCII bodies are refused (lengths are counted in bytes = characters)')
  const r = makeRandom(42)
  const xs = Array.from({ length: 1000 }, r)
  t.ok(xs.every((x) => x >= 0 && x < 1), 'values in [0, 1)')
  t.ok(new Set(xs).size > 990, 'and they do not repeat early')
})
