/**
 * An identity on disk: `cert.pem` and `key.pem` in one folder, the key readable by its owner only.
 * Writes are atomic (temp file + rename) so a crash never leaves half a key.
 */
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import {
  createSelfSignedCertificate,
  parseCertificate,
  type CertificateInfo,
  type CreateCertificateOptions,
} from './x509.js'

export const CERT_FILE = 'cert.pem'
export const KEY_FILE = 'key.pem'

export interface Identity {
  /** The e-mail address in the certificate's CN. */
  email: string
  certPem: string
  keyPem: string
  /** SHA-256 of the certificate DER, lower-case hex. */
  fingerprint: string
  info: CertificateInfo
}

/** Write a file atomically with the given mode: temp file in the same folder, fsync, rename. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  const handle = await open(tmp, 'wx', mode)
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    // open()'s mode is filtered by the umask; chmod makes the mode exact.
    await chmod(tmp, mode)
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
}

export function identityFromPem(certPem: string, keyPem: string): Identity {
  const info = parseCertificate(certPem)
  return { email: info.commonName || info.sanEmails[0] || '', certPem, keyPem, fingerprint: info.fingerprint, info }
}

/** Load `cert.pem` + `key.pem` from `dir`; undefined when the folder holds no identity yet. */
export async function loadIdentity(dir: string): Promise<Identity | undefined> {
  const certPath = join(dir, CERT_FILE)
  const keyPath = join(dir, KEY_FILE)
  if (!(await exists(certPath)) || !(await exists(keyPath))) return undefined
  const [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')])
  const keyStat = await stat(keyPath)
  // A key others can read is tightened rather than refused: the user may have copied it in.
  if (process.platform !== 'win32' && (keyStat.mode & 0o077) !== 0) await chmod(keyPath, 0o600)
  return identityFromPem(certPem, keyPem)
}

/** Save an identity into `dir` (created 0700 if missing); the key is written 0600. */
export async function saveIdentity(dir: string, identity: { certPem: string; keyPem: string }): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await writeFileAtomic(join(dir, KEY_FILE), identity.keyPem, 0o600)
  await writeFileAtomic(join(dir, CERT_FILE), identity.certPem, 0o644)
}

/**
 * The identity kept in `dir`, created on first use and reused after.
 * An existing identity for another e-mail is an error: silently replacing it would change who the user is.
 */
export async function loadOrCreateIdentity(dir: string, options: CreateCertificateOptions): Promise<Identity> {
  const existing = await loadIdentity(dir)
  if (existing) {
    if (existing.email.toLowerCase() !== options.email.toLowerCase()) {
      throw new Error(
        `the identity in ${dir} belongs to ${existing.email}, not ${options.email}; use another profile folder`,
      )
    }
    return existing
  }
  const created = await createSelfSignedCertificate(options)
  await saveIdentity(dir, created)
  return identityFromPem(created.certPem, created.keyPem)
}
