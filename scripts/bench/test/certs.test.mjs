// Bench identities made from one template must be real, distinct certificates for their e-mail.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { benchEmail, createCertFactory } from '../lib/certs.mjs'

test('re-signed identities parse, verify and differ', async () => {
  const f = await createCertFactory()
  const a = f.make(1)
  const b = f.make(2)
  assert.equal(a.email, benchEmail(1), 'numbered e-mail')
  const pa = f.identity.parseCertificate(a.cert)
  assert.equal(pa.commonName, a.email, 'CN is the e-mail')
  assert.deepEqual(pa.sanEmails, [a.email], 'SAN e-mail is the e-mail')
  assert.equal(pa.fingerprint, a.fingerprint, 'the fingerprint given is the SHA-256 of the DER')
  assert.notEqual(a.fingerprint, b.fingerprint, 'two identities have two fingerprints')
  const x = new X509Certificate(a.cert)
  assert.ok(x.verify(x.publicKey), 'the self-signature verifies')
  assert.ok(x.checkPrivateKey(new (await import('node:crypto')).createPrivateKey(a.key)), 'the key matches the certificate')
  assert.throws(() => benchEmail(100_000_000), RangeError, 'numbers beyond the template width are refused')
})
