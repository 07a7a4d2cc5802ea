import t from 'tap'
import { AddressClass, canonicalAddress, classifyAddress, orderAddresses } from '../../src/runtime/index.js'

t.test('addresses are classified nearest first', async (t) => {
  const table: [string, AddressClass | undefined][] = [
    ['127.0.0.1', AddressClass.loopback],
    ['127.0.0.3', AddressClass.loopback],
    ['::1', AddressClass.loopback],
    ['::ffff:127.0.0.1', AddressClass.loopback],
    ['10.1.2.3', AddressClass.lan],
    ['172.16.0.1', AddressClass.lan],
    ['172.31.255.254', AddressClass.lan],
    ['192.168.1.20', AddressClass.lan],
    ['169.254.10.10', AddressClass.lan],
    ['fd12:3456::1', AddressClass.lan],
    ['fc00::1', AddressClass.lan],
    ['2001:db8::1', AddressClass.ipv6],
    ['2a00:1450:4007::200e', AddressClass.ipv6],
    ['172.32.0.1', AddressClass.public],
    ['8.8.8.8', AddressClass.public],
    ['203.0.113.5', AddressClass.public],
    ['::ffff:8.8.8.8', AddressClass.public],
    ['fe80::1', undefined],
    ['0.0.0.0', undefined],
    ['::', undefined],
    ['224.0.0.1', undefined],
    ['255.255.255.255', undefined],
    ['localhost', undefined],
    ['1.2.3', undefined],
    ['example.com', undefined],
    ['', undefined],
  ]
  for (const [address, expected] of table) {
    t.equal(classifyAddress(address), expected, `${JSON.stringify(address)} is ${expected === undefined ? 'not dialable' : Object.entries(AddressClass).find(([, v]) => v === expected)?.[0]}`)
  }
})

t.test('the try order is loopback, LAN, other IPv6, public; the tracker order is kept within a class', async (t) => {
  const published = ['8.8.8.8', '2001:db8::1', '192.168.1.2', '127.0.0.1', 'fd00::5', '10.0.0.1', '::1', '1.1.1.1', '2001:db8::2']
  t.same(
    orderAddresses(published),
    ['127.0.0.1', '::1', '192.168.1.2', 'fd00::5', '10.0.0.1', '2001:db8::1', '2001:db8::2', '8.8.8.8', '1.1.1.1'],
    'nearest first, stable within a class',
  )
})

t.test('the address that answered last time goes first when it is still published', async (t) => {
  t.same(orderAddresses(['127.0.0.1', '192.168.1.2', '8.8.8.8'], '8.8.8.8'), ['8.8.8.8', '127.0.0.1', '192.168.1.2'], 'the cached address leads')
  t.same(orderAddresses(['127.0.0.1', '192.168.1.2'], '10.9.9.9'), ['127.0.0.1', '192.168.1.2'], 'a cached address no longer published is not invented')
})

t.test('duplicates (in any spelling) and undialable entries are dropped', async (t) => {
  t.same(
    orderAddresses(['127.0.0.1', '::ffff:127.0.0.1', '2001:DB8:0:0::1', '2001:db8::1', 'fe80::1', 'garbage', '0.0.0.0']),
    ['127.0.0.1', '2001:db8::1'],
    'one entry per address, nothing that cannot be dialled',
  )
  t.equal(canonicalAddress('2001:DB8:0:0:0:0:0:1'), '2001:db8::1', 'IPv6 is written canonically')
  t.equal(canonicalAddress('not an ip'), undefined, 'a name is not an address')
})
