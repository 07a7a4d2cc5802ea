// Syncthing device IDs, to look devices up on stdiscosrv: the SHA-256 of the certificate's DER in
// base32 (RFC 4648 alphabet, no padding), each 13-character quarter followed by a Luhn mod 32 check
// character, in 8 dash-separated groups of 7.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

function base32(bytes) {
  let bits = 0
  let value = 0
  let out = ''
  for (const b of bytes) {
    value = ((value << 8) | b) & 0xffff
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31]
  return out
}

function luhn32(s) {
  let factor = 1
  let sum = 0
  for (const c of s) {
    let addend = factor * ALPHABET.indexOf(c)
    factor = factor === 2 ? 1 : 2
    addend = Math.floor(addend / 32) + (addend % 32)
    sum += addend
  }
  return ALPHABET[(32 - (sum % 32)) % 32]
}

/** Device ID of a certificate given its SHA-256 fingerprint (hex). */
export function deviceIdFromFingerprint(hex) {
  const s = base32(Buffer.from(hex, 'hex'))
  let withChecks = ''
  for (let i = 0; i < 4; i++) {
    const part = s.slice(i * 13, i * 13 + 13)
    withChecks += part + luhn32(part)
  }
  return withChecks.match(/.{7}/g).join('-')
}
