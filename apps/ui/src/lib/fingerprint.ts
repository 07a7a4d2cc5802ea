/** What people paste as a fingerprint ("AB:CD:…", "sha256:abcd…", with spaces) → 64 lower-case hex digits, or null. */
export function normalizeFingerprintInput(text: string): string | null {
  const hex = text
    .trim()
    .replace(/^sha-?256[:=\s]*/i, '')
    .replace(/[\s:]/g, '')
    .toLowerCase()
  return /^[0-9a-f]{64}$/.test(hex) ? hex : null
}
