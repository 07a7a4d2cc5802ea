/** @flashback/identity: x509 identities (create, load/save 0600, parse, fingerprint). */
export * from './x509.js'
export * from './identity-files.js'
