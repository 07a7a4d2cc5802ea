// Draws the app icon (build/icon.png, 512×512) without any image library: a rounded square in Flashback's teal with
// a white "rewind" mark (two triangles pointing back) inside a ring. Run again after changing the drawing:
//   node scripts/make-icon.mjs
import { writeFileSync } from 'node:fs'
import { deflateSync } from 'node:zlib'

const SIZE = 512
const SS = 4 // supersampling per axis, for smooth edges

function inRoundedSquare(x, y) {
  const r = 110
  const m = 24
  const lo = m + r
  const hi = SIZE - m - r
  const cx = Math.min(Math.max(x, lo), hi)
  const cy = Math.min(Math.max(y, lo), hi)
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r && x >= m && x <= SIZE - m && y >= m && y <= SIZE - m
}

function inTriangle(px, py, [ax, ay], [bx, by], [cx, cy]) {
  const s = (p1x, p1y, p2x, p2y, p3x, p3y) => (p1x - p3x) * (p2y - p3y) - (p2x - p3x) * (p1y - p3y)
  const d1 = s(px, py, ax, ay, bx, by)
  const d2 = s(px, py, bx, by, cx, cy)
  const d3 = s(px, py, cx, cy, ax, ay)
  return !((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0))
}

function mark(x, y) {
  const c = SIZE / 2
  const d = Math.hypot(x - c, y - c)
  if (d >= 150 && d <= 176) return true
  // Two triangles pointing left: ◀◀
  if (inTriangle(x, y, [156, 256], [256, 196], [256, 316])) return true
  if (inTriangle(x, y, [246, 256], [346, 196], [346, 316])) return true
  return false
}

const rgba = Buffer.alloc(SIZE * SIZE * 4)
for (let y = 0; y < SIZE; y++) {
  for (let x = 0; x < SIZE; x++) {
    let bg = 0
    let fg = 0
    for (let sy = 0; sy < SS; sy++) {
      for (let sx = 0; sx < SS; sx++) {
        const px = x + (sx + 0.5) / SS
        const py = y + (sy + 0.5) / SS
        if (inRoundedSquare(px, py)) {
          bg++
          if (mark(px, py)) fg++
        }
      }
    }
    const n = SS * SS
    const t = y / SIZE
    // Teal, darker towards the bottom.
    const base = [Math.round(20 + 10 * (1 - t)), Math.round(128 - 38 * t), Math.round(136 - 30 * t)]
    const f = bg ? fg / bg : 0
    const i = (y * SIZE + x) * 4
    rgba[i] = Math.round(base[0] * (1 - f) + 255 * f)
    rgba[i + 1] = Math.round(base[1] * (1 - f) + 250 * f)
    rgba[i + 2] = Math.round(base[2] * (1 - f) + 240 * f)
    rgba[i + 3] = Math.round((255 * bg) / n)
  }
}

function crc32(buf) {
  let c = ~0
  for (const b of buf) {
    c ^= b
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1
  }
  return ~c >>> 0
}
function chunk(type, data) {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const td = Buffer.concat([Buffer.from(type), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(td))
  return Buffer.concat([len, td, crc])
}
const raw = Buffer.alloc((SIZE * 4 + 1) * SIZE)
for (let y = 0; y < SIZE; y++) rgba.copy(raw, y * (SIZE * 4 + 1) + 1, y * SIZE * 4, (y + 1) * SIZE * 4)
const ihdr = Buffer.alloc(13)
ihdr.writeUInt32BE(SIZE, 0)
ihdr.writeUInt32BE(SIZE, 4)
ihdr[8] = 8 // bit depth
ihdr[9] = 6 // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
])
writeFileSync(new URL('../build/icon.png', import.meta.url), png)
console.log(`build/icon.png: ${png.length} bytes`)
