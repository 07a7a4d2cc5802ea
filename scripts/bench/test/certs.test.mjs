// Bench identities made from one template must be real, distinct certificates for their e-mail.
import t from 'tap'
import { X509Certificate } from 'node:crypto'
import { benchEmail, createCertFactory } from '../lib/certs.mjs'

t.test('re-signed identities parse, verify and differ', async (t) => {
  const f = await createCertFactory()
  const a = f.make(1)
  const b = f.make(2)
  t.equal(a.email, benchEmail(1), 'numbered e-mail')
  const pa = f.identity.parseCertificate(a.cert)
  t.equal(pa.commonName, a.email, 'CN is the e-mail')
  t.same(pa.sanEmails, [a.email], 'SAN e-mail is the e-mail')
  t.equal(pa.fingerprint, a.fingerprint, 'the fingerprint given is the SHA-256 of the DER')
  t.not(a.fingerprint, b.fingerprint, 'two identities have two fingerprints')
  const x = new X509Certificate(a.cert)
  t.ok(x.verify(x.publicKey), 'the self-signature verifies')
  t.ok(x.checkPrivateKey(new (await import('node:crypto')).createPrivateKey(a.key)), 'the key matches the certificate')
  t.throws(() => benchEmail(100_000_000), RangeError, 'numbers beyond the template width are refused')
})
