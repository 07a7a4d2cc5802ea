import t from 'tap'
import { evaluatePreconditions, ifRangeAllows, parseHttpDate, strongMatch, validatorsFor, weakMatch } from '../../src/server/conditional.js'

const v = validatorsFor({ size: 1234, mtimeMs: Date.UTC(2024, 0, 2, 3, 4, 5) + 678.25 })
const lm = v.lastModified
const before = new Date(v.lastModifiedMs - 1000).toUTCString()
const after = new Date(v.lastModifiedMs + 1000).toUTCString()

t.test('validators', async (t) => {
  t.match(v.etag, /^"[0-9a-f]+-[0-9a-f]+"$/, 'the ETag is strong (no W/) and quoted')
  t.not(validatorsFor({ size: 1234, mtimeMs: Date.UTC(2024, 0, 2, 3, 4, 5) + 678.5 }).etag, v.etag, 'a sub-millisecond change changes the ETag')
  t.not(validatorsFor({ size: 1235, mtimeMs: Date.UTC(2024, 0, 2, 3, 4, 5) + 678.25 }).etag, v.etag, 'a size change changes the ETag')
  t.equal(lm, 'Tue, 02 Jan 2024 03:04:05 GMT', 'Last-Modified is an IMF-fixdate truncated to the second')
})

t.test('entity-tag comparison', async (t) => {
  t.ok(strongMatch(v.etag, v.etag), 'identical strong tags match strongly')
  t.notOk(strongMatch(`W/${v.etag}`, v.etag), 'a weak tag never matches strongly')
  t.ok(strongMatch(`"x", ${v.etag}`, v.etag), 'a list matches when one member does')
  t.ok(strongMatch('*', v.etag), '* matches')
  t.ok(weakMatch(`W/${v.etag}`, v.etag), 'a weak tag matches weakly')
  t.notOk(weakMatch('"other"', v.etag), 'another tag does not match')
  t.ok(strongMatch('"a,b", ' + v.etag, v.etag), 'a comma inside a tag does not split it')
})

t.test('precondition order of RFC 9110 §13.2.2', async (t) => {
  const cases: [Record<string, string>, string, string][] = [
    [{}, 'proceed', 'no conditions'],
    [{ 'if-match': v.etag }, 'proceed', 'If-Match matching'],
    [{ 'if-match': '"nope"' }, 'failed', 'If-Match not matching'],
    [{ 'if-match': `W/${v.etag}` }, 'failed', 'If-Match with a weak tag'],
    [{ 'if-match': '*' }, 'proceed', 'If-Match *'],
    [{ 'if-unmodified-since': before }, 'failed', 'modified after If-Unmodified-Since'],
    [{ 'if-unmodified-since': lm }, 'proceed', 'unmodified since exactly Last-Modified'],
    [{ 'if-unmodified-since': 'garbage' }, 'proceed', 'an invalid If-Unmodified-Since is ignored'],
    [{ 'if-match': v.etag, 'if-unmodified-since': before }, 'proceed', 'If-Match wins over If-Unmodified-Since'],
    [{ 'if-none-match': v.etag }, 'not-modified', 'If-None-Match matching'],
    [{ 'if-none-match': `W/${v.etag}` }, 'not-modified', 'If-None-Match compares weakly'],
    [{ 'if-none-match': '*' }, 'not-modified', 'If-None-Match *'],
    [{ 'if-none-match': '"a", "b"' }, 'proceed', 'If-None-Match not matching'],
    [{ 'if-modified-since': lm }, 'not-modified', 'not modified since Last-Modified'],
    [{ 'if-modified-since': after }, 'not-modified', 'not modified since a later date'],
    [{ 'if-modified-since': before }, 'proceed', 'modified since an earlier date'],
    [{ 'if-modified-since': 'garbage' }, 'proceed', 'an invalid If-Modified-Since is ignored'],
    [{ 'if-none-match': '"x"', 'if-modified-since': lm }, 'proceed', 'If-None-Match wins over If-Modified-Since'],
    [{ 'if-match': '"x"', 'if-none-match': v.etag }, 'failed', 'If-Match is evaluated before If-None-Match'],
  ]
  for (const [headers, expected, why] of cases) t.equal(evaluatePreconditions(headers, v), expected, why)
})

t.test('If-Range', async (t) => {
  t.ok(ifRangeAllows({}, v), 'no If-Range: the range counts')
  t.ok(ifRangeAllows({ 'if-range': v.etag }, v), 'the current ETag: the range counts')
  t.notOk(ifRangeAllows({ 'if-range': `W/${v.etag}` }, v), 'a weak ETag never does')
  t.notOk(ifRangeAllows({ 'if-range': '"old"' }, v), 'another ETag: whole file')
  t.ok(ifRangeAllows({ 'if-range': lm }, v), 'exactly Last-Modified: the range counts')
  t.notOk(ifRangeAllows({ 'if-range': after }, v), 'another date: whole file')
  t.notOk(ifRangeAllows({ 'if-range': 'garbage' }, v), 'garbage: whole file')
})

t.test('HTTP dates', async (t) => {
  const ms = Date.UTC(1994, 10, 6, 8, 49, 37)
  t.equal(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT'), ms, 'IMF-fixdate')
  t.equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT'), ms, 'RFC 850 date')
  t.equal(parseHttpDate('Sun Nov  6 08:49:37 1994'), ms, 'asctime date, read as GMT whatever the local zone')
  t.equal(parseHttpDate('not a date'), undefined, 'garbage is no date')
  t.equal(parseHttpDate('x'.repeat(100)), undefined, 'an overlong value is no date')
})
