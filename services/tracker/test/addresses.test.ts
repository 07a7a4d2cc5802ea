import t from 'tap'
import { checkAddresses, normalizeAddress } from '../src/addresses.js'

t.test('normalizeAddress: plain IPv4/IPv6 literals only, canonical spelling', async (t) => {
  const table: [string, string | undefined][] = [
    ['192.0.2.1', '192.0.2.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['::1', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['::', '::'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['1.2.3', undefined],
    ['1.2.3.4.5', undefined],
    ['256.1.1.1', undefined],
    ['010.0.0.1', undefined],
    ['0x7f.0.0.1', undefined],
    ['127.1', undefined],
    ['1.2.3.4:80', undefined],
    ['[::1]', undefined],
    ['[::1]:80', undefined],
    ['fe80::1%eth0', undefined],
    ['fe80::1%25eth0', undefined],
    ['localhost', undefined],
    ['example.com', undefined],
    [' 1.2.3.4', undefined],
    ['', undefined],
    ['2001:db8::1::2', undefined],
  ]
  for (const [input, expected] of table) t.equal(normalizeAddress(input), expected, `${JSON.stringify(input)} → ${expected ?? 'refused'}`)
  // The second time answers from the table of recent spellings: same answers.
  for (const [input, expected] of table) t.equal(normalizeAddress(input), expected, `again: ${JSON.stringify(input)} → ${expected ?? 'refused'}`)
})

t.test('checkAddresses: index of the first bad or duplicate entry', async (t) => {
  t.same(checkAddresses(['1.2.3.4', '::1']), { ok: true, addresses: ['1.2.3.4', '::1'] }, 'a good list passes through')
  t.same(checkAddresses(['1.2.3.4', 'x']), { ok: false, index: 1, reason: 'invalid', value: 'x' }, 'an invalid entry is located')
  t.same(checkAddresses(['::1', '0::1']), { ok: false, index: 1, reason: 'duplicate', value: '0::1' }, 'a duplicate in another spelling is caught')
})

t.test('normalizeAddress agrees with ipaddr.js on thousands of random IPv6 spellings', async (t) => {
  const { default: ipaddr } = await import('ipaddr.js')
  const reference = (input: string): string => {
    const v6 = ipaddr.IPv6.parse(input)
    return v6.isIPv4MappedAddress() ? `::ffff:${v6.toIPv4Address().toString()}` : v6.toRFC5952String()
  }
  let seed = 42
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed % n
  }
  let mismatches = 0
  for (let k = 0; k < 5000; k++) {
    // Groups biased toward zero, so runs of zeros (and ties between runs) are common.
    const groups = Array.from({ length: 8 }, () => (random(3) === 0 ? random(0x10000) : 0))
    if (k % 7 === 0) groups.splice(0, 6, 0, 0, 0, 0, 0, 0xffff)
    const spelled = groups.map((g) => (random(2) ? g.toString(16).toUpperCase() : g.toString(16).padStart(4, '0')))
    let text = spelled.join(':')
    if (k % 5 === 0) {
      const a = groups[6] as number
      const b = groups[7] as number
      text = `${spelled.slice(0, 6).join(':')}:${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`
    }
    if (k % 3 === 0 && k % 5 !== 0) {
      // Compress some run of zero groups (not always the longest) with "::".
      const zero = groups.indexOf(0)
      if (zero !== -1) {
        let end = zero
        while (end < 8 && groups[end] === 0) end++
        text = `${spelled.slice(0, zero).join(':')}::${spelled.slice(end).join(':')}`
      }
    }
    const expected = reference(text)
    const got = normalizeAddress(text)
    if (got !== expected) {
      mismatches++
      if (mismatches < 5) t.equal(got, expected, `${text}`)
    }
    // The canonical form is a fixed point.
    if (got !== undefined && normalizeAddress(got) !== got) t.fail(`${got} is not stable`)
  }
  t.equal(mismatches, 0, 'no spelling is canonicalised differently from ipaddr.js')
})
