/**
 * The publisher against a recording registry: hashing with the cache, reuse after a restart, change
 * detection (rescan and the watcher), progress in the log, and every tracker failure it must ride out.
 */
import t, { type Test } from 'tap'
import { createHash } from 'node:crypto'
import { appendFile, mkdir, mkdtemp, rm, unlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RegistryFile } from '@flashback/protocol'
import { TrackerHttpError, TrackerUnreachableError } from '../../src/runtime/errors.js'
import { startPublisher, type Publisher, type PublisherOptions, type PublishProgress } from '../../src/publish/publisher.js'
import type { RegistryApi } from '../../src/publish/registry-client.js'
import type { Logger } from '../../src/runtime/logger.js'

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')

/** A registry that records calls and holds what was published; `fail` makes the next calls throw. */
class FakeRegistry implements RegistryApi {
  readonly held = new Map<string, RegistryFile>()
  readonly calls: string[] = []
  fail: Error[] = []

  #maybeFail(call: string): void {
    this.calls.push(call)
    const err = this.fail.shift()
    if (err) throw err
  }

  async publish(files: readonly RegistryFile[]) {
    this.#maybeFail(`publish ${files.length}`)
    for (const f of files) this.held.set(f.path, { ...f })
    return { files: files.length }
  }

  async unpublish(paths: readonly string[]) {
    this.#maybeFail(`unpublish ${paths.length}`)
    let n = 0
    for (const p of paths) if (this.held.delete(p)) n++
    return { files: n }
  }

  async unpublishAll() {
    this.#maybeFail('unpublishAll')
    const n = this.held.size
    this.held.clear()
    return { files: n }
  }
}

interface LogLine {
  level: string
  msg: string
  [key: string]: unknown
}

function recordingLogger(lines: LogLine[]): Logger {
  const at = (level: string) => (obj: object | string, msg?: string) => {
    if (typeof obj === 'string') lines.push({ level, msg: obj })
    else lines.push({ level, msg: msg ?? '', ...obj })
  }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

async function setup(t: Test, files: Record<string, string | Buffer>) {
  const base = await mkdtemp(join(tmpdir(), 'fb-publish-'))
  t.teardown(() => rm(base, { recursive: true, force: true }))
  const root = join(base, 'share')
  const cacheFile = join(base, 'profile', 'hash-cache.json')
  await mkdir(root, { recursive: true })
  for (const [path, data] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true })
    await writeFile(join(root, path), data)
  }
  return { root, cacheFile }
}

async function run(t: Test, options: Omit<PublisherOptions, 'logger'> & { lines?: LogLine[] }): Promise<Publisher> {
  const lines = options.lines ?? []
  const publisher = await startPublisher({
    watch: false,
    rescanIntervalMs: 0,
    syncDelayMs: 10,
    backoffBaseMs: 10,
    backoffMaxMs: 50,
    progressIntervalMs: 0,
    ...options,
    logger: recordingLogger(lines),
  })
  t.teardown(() => publisher.stop())
  return publisher
}

/** Wait for a condition the publisher brings about in the background (a safety net, not a measurement). */
async function until(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const CONTENT = {
  'music/song.mp3': Buffer.alloc(3 * 1024 * 1024 + 17, 7),
  'notes/todo.txt': 'buy milk\n',
  'readme.md': '# hello\n',
  '.hidden/secret.txt': 'no',
}

t.test('first run: everything hashed and published, progress logged', async (t) => {
  const { root, cacheFile } = await setup(t, CONTENT)
  const registry = new FakeRegistry()
  const lines: LogLine[] = []
  const publisher = await run(t, { root, cacheFile, registry, lines })
  await publisher.whenIdle()
  t.equal(registry.calls[0], 'unpublishAll', 'entries of an earlier run are removed first')
  t.same([...registry.held.keys()].sort(), ['music/song.mp3', 'notes/todo.txt', 'readme.md'], 'every visible file is published (the hidden folder is not)')
  t.same(registry.held.get('music/song.mp3'), { path: 'music/song.mp3', name: 'song.mp3', sha256: sha(CONTENT['music/song.mp3']), size: CONTENT['music/song.mp3'].length }, 'with its SHA-256, name and size')
  t.equal(registry.held.get('notes/todo.txt')?.sha256, sha('buy milk\n'), 'every hash is the content\'s')
  const progress = publisher.progress()
  t.same(
    { state: progress.state, files: progress.files, hashed: progress.hashed, published: progress.published, pending: progress.pending, syncing: progress.syncing },
    { state: 'idle', files: 3, hashed: 3, published: 3, pending: 0, syncing: true },
    'progress: idle, 3 of 3 hashed and published',
  )
  t.equal(progress.bytesHashed, progress.bytes, 'every byte hashed')
  const hashed = lines.find((l) => l.msg === 'share hashed')
  t.match(hashed, { files: 3, hashed_now: 3, from_cache: 0 }, 'the log says how much was hashed')
  t.ok(lines.some((l) => l.msg === 'registry in step' && l.published === 3), 'and when the registry is in step')
})

t.test('progress lines while a big share hashes', async (t) => {
  const files: Record<string, Buffer> = {}
  for (let i = 0; i < 40; i++) files[`big/${i}.bin`] = Buffer.alloc(1024 * 1024, i)
  const { root, cacheFile } = await setup(t, files)
  const lines: LogLine[] = []
  const publisher = await run(t, { root, cacheFile, registry: new FakeRegistry(), lines, progressIntervalMs: 1 })
  await publisher.whenIdle()
  const progress = lines.filter((l) => l.msg === 'hashing share')
  t.ok(progress.length > 0, `progress was logged while hashing (${progress.length} lines)`)
  t.match(progress[0], { files_total: 40, bytes_total: 40 * 1024 * 1024 }, 'each line gives files and bytes, done and total')
  t.ok(progress.every((l) => typeof l.percent === 'number' && (l.percent as number) >= 0 && (l.percent as number) <= 100), 'and a percentage')
})

t.test('a restart rehashes only what changed', async (t) => {
  const { root, cacheFile } = await setup(t, CONTENT)
  const first = await run(t, { root, cacheFile, registry: new FakeRegistry() })
  await first.whenIdle()
  await first.stop()

  const again = new FakeRegistry()
  const lines: LogLine[] = []
  const second = await run(t, { root, cacheFile, registry: again, lines })
  await second.whenIdle()
  t.match(lines.find((l) => l.msg === 'share hashed'), { files: 3, from_cache: 3, hashed_now: 0 }, 'after a restart every hash comes from the cache (and the log says so)')
  t.equal(lines.filter((l) => l.msg === 'share hashed' && (l.hashed_now as number) > 0).length, 0, 'nothing was read again')
  t.equal(again.held.size, 3, 'and everything is published again (after removing the old entries)')
  t.equal(again.calls[0], 'unpublishAll', 'the restart starts from a clean registry')
  await second.stop()

  await writeFile(join(root, 'notes/todo.txt'), 'buy milk and eggs\n')
  const later = new Date(Date.now() + 5000)
  await utimes(join(root, 'notes/todo.txt'), later, later)
  const third = new FakeRegistry()
  const thirdLines: LogLine[] = []
  const p3 = await run(t, { root, cacheFile, registry: third, lines: thirdLines })
  await p3.whenIdle()
  t.match(thirdLines.find((l) => l.msg === 'share hashed'), { hashed_now: 1, from_cache: 2 }, 'one changed file: one hash, two from the cache')
  t.equal(third.held.get('notes/todo.txt')?.sha256, sha('buy milk and eggs\n'), 'and the new hash is published')
})

t.test('changes found by a rescan: added, changed, removed', async (t) => {
  const { root, cacheFile } = await setup(t, CONTENT)
  const registry = new FakeRegistry()
  const publisher = await run(t, { root, cacheFile, registry })
  await publisher.whenIdle()
  await writeFile(join(root, 'new.txt'), 'fresh')
  await appendFile(join(root, 'readme.md'), 'more\n')
  await unlink(join(root, 'notes/todo.txt'))
  await publisher.rescan()
  await publisher.whenIdle()
  t.same([...registry.held.keys()].sort(), ['music/song.mp3', 'new.txt', 'readme.md'], 'the new file is published, the removed one withdrawn')
  t.equal(registry.held.get('readme.md')?.sha256, sha('# hello\nmore\n'), 'the changed file has its new hash')
  t.equal(registry.held.get('new.txt')?.sha256, sha('fresh'), 'the new file its own')
  t.ok(registry.calls.includes('unpublish 1'), 'one unpublish request for the removed file')
  await rm(join(root, 'music'), { recursive: true })
  await publisher.rescan()
  await publisher.whenIdle()
  t.same([...registry.held.keys()].sort(), ['new.txt', 'readme.md'], 'a removed folder withdraws everything in it')
})

t.test('the watcher sees changes without a rescan', async (t) => {
  const { root, cacheFile } = await setup(t, CONTENT)
  const registry = new FakeRegistry()
  const publisher = await run(t, { root, cacheFile, registry, watch: true, watchDebounceMs: 50 })
  await publisher.whenIdle()
  await writeFile(join(root, 'watched.txt'), 'seen')
  await until('watched.txt is published', () => registry.held.get('watched.txt')?.sha256 === sha('seen'))
  t.pass('a new file is hashed and published')
  await mkdir(join(root, 'deep/er'), { recursive: true })
  await writeFile(join(root, 'deep/er/inside.txt'), 'deep')
  await until('deep/er/inside.txt is published', () => registry.held.has('deep/er/inside.txt'))
  t.pass('a file in a new folder too')
  await writeFile(join(root, 'watched.txt'), 'changed!')
  await until('the change is published', () => registry.held.get('watched.txt')?.sha256 === sha('changed!'))
  t.pass('a changed file gets its new hash')
  await unlink(join(root, 'watched.txt'))
  await until('watched.txt is withdrawn', () => !registry.held.has('watched.txt'))
  t.pass('a deleted file is withdrawn')
  await writeFile(join(root, '.dotfile'), 'hidden')
  await writeFile(join(root, 'after-dot.txt'), 'x')
  await until('after-dot.txt is published', () => registry.held.has('after-dot.txt'))
  t.notOk(registry.held.has('.dotfile'), 'a new dotfile is not published')
})

t.test('the hash cache inside the share is never published', async (t) => {
  const { root } = await setup(t, { 'a.txt': 'a' })
  const registry = new FakeRegistry()
  const cacheFile = join(root, 'hash-cache.json')
  const publisher = await run(t, { root, cacheFile, registry, watch: true, watchDebounceMs: 20 })
  await publisher.whenIdle()
  await writeFile(join(root, 'b.txt'), 'b')
  await until('b.txt is published', () => registry.held.has('b.txt'))
  await publisher.rescan()
  await publisher.whenIdle()
  t.same([...registry.held.keys()].sort(), ['a.txt', 'b.txt'], 'the cache file (and its temporary siblings) stay out')
})

t.test('tracker trouble', async (t) => {
  t.test('network errors and 5xx are retried', async (t) => {
    const { root, cacheFile } = await setup(t, CONTENT)
    const registry = new FakeRegistry()
    registry.fail = [new TrackerUnreachableError('down'), new TrackerHttpError(503, 'unavailable', 'busy'), new TrackerHttpError(429, 'rate_limited', 'slow down', 1)]
    const lines: LogLine[] = []
    const publisher = await run(t, { root, cacheFile, registry, lines })
    await publisher.whenIdle()
    t.equal(registry.held.size, 3, 'everything is published in the end')
    t.equal(lines.filter((l) => l.msg.startsWith('publishing to the tracker failed')).length, 3, 'each failure was logged with its retry')
    t.equal(publisher.progress().error, undefined, 'no error is left once it worked')
  })

  t.test('403 (the tracker forgot us) starts over with a full resync', async (t) => {
    const { root, cacheFile } = await setup(t, CONTENT)
    const registry = new FakeRegistry()
    const publisher = await run(t, { root, cacheFile, registry })
    await publisher.whenIdle()
    registry.held.clear()
    registry.fail = [new TrackerHttpError(403, 'not_registered', 'who are you')]
    await writeFile(join(root, 'x.txt'), 'x')
    await publisher.rescan()
    await publisher.whenIdle()
    t.same([...registry.held.keys()].sort(), ['music/song.mp3', 'notes/todo.txt', 'readme.md', 'x.txt'], 'after the refusal everything is published again')
    t.equal(registry.calls.filter((c) => c === 'unpublishAll').length, 2, 'after a second reset')
  })

  t.test('409 registry_full stops growth; 404 turns syncing off', async (t) => {
    const { root, cacheFile } = await setup(t, CONTENT)
    const lines: LogLine[] = []
    const quota = new FakeRegistry()
    const originalPublish = quota.publish.bind(quota)
    quota.publish = async (files) => {
      if (quota.held.size + files.length > 2) {
        quota.calls.push(`publish ${files.length} refused`)
        throw new TrackerHttpError(409, 'registry_full', 'at most 2')
      }
      return originalPublish(files)
    }
    const publisher = await run(t, { root, cacheFile, registry: quota, lines })
    await publisher.whenIdle()
    t.ok(quota.held.size <= 2, `the tracker holds no more than its quota (${quota.held.size})`)
    t.ok(quota.calls.some((c) => c.endsWith('refused')), 'a batch was refused with 409')
    t.ok(lines.some((l) => l.level === 'warn' && /registry_full/.test(l.msg)), 'a warning says the tracker refuses more')
    t.equal(publisher.progress().pending, 0, 'nothing more is attempted')
    await publisher.stop()

    const none = new FakeRegistry()
    none.fail = [new TrackerHttpError(404, 'not_found', 'no route DELETE /api/registry/files')]
    const noLines: LogLine[] = []
    const p2 = await run(t, { root, cacheFile, registry: none, lines: noLines })
    await p2.whenIdle()
    t.equal(p2.progress().syncing, false, 'a tracker without a registry: syncing off')
    t.equal(p2.progress().hashed, 3, 'hashing still finishes (the cache stays useful)')
    t.same(none.calls, ['unpublishAll'], 'no further requests')
  })
})

t.test('maxFiles caps what is published', async (t) => {
  const files: Record<string, string> = {}
  for (let i = 0; i < 12; i++) files[`f${String(i).padStart(2, '0')}.txt`] = String(i)
  const { root, cacheFile } = await setup(t, files)
  const registry = new FakeRegistry()
  const lines: LogLine[] = []
  const publisher = await run(t, { root, cacheFile, registry, maxFiles: 5, lines })
  await publisher.whenIdle()
  t.same([...registry.held.keys()].sort(), ['f00.txt', 'f01.txt', 'f02.txt', 'f03.txt', 'f04.txt'], 'the first five in name order')
  t.ok(lines.some((l) => l.level === 'warn' && l.max_files === 5), 'a warning says the share is larger')
})

t.test('over a thousand files go in batches of 1000', async (t) => {
  const files: Record<string, string> = {}
  for (let i = 0; i < 2500; i++) files[`many/${i}.txt`] = String(i)
  const { root, cacheFile } = await setup(t, files)
  const registry = new FakeRegistry()
  const publisher = await run(t, { root, cacheFile, registry, syncDelayMs: 5000 })
  await publisher.whenIdle()
  t.equal(registry.held.size, 2500, 'all 2500 are published')
  t.ok(registry.calls.filter((c) => c.startsWith('publish')).every((c) => Number(c.split(' ')[1]) <= 1000), 'no request carries more than 1000')
})

t.test('onProgress follows hashing: the file being hashed, counts, then idle, then stopped', async (t) => {
  const files: Record<string, Buffer> = {}
  for (let i = 0; i < 12; i++) files[`big/${String(i).padStart(2, '0')}.bin`] = Buffer.alloc(1024 * 1024, i)
  const { root, cacheFile } = await setup(t, files)
  const seen: PublishProgress[] = []
  const publisher = await run(t, { root, cacheFile, registry: new FakeRegistry(), onProgress: (p) => seen.push(p), progressEventIntervalMs: 1 })
  await publisher.whenIdle()
  await until('the idle progress is told', () => seen.at(-1)?.state === 'idle' && seen.at(-1)?.pending === 0)
  const hashing = seen.filter((p) => p.state === 'hashing')
  t.ok(hashing.length > 0, `progress was told while hashing (${hashing.length} times)`)
  t.ok(hashing.some((p) => typeof p.current === 'string' && p.current.startsWith('big/')), 'naming the file being hashed')
  t.ok(hashing.every((p) => p.hashed <= p.files), 'never more hashed than found')
  const last = seen.at(-1)
  t.match(last, { state: 'idle', files: 12, hashed: 12, published: 12, unreadable: 0 }, 'the last one before stopping: all hashed and published')
  t.equal(last?.current, undefined, 'and no file is being hashed')
  await publisher.stop()
  t.equal(seen.at(-1)?.state, 'stopped', 'stopping is told too')
})
