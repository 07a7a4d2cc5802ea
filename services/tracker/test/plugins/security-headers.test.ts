import t from 'tap'
import { helmetHeaders, TRACKER_HELMET_OPTIONS } from '../../src/plugins/security-headers.js'
import { buildTestApp } from '../helper.js'

t.test("helmetHeaders records what Helmet's middleware sets, once", async (t) => {
  const { set, removed } = helmetHeaders(TRACKER_HELMET_OPTIONS)
  t.equal(set['content-security-policy'], "default-src 'none';frame-ancestors 'none'", 'an API policy: nothing may load, nothing may frame it')
  t.equal(set['x-frame-options'], 'DENY', 'frames refused in old browsers too')
  t.equal(set['x-content-type-options'], 'nosniff', 'no MIME sniffing')
  t.match(set['strict-transport-security'], /^max-age=\d+; includeSubDomains$/, 'HSTS')
  t.equal(set['cross-origin-resource-policy'], 'same-origin', 'no cross-origin reads')
  t.ok(removed.includes('x-powered-by'), 'Helmet removes X-Powered-By')
  t.same(Object.keys(set).sort(), ['content-security-policy', 'cross-origin-resource-policy', 'strict-transport-security', 'x-content-type-options', 'x-frame-options'], 'only the headers an API needs')
  t.same(helmetHeaders({ xFrameOptions: false }).set['x-frame-options'], undefined, 'options reach Helmet')
  t.equal(helmetHeaders({}).set['referrer-policy'], 'no-referrer', "Helmet's defaults are there when asked for")
})

t.test('every response carries the headers: answers, errors and unknown routes alike', async (t) => {
  const { app } = await buildTestApp(t)
  const expected = helmetHeaders().set
  for (const [what, url] of [
    ['a public route', '/api/relay/status'],
    ['a 401', '/api/relay/broadcast/lookup?email=a@example.com'],
    ['a 404 route', '/nope'],
  ] as const) {
    const res = await app.inject({ url })
    for (const [name, value] of Object.entries(expected)) {
      if (res.headers[name] !== value) t.fail(`${what}: ${name} is ${String(res.headers[name])}, expected ${value}`)
    }
    t.pass(`${what} (${res.statusCode}) has all ${Object.keys(expected).length} headers`)
    t.notOk(res.headers['x-powered-by'], `${what}: no X-Powered-By`)
  }
})
