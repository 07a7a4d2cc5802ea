/**
 * The tracker's own certificate: the operator's PEM files (RELAY_TLS_CERT/RELAY_TLS_KEY), or a
 * self-signed ECDSA P-256 one generated in the data dir on first start and reused afterwards, so the
 * fingerprint clients pin stays the same across restarts.
 */
import { mkdir, readFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { createPrivateKey } from 'node:crypto'
import {
  certificateIsCurrent,
  createSelfSignedCertificate,
  parseCertificate,
  writeFileAtomic,
  type CertificateInfo,
} from '@flashback/identity'

export const SERVER_CERT_FILE = 'server-cert.pem'
export const SERVER_KEY_FILE = 'server-key.pem'

export interface ServerCertificate {
  certPem: string
  keyPem: string
  /** SHA-256 of the (leaf) certificate DER, lower-case hex. */
  fingerprint: string
  info: CertificateInfo
  /** 'files' (operator-provided), 'generated' (just now) or 'reused' (generated earlier). */
  origin: 'files' | 'generated' | 'reused'
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

function checkPair(certPem: string, keyPem: string, where: string): CertificateInfo {
  const info = parseCertificate(certPem)
  try {
    createPrivateKey(keyPem)
  } catch (err) {
    throw new Error(`${where}: the private key cannot be read`, { cause: err })
  }
  return info
}

export interface LoadServerCertificateOptions {
  dataDir: string
  certFile?: string | undefined
  keyFile?: string | undefined
  /** Told when an expired generated certificate is replaced. */
  onReplaced?: (old: CertificateInfo) => void
}

export async function loadServerCertificate(options: LoadServerCertificateOptions): Promise<ServerCertificate> {
  if (options.certFile && options.keyFile) {
    const [certPem, keyPem] = await Promise.all([readFile(options.certFile, 'utf8'), readFile(options.keyFile, 'utf8')])
    const info = checkPair(certPem, keyPem, options.certFile)
    return { certPem, keyPem, fingerprint: info.fingerprint, info, origin: 'files' }
  }
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 })
  const certPath = join(options.dataDir, SERVER_CERT_FILE)
  const keyPath = join(options.dataDir, SERVER_KEY_FILE)
  const [certPem, keyPem] = await Promise.all([readIfExists(certPath), readIfExists(keyPath)])
  if (certPem !== undefined && keyPem !== undefined) {
    const info = checkPair(certPem, keyPem, certPath)
    if (certificateIsCurrent(info)) return { certPem, keyPem, fingerprint: info.fingerprint, info, origin: 'reused' }
    options.onReplaced?.(info)
  }
  const created = await createSelfSignedCertificate({
    email: 'tracker@localhost',
    keyType: 'p256',
    days: 3650,
    dnsNames: [...new Set(['localhost', hostname()])],
    ipAddresses: ['127.0.0.1', '::1'],
  })
  await writeFileAtomic(keyPath, created.keyPem, 0o600)
  await writeFileAtomic(certPath, created.certPem, 0o644)
  const info = parseCertificate(created.certPem)
  return { certPem: created.certPem, keyPem: created.keyPem, fingerprint: info.fingerprint, info, origin: 'generated' }
}
