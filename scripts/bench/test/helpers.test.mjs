// Device IDs, statistics and the report's ratio orientation.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { deviceIdFromFingerprint } from '../lib/device-id.mjs'
import { latencySummary, median, percentileSorted } from '../lib/stats.mjs'
import { makeRow } from '../lib/compare.mjs'
import { formatValue, markdownTable } from '../lib/report.mjs'
import { makeRandom } from '../loadgen/engine.mjs'
import { get, postJson } from '../loadgen/requests.mjs'

test('Syncthing device IDs', () => {
  // Checked against stdiscosrv 1.19: it answered a lookup of this ID after an announce with that certificate.
  assert.equal(
    deviceIdFromFingerprint('2fb221225a7e9383831a1d61a20b31c415b2943e84d43795d395f912b145ac01'),
    'F6ZCCIS-2P2JYHD-AY2DVQ2-ECZRYQQ-K3FFB6Q-TKDPFOE-TSX4RFM-KFVQAQN',
    'base32 of the SHA-256, Luhn mod 32 check characters, dashes every 7',
  )
})

test('medians and percentiles', () => {
  assert.equal(median([3, 1, 2]), 2, 'odd count: the middle value')
  assert.equal(median([4, 1, 2, 3]), 2.5, 'even count: the mean of the two middle values')
  assert.ok(Number.isNaN(median([])), 'no runs: no median')
  assert.equal(median([1, Number.NaN, 3]), 2, 'failed runs (NaN) are left out')
  const sorted = Float64Array.from({ length: 1000 }, (_, i) => i + 1)
  assert.equal(percentileSorted(sorted, 99), 990, 'nearest rank: p99 of 1..1000 is 990')
  assert.equal(latencySummary(Float64Array.from([5, 1, 3])).max, 5, 'the summary keeps the maximum')
})

test('ratios read "above 1 = Flashback better" whatever the metric', () => {
  const faster = makeRow({ metric: 't', unit: 'req/s', better: 'higher', values: { flashback: [200], b: [100] }, baseline: 'b', target: { ratio: 1 } })
  assert.equal(faster.ratio, 2, 'twice the throughput is 2x')
  assert.equal(faster.meetsTarget, true, 'and meets a 1.0x target')
  const slower = makeRow({ metric: 'p99', unit: 'ms', better: 'lower', values: { flashback: [20], b: [10] }, baseline: 'b' })
  assert.equal(slower.ratio, 0.5, 'twice the latency is 0.5x')
  const stall = makeRow({ metric: 'stall', unit: 'ms', better: 'lower', values: { flashback: [25] }, target: { max: 20 } })
  assert.equal(stall.meetsTarget, false, 'an absolute ceiling is checked against the median')
  const skipped = makeRow({ metric: 't', unit: 'req/s', values: { flashback: [1], b: { skipped: 'not installed' } }, baseline: 'b' })
  assert.equal(skipped.ratio, null, 'no ratio against a skipped baseline')
  const table = markdownTable([{ number: 1, title: 'x', status: 'ok', rows: [skipped] }, { number: 2, title: 'y', status: 'skipped', reason: 'no nginx', install: 'apt-get install -y nginx-light', rows: [] }])
  assert.match(table, /skipped \(not installed\)/, 'a skipped baseline is shown, not dropped')
  assert.match(table, /apt-get install -y nginx-light/, 'with its install command')
  assert.equal(formatValue(12345.6, 'req/s'), '12,346 req/s', 'throughput is grouped by thousands')
})

test('request builders and the generator random source', () => {
  assert.equal(get('/a', { close: true }), 'GET /a HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', 'GET with Connection: close')
  const post = postJson('/r', { a: 1 })
  assert.match(post, /Content-Length: 7\r\n\r\n\{"a":1\}$/, 'POST carries the JSON body and its length')
  assert.throws(() => postJson('/r', { a: 'é' }), /ASCII/, 'non-ASCII bodies are refused (lengths are counted in bytes = characters)')
  const r = makeRandom(42)
  const xs = Array.from({ length: 1000 }, r)
  assert.ok(xs.every((x) => x >= 0 && x < 1), 'values in [0, 1)')
  assert.ok(new Set(xs).size > 990, 'and they do not repeat early')
})
