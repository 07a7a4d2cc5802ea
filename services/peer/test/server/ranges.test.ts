import t from 'tap'
import { parseRange, type RangeRequest } from '../../src/server/ranges.js'

const whole: RangeRequest = { kind: 'whole' }
const unsatisfiable: RangeRequest = { kind: 'unsatisfiable' }
const ranges = (...r: [number, number][]): RangeRequest => ({ kind: 'ranges', ranges: r.map(([start, end]) => ({ start, end })) })

t.test('Range header parsing follows RFC 9110 against a 1000-byte file', async (t) => {
  const cases: [string | undefined, RangeRequest, string][] = [
    [undefined, whole, 'no header: whole file'],
    ['bytes=0-499', ranges([0, 499]), 'first 500 bytes'],
    ['bytes=500-999', ranges([500, 999]), 'second 500 bytes'],
    ['bytes=500-', ranges([500, 999]), 'open range to the end'],
    ['bytes=0-', ranges([0, 999]), 'open range from 0 is still a 206 range'],
    ['bytes=-500', ranges([500, 999]), 'suffix range'],
    ['bytes=-2000', ranges([0, 999]), 'suffix longer than the file is the whole file'],
    ['bytes=900-5000', ranges([900, 999]), 'last position past the end is clamped'],
    ['bytes=0-0', ranges([0, 0]), 'a single byte'],
    ['bytes=999-999', ranges([999, 999]), 'the last byte'],
    ['bytes=0-0,-1', ranges([0, 0], [999, 999]), 'several ranges keep their order'],
    ['bytes=500-599,0-99', ranges([500, 599], [0, 99]), 'not reordered'],
    ['bytes=1-1,1-1', ranges([1, 1], [1, 1]), 'not merged'],
    ['bytes=0-1, 4-5', ranges([0, 1], [4, 5]), 'whitespace after a comma'],
    ['bytes= 0-1 ', ranges([0, 1]), 'whitespace around the set'],
    ['bytes=0-1,,', ranges([0, 1]), 'empty list elements are skipped'],
    [',bytes=0-1', whole, 'garbage before the unit'],
    ['BYTES=0-1', ranges([0, 1]), 'the unit is case-insensitive'],
    ['bytes=01-02', ranges([1, 2]), 'leading zeros are numbers'],
    ['bytes=0-1,2000-3000', ranges([0, 1]), 'unsatisfiable ranges among good ones are dropped'],
    ['bytes=1000-', unsatisfiable, 'start at the size is unsatisfiable'],
    ['bytes=2000-3000', unsatisfiable, 'past the end is unsatisfiable'],
    ['bytes=-0', unsatisfiable, 'an empty suffix is unsatisfiable'],
    ['bytes=5-2', whole, 'last before first is invalid: ignored'],
    ['bytes=0-1,5-2', whole, 'one invalid spec invalidates the header'],
    ['bytes=abc', whole, 'garbage is ignored'],
    ['bytes=-', whole, 'neither position is invalid'],
    ['bytes=1-2-3', whole, 'two dashes is invalid'],
    ['bytes=+1-2', whole, 'a sign is invalid'],
    ['bytes=1.5-2', whole, 'a fraction is invalid'],
    ['bytes=', whole, 'an empty set is invalid'],
    ['bytes', whole, 'no = is invalid'],
    ['items=0-1', whole, 'another unit is ignored'],
    ['bytes 0-1', whole, 'a space instead of = is invalid'],
    ['bytes=0-999,0-999', whole, 'ranges asking for more than the file are ignored (amplification)'],
    ['bytes=0-0,0-999', whole, 'overlap past the size is ignored'],
  ]
  for (const [header, expected, why] of cases) t.same(parseRange(header, 1000), expected, `${why}: ${String(header)}`)
})

t.test('edge sizes and limits', async (t) => {
  t.same(parseRange('bytes=0-0', 0), whole, 'an empty file ignores ranges (nothing to slice), like nginx')
  t.same(parseRange('bytes=-1', 0), whole, 'an empty file ignores suffix ranges')
  t.same(parseRange('bytes=0-0', 1), ranges([0, 0]), 'a one-byte file')
  const many = 'bytes=' + Array.from({ length: 101 }, (_, i) => `${i}-${i}`).join(',')
  t.same(parseRange(many, 1000), whole, 'more than 100 ranges are ignored')
  const hundred = 'bytes=' + Array.from({ length: 100 }, (_, i) => `${i * 2}-${i * 2}`).join(',')
  const got = parseRange(hundred, 1000)
  t.equal(got.kind === 'ranges' && got.ranges.length, 100, '100 ranges are served')
  const big = 2 ** 40
  t.same(parseRange('bytes=1099511627775-', big), ranges([big - 1, big - 1]), 'positions beyond 32 bits work')
  t.same(parseRange('bytes=0-99999999999999999999999', 10), ranges([0, 9]), 'a huge last position clamps')
})

t.test('the one-range shortcut answers exactly as the general parser', async (t) => {
  // 'bytes= a-b' (a space after '=') takes the general path; 'bytes=a-b' the shortcut.
  const positions = [0, 1, 5, 9, 10, 11, 999, 1000, 1001, 123456789012345]
  let compared = 0
  for (const size of [0, 1, 10, 1000]) {
    for (const a of positions) {
      for (const b of positions) {
        t.same(parseRange(`bytes=${a}-${b}`, size), parseRange(`bytes= ${a}-${b}`, size), `bytes=${a}-${b} of ${size} bytes`)
        compared++
      }
    }
  }
  t.same(parseRange('bytes=0-9', 100, 0), whole, 'a limit of no ranges at all still ignores the header')
  t.ok(compared === 400, 'every pair of positions was compared')
})
