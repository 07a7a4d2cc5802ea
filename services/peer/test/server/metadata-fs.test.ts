import t, { type Test } from 'tap'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { MetadataFs } from '../../src/server/metadata-fs.js'
import { tempDir } from './helper.js'

type Tap = Test

async function roundTrip(t: Tap, fs: MetadataFs, dir: string, label: string) {
  t.equal(await fs.realpath(join(dir, '.', 'f')), join(dir, 'f'), `${label}: realpath resolves`)
  const fd = await fs.open(join(dir, 'f'))
  t.equal((await fs.fstat(fd)).size, 5, `${label}: open + fstat see the file`)
  fs.close(fd)
  await t.rejects(fs.open(join(dir, 'missing')), { code: 'ENOENT' }, `${label}: errors reject like fs/promises`)
  await t.rejects(fs.realpath(join(dir, 'missing')), { code: 'ENOENT' }, `${label}: realpath errors too`)
}

t.test('synchronous while fast, the thread pool after a slow call', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'f'), 'hello')
  const fast = new MetadataFs()
  await roundTrip(t, fast, dir, 'adaptive')
  t.notOk(fast.pooled, 'fast calls stay synchronous')

  const slow: string[] = []
  // A threshold no call can meet: every call counts as slow.
  const touchy = new MetadataFs({ slowMs: -1, cooldownMs: 60_000, onSlow: (call) => slow.push(call) })
  await touchy.realpath(dir)
  await touchy.realpath(dir)
  t.notOk(touchy.pooled, 'one or two slow calls (a descheduled process) do not switch')
  await touchy.realpath(dir)
  t.same(slow, ['realpath'], 'the third slow call is reported')
  t.ok(touchy.pooled, 'and switches to the thread pool')
  await roundTrip(t, touchy, dir, 'after a slow call')
  t.same(slow, ['realpath'], 'pooled calls are not timed again during the cooldown')

  const brief = new MetadataFs({ slowMs: -1, slowCalls: 1, cooldownMs: 0 })
  await brief.realpath(dir)
  t.notOk(brief.pooled, 'after the cooldown it goes back to synchronous calls')

  const spread = new MetadataFs({ slowMs: -1, slowCalls: 3, window: 2 })
  for (let i = 0; i < 10; i++) await spread.realpath(dir)
  t.notOk(spread.pooled, 'slow calls spread over separate windows never add up')

  const pooled = MetadataFs.pooled()
  t.ok(pooled.pooled, 'MetadataFs.pooled() always uses the thread pool')
  await roundTrip(t, pooled, dir, 'pooled')
})

t.test('open refuses a final symlink', { skip: process.platform === 'win32' ? 'no O_NOFOLLOW on Windows' : false }, async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'f'), 'hello')
  const { symlink } = await import('node:fs/promises')
  await symlink('f', join(dir, 'link'))
  await t.rejects(new MetadataFs().open(join(dir, 'link')), { code: 'ELOOP' }, 'synchronous open does not follow it')
  await t.rejects(MetadataFs.pooled().open(join(dir, 'link')), { code: 'ELOOP' }, 'nor does the pooled one')
})
