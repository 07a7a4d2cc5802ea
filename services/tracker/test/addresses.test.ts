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
})

t.test('checkAddresses: index of the first bad or duplicate entry', async (t) => {
  t.same(checkAddresses(['1.2.3.4', '::1']), { ok: true, addresses: ['1.2.3.4', '::1'] }, 'a good list passes through')
  t.same(checkAddresses(['1.2.3.4', 'x']), { ok: false, index: 1, reason: 'invalid', value: 'x' }, 'an invalid entry is located')
  t.same(checkAddresses(['::1', '0::1']), { ok: false, index: 1, reason: 'duplicate', value: '0::1' }, 'a duplicate in another spelling is caught')
})
