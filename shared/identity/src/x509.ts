/**
 * Certificate parsing and creation with @peculiar/x509 on Node's WebCrypto.
 * A Flashback identity is a self-signed certificate whose CN and SAN e-mail are the user's address;
 * peers and the tracker recognise it by the SHA-256 fingerprint of its DER, never by name alone.
 */
import 'reflect-metadata'
import { createHash, webcrypto } from 'node:crypto'
import * as x509 from '@peculiar/x509'

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])

export type KeyType = 'p256' | 'ed25519'

export interface CertificateInfo {
  /** Subject common name ('' when absent). */
  commonName: string
  /** e-mail addresses from the subjectAltName extension, as written. */
  sanEmails: string[]
  notBefore: Date
  notAfter: Date
  /** SHA-256 of the DER, lower-case hex without separators. */
  fingerprint: string
  /** 'Ed25519', 'ECDSA P-256', 'RSA 2048', … */
  keyAlgorithm: string
  /** The certificate re-encoded as PEM. */
  pem: string
}

export class InvalidCertificateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'InvalidCertificateError'
  }
}

/** SHA-256 of DER bytes as lower-case hex: the identity of a certificate. */
export function fingerprintDer(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex')
}

/**
 * Accept a fingerprint as people paste it (upper-case, colons, `sha256:` prefix)
 * and return the canonical 64 lower-case hex digits, or undefined when it is not one.
 */
export function normalizeFingerprint(input: string): string | undefined {
  const hex = input.trim().replace(/^sha-?256[:=]/i, '').replace(/[:\s]/g, '').toLowerCase()
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/

/** The DER bytes of the first certificate in a PEM text. */
export function pemToDer(pem: string): Uint8Array {
  const block = PEM_CERT.exec(pem)
  if (!block) throw new InvalidCertificateError('no PEM certificate block found')
  const b64 = block[0]
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
    .replace(/\s+/g, '')
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new InvalidCertificateError('the PEM body is not base64')
  return new Uint8Array(Buffer.from(b64, 'base64'))
}

export function derToPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64')
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`
}

function describeKey(cert: x509.X509Certificate): string {
  const alg = cert.publicKey.algorithm as { name: string; namedCurve?: string; modulusLength?: number }
  if (alg.name === 'ECDSA' || alg.name === 'ECDH') return `ECDSA ${alg.namedCurve ?? ''}`.trim()
  if (alg.name.startsWith('RSA')) return alg.modulusLength ? `RSA ${alg.modulusLength}` : 'RSA'
  return alg.name
}

/** Parse DER bytes (as Node's TLS layer hands them over) into what Flashback needs to know. */
export function parseCertificateDer(der: Uint8Array): CertificateInfo {
  let cert: x509.X509Certificate
  try {
    cert = new x509.X509Certificate(der)
  } catch (err) {
    throw new InvalidCertificateError('the certificate could not be parsed', { cause: err })
  }
  let commonName: string
  try {
    commonName = cert.subjectName.getField('CN')[0] ?? ''
  } catch {
    commonName = ''
  }
  const sanEmails: string[] = []
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension)
  if (san) {
    for (const name of san.names.items) if (name.type === 'email') sanEmails.push(name.value)
  }
  let keyAlgorithm = 'unknown'
  try {
    keyAlgorithm = describeKey(cert)
  } catch {
    // An algorithm WebCrypto does not know (say DSA) still has a fingerprint; callers decide.
  }
  return {
    commonName,
    sanEmails,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    fingerprint: fingerprintDer(new Uint8Array(cert.rawData)),
    keyAlgorithm,
    pem: derToPem(new Uint8Array(cert.rawData)),
  }
}

/** Parse a PEM certificate; throws InvalidCertificateError on anything that is not one. */
export function parseCertificate(pem: string): CertificateInfo {
  return parseCertificateDer(pemToDer(pem))
}

/** True when `email` (case-insensitively) is the certificate's CN or one of its SAN e-mails. */
export function certificateHasEmail(info: CertificateInfo, email: string): boolean {
  const want = email.trim().toLowerCase()
  return [info.commonName, ...info.sanEmails].some((name) => name.trim().toLowerCase() === want)
}

/** True when `at` lies inside the certificate's validity period. */
export function certificateIsCurrent(info: CertificateInfo, at: Date = new Date()): boolean {
  return at >= info.notBefore && at <= info.notAfter
}

export interface GeneratedIdentity {
  certPem: string
  keyPem: string
  fingerprint: string
}

export interface CreateCertificateOptions {
  /** Becomes the subject CN and the SAN e-mail. */
  email: string
  /** ECDSA P-256 (default: every TLS stack, Chromium included, takes it) or Ed25519. */
  keyType?: KeyType
  /** Validity in days from now (default 10 years: it is an identity, not a session). */
  days?: number
  /** Extra SAN DNS names and IPs, for a server certificate (e.g. the tracker's). */
  dnsNames?: string[]
  ipAddresses?: string[]
  /** Start of validity (default: an hour ago, to absorb clock skew). */
  notBefore?: Date
}

function algorithmFor(keyType: KeyType) {
  return keyType === 'ed25519'
    ? { name: 'Ed25519' }
    : { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64')
  return `-----BEGIN ${label}-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`
}

/** Generate a key pair and a self-signed certificate with CN = SAN e-mail = `email`. */
export async function createSelfSignedCertificate(options: CreateCertificateOptions): Promise<GeneratedIdentity> {
  const keyType = options.keyType ?? 'p256'
  const algorithm = algorithmFor(keyType)
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair
  const notBefore = options.notBefore ?? new Date(Date.now() - 60 * 60 * 1000)
  const notAfter = new Date(notBefore.getTime() + (options.days ?? 3650) * 24 * 60 * 60 * 1000)
  const altNames: x509.JsonGeneralName[] = [{ type: 'email', value: options.email }]
  for (const dns of options.dnsNames ?? []) altNames.push({ type: 'dns', value: dns })
  for (const ip of options.ipAddresses ?? []) altNames.push({ type: 'ip', value: ip })
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '7'),
    name: [{ CN: [options.email] }],
    notBefore,
    notAfter,
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(altNames),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  })
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)
  return {
    certPem: cert.toString('pem') + '\n',
    keyPem: toPem(pkcs8, 'PRIVATE KEY'),
    fingerprint: fingerprintDer(new Uint8Array(cert.rawData)),
  }
}
