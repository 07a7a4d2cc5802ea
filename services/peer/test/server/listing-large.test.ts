/**
 * A folder of 100,000 files: the name index holds names only, each page stats only its own entries,
 * and walking every page over HTTPS yields each file exactly once, in order.
 */
import t from 'tap'
import { closeSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { FILES_MAX_LIMIT, type FileListing } from '@flashback/protocol'
import { buildIndex, listPage } from '../../src/server/listing.js'
import { resolveShareRoot } from '../../src/server/path-guard.js'
import { countingFs, request, startServer, tempDir } from './helper.js'

const COUNT = 100_000
const nameOf = (i: number): string => `file-${String(i).padStart(6, '0')}.dat`

t.test('100,000 files', async (t) => {
  const root = await tempDir(t, 'flashback-100k-')
  const dir = join(root, 'big')
  const { mkdirSync } = await import('node:fs')
  mkdirSync(dir)
  // Created synchronously: 100,000 async opens would only queue behind each other.
  for (let i = 0; i < COUNT; i++) closeSync(openSync(join(dir, nameOf(i)), 'w'))

  t.test('the index reads names without a single stat; a page stats only its entries', async (t) => {
    const fs = countingFs()
    const opts = { root: await resolveShareRoot(root), showDotfiles: false, platform: process.platform, concurrency: 32, fs }
    const index = await buildIndex(dir, opts)
    t.equal(index.length, COUNT, 'every name is indexed')
    t.equal(fs.calls.lstat + fs.calls.stat + fs.calls.realpath, 0, 'without stat calls')
    const page = await listPage(dir, 'big', index, 1000, undefined, opts)
    t.equal(page.entries.length, 1000, 'a page of 1000')
    t.equal(fs.calls.lstat, 1000, 'cost 1000 lstat calls, not 100,000')
    t.equal(page.entries[0]?.name, nameOf(0), 'starting at the first name')
  })

  t.test('walking every page over HTTPS', async (t) => {
    const server = await startServer(t, { root })
    const first = (await request(server.port, '/api/files/big')).json() as FileListing
    t.equal(first.entries.length, 1000, 'the default page size is 1000')
    t.ok(first.next_cursor, 'with a cursor to go on')
    let cursor: string | undefined
    let total = 0
    let pages = 0
    let ordered = true
    do {
      const res = await request(server.port, `/api/files/big?limit=${FILES_MAX_LIMIT}${cursor ? `&cursor=${cursor}` : ''}`)
      const page = res.json() as FileListing
      for (const entry of page.entries) {
        if (entry.name !== nameOf(total)) ordered = false
        total++
      }
      cursor = page.next_cursor
      pages++
    } while (cursor)
    t.equal(total, COUNT, 'every file is listed once')
    t.ok(ordered, 'in name order, with no repeats or gaps')
    t.equal(pages, COUNT / FILES_MAX_LIMIT, `in ${COUNT / FILES_MAX_LIMIT} pages of ${FILES_MAX_LIMIT}`)
  })
})
