import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  certificateHasEmail,
  certificateIsCurrent,
  createSelfSignedCertificate,
  InvalidCertificateError,
  normalizeFingerprint,
  parseCertificate,
} from '../src/index.js'

const openssl = (args: string[], input?: string) =>
  execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] }).toString()

for (const keyType of ['p256', 'ed25519'] as const) {
  t.test(`a ${keyType} self-signed identity parses here and in the openssl CLI`, async (t) => {
    const id = await createSelfSignedCertificate({ email: 'Alice@Example.com', keyType })
    const info = parseCertificate(id.certPem)
    t.equal(info.commonName, 'Alice@Example.com', 'the CN is the e-mail')
    t.same(info.sanEmails, ['Alice@Example.com'], 'the SAN carries the same e-mail')
    t.match(info.fingerprint, /^[0-9a-f]{64}$/, 'the fingerprint is 64 lower-case hex digits')
    t.equal(info.fingerprint, id.fingerprint, 'generation and parsing agree on the fingerprint')
    t.ok(certificateHasEmail(info, 'alice@example.COM'), 'the e-mail matches case-insensitively')
    t.notOk(certificateHasEmail(info, 'bob@example.com'), 'another e-mail does not match')
    t.ok(certificateIsCurrent(info), 'a fresh certificate is inside its validity period')
    t.equal(info.keyAlgorithm, keyType === 'p256' ? 'ECDSA P-256' : 'Ed25519', 'the key algorithm is reported')

    const text = openssl(['x509', '-noout', '-subject', '-fingerprint', '-sha256', '-ext', 'subjectAltName'], id.certPem)
    t.match(text, /CN\s*=\s*Alice@Example\.com/, 'openssl reads the subject')
    t.match(text, /email:Alice@Example\.com/, 'openssl reads the SAN e-mail')
    const osslFp = /Fingerprint=([0-9A-F:]+)/.exec(text)?.[1] ?? ''
    t.equal(normalizeFingerprint(osslFp), id.fingerprint, "openssl's SHA-256 fingerprint equals ours")
    const dir = mkdtempSync(join(tmpdir(), 'fb-id-'))
    writeFileSync(join(dir, 'key.pem'), id.keyPem)
    const keyText = openssl(['pkey', '-in', join(dir, 'key.pem'), '-noout', '-text'])
    t.match(keyText, keyType === 'p256' ? /prime256v1|P-256/ : /ED25519/, 'openssl reads the private key')
  })
}

const opensslKinds: [string, string[]][] = [
  ['Ed25519', ['-newkey', 'ed25519']],
  ['ECDSA P-256', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']],
  ['RSA 2048', ['-newkey', 'rsa:2048']],
]
for (const [label, keyArgs] of opensslKinds) {
  t.test(`a certificate made by the openssl CLI (${label}) parses with the right fingerprint`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'fb-ossl-'))
    const cert = join(dir, 'cert.pem')
    openssl([
      'req', '-x509', ...keyArgs, '-nodes', '-keyout', join(dir, 'key.pem'), '-out', cert, '-days', '30',
      '-subj', '/CN=carol@example.com', '-addext', 'subjectAltName=email:carol@example.com',
    ])
    const info = parseCertificate(readFileSync(cert, 'utf8'))
    const expected = normalizeFingerprint(
      /Fingerprint=([0-9A-F:]+)/.exec(openssl(['x509', '-in', cert, '-noout', '-fingerprint', '-sha256']))?.[1] ?? '',
    )
    t.equal(info.fingerprint, expected, 'the fingerprint matches openssl')
    t.equal(info.commonName, 'carol@example.com', 'the CN is read')
    t.same(info.sanEmails, ['carol@example.com'], 'the SAN e-mail is read')
    t.equal(info.keyAlgorithm, label, 'the key algorithm is recognised')
  })
}

t.test('garbage is refused with InvalidCertificateError', async (t) => {
  for (const bad of ['', 'hello', '-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----']) {
    t.throws(() => parseCertificate(bad), InvalidCertificateError, `refuses ${JSON.stringify(bad.slice(0, 30))}`)
  }
})

t.test('an expired certificate is reported as not current', async (t) => {
  const id = await createSelfSignedCertificate({ email: 'old@example.com', notBefore: new Date('2020-01-01'), days: 1 })
  t.notOk(certificateIsCurrent(parseCertificate(id.certPem)), 'validity ended in 2020')
})

t.test('fingerprints are normalised from the forms people paste', async (t) => {
  const hex = 'ab'.repeat(32)
  t.equal(normalizeFingerprint(hex.toUpperCase()), hex, 'upper case')
  t.equal(normalizeFingerprint(hex.match(/../g)!.join(':').toUpperCase()), hex, 'colon separated')
  t.equal(normalizeFingerprint(`sha256:${hex}`), hex, 'sha256: prefix')
  t.equal(normalizeFingerprint('abc'), undefined, 'too short is not a fingerprint')
})
