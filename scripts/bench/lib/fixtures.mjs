// Files the peer-server scenarios serve, made once and kept between bench runs in the system temp
// folder (they take seconds to write): a big file of random-looking bytes and a folder of many small
// files. Everything is world-readable: nginx workers run as `nobody` when nginx starts as root.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, chmodSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'

export const FIXTURE_ROOT = path.join(os.tmpdir(), 'flashback-bench-fixtures')

function ensureRoot() {
  mkdirSync(FIXTURE_ROOT, { recursive: true })
  chmodSync(FIXTURE_ROOT, 0o755)
}

/** A folder `files/` holding `big-<size>.bin` of `size` bytes; returns { dir, name, path, size }. */
export function bigFile(size) {
  ensureRoot()
  const dir = path.join(FIXTURE_ROOT, 'files')
  mkdirSync(dir, { recursive: true, mode: 0o755 })
  const name = `big-${size}.bin`
  const file = path.join(dir, name)
  const marker = `${file}.done`
  if (!existsSync(marker)) {
    // Random bytes repeated per MiB: incompressible enough, and the same bytes for every server.
    const block = randomBytes(1 << 20)
    const fd = openSync(file, 'w', 0o644)
    try {
      for (let written = 0; written < size; ) {
        const n = Math.min(block.length, size - written)
        writeSync(fd, block, 0, n)
        written += n
      }
    } finally {
      closeSync(fd)
    }
    writeFileSync(marker, String(size))
  }
  return { dir, name, path: file, size }
}

/** A folder with `count` small files (names file-000000.txt …); returns its path. */
export function manyFiles(count) {
  ensureRoot()
  const dir = path.join(FIXTURE_ROOT, `many-${count}`)
  const marker = path.join(FIXTURE_ROOT, `many-${count}.done`)
  if (existsSync(marker) && readFileSync(marker, 'utf8') === String(count)) return dir
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true, mode: 0o755 })
  const body = Buffer.from('flashback bench\n')
  for (let i = 0; i < count; i++) writeFileSync(path.join(dir, `file-${String(i).padStart(6, '0')}.txt`), body, { mode: 0o644 })
  writeFileSync(marker, String(count))
  return dir
}
