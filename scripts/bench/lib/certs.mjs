// Certificates for the benchmarks. The server certificate and the first client identities come from
// @flashback/identity itself. Scenarios that need 10,000-100,000 distinct client identities get them
// from a template: one identity certificate made by @flashback/identity whose e-mail (CN and SAN) is
// rewritten in place (same length, so the DER stays valid) and re-signed with the template's key by
// node:crypto. Distinct DER means a distinct SHA-256 fingerprint, which is all a tracker or a
// discovery server tells identities apart by; sharing one key pair is what makes 100,000 of them
// take seconds instead of the ~8 ms each a fresh key pair and @peculiar/x509 cost here.
import { createPrivateKey, randomBytes, sign, X509Certificate, createHash } from 'node:crypto'
import { tsImport } from 'tsx/esm/api'

const TEMPLATE_EMAIL = 'bench-00000000@bench.flashback.test'

/** The e-mail of bench identity number `i` (always the template's length). */
export function benchEmail(i) {
  if (i < 0 || i > 99_999_999) throw new RangeError('bench identities are numbered 0..99,999,999')
  return `bench-${String(i).padStart(8, '0')}@bench.flashback.test`
}

function readTlv(buf, off) {
  let len = buf[off + 1]
  let hdr = 2
  if (len & 0x80) {
    const n = len & 0x7f
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + buf[off + 2 + i]
    hdr = 2 + n
  }
  return { tag: buf[off], start: off, contentStart: off + hdr, end: off + hdr + len }
}

function derLength(n) {
  if (n < 0x80) return Buffer.from([n])
  const bytes = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

function tlv(tag, content) {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content])
}

function toPem(der) {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`
}

function replaceAll(buf, from, to) {
  const out = Buffer.from(buf)
  let at = out.indexOf(from)
  let count = 0
  while (at !== -1) {
    to.copy(out, at)
    count++
    at = out.indexOf(from, at + from.length)
  }
  return { out, count }
}

/** Loads @flashback/identity (TypeScript source) through tsx. */
export async function loadIdentityModule() {
  return tsImport('@flashback/identity', import.meta.url)
}

/**
 * Makes the bench's certificates.
 * Returns { server: {certPem,keyPem,fingerprint}, make(i) -> {email, cert, key, fingerprint}, keyPem }.
 */
export async function createCertFactory() {
  const identity = await loadIdentityModule()
  const server = await identity.createSelfSignedCertificate({
    email: 'bench-server@bench.flashback.test',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1', '::1'],
  })
  const template = await identity.createSelfSignedCertificate({ email: TEMPLATE_EMAIL })
  const der = identity.pemToDer(template.certPem)
  const buf = Buffer.from(der)
  const cert = readTlv(buf, 0)
  const tbs = readTlv(buf, cert.contentStart)
  const alg = readTlv(buf, tbs.end)
  const tbsBytes = buf.subarray(tbs.start, tbs.end)
  const algBytes = buf.subarray(alg.start, alg.end)
  // TBSCertificate: [0] version, then the serial INTEGER whose bytes we refresh per certificate.
  const version = readTlv(tbsBytes, readTlv(tbsBytes, 0).contentStart)
  const serial = readTlv(tbsBytes, version.end)
  if (version.tag !== 0xa0 || serial.tag !== 0x02) throw new Error('unexpected template certificate layout')
  const key = createPrivateKey(template.keyPem)
  const placeholder = Buffer.from(TEMPLATE_EMAIL, 'latin1')

  const make = (i) => {
    const email = benchEmail(i)
    const { out, count } = replaceAll(tbsBytes, placeholder, Buffer.from(email, 'latin1'))
    if (count < 2) throw new Error('the template e-mail was not found in CN and SAN')
    const serialBytes = randomBytes(serial.end - serial.contentStart)
    serialBytes[0] = (serialBytes[0] & 0x7f) | 0x01
    serialBytes.copy(out, serial.contentStart)
    const signature = sign('sha256', out, key)
    const certDer = tlv(0x30, Buffer.concat([out, algBytes, tlv(0x03, Buffer.concat([Buffer.from([0]), signature]))]))
    return { email, cert: toPem(certDer), key: template.keyPem, fingerprint: createHash('sha256').update(certDer).digest('hex') }
  }

  // Check the first one the way a server will: it parses, carries the e-mail, verifies with its key.
  const probe = make(0)
  const parsed = identity.parseCertificate(probe.cert)
  if (parsed.commonName !== probe.email || !parsed.sanEmails.includes(probe.email) || parsed.fingerprint !== probe.fingerprint) {
    throw new Error('a re-signed bench certificate does not parse back to its e-mail and fingerprint')
  }
  const x = new X509Certificate(probe.cert)
  if (!x.verify(x.publicKey)) throw new Error('a re-signed bench certificate does not verify with its own key')

  return { server, make, keyPem: template.keyPem, identity }
}
