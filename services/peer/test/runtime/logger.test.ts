import t from 'tap'
import { createLogger } from '../../src/index.ts'

t.test('JSON lines, level filter, errors reduced to what is safe', async (t) => {
  const lines: string[] = []
  const log = createLogger({ level: 'info', write: (l) => lines.push(l) })
  log.debug({ a: 1 }, 'hidden')
  log.info({ port: 4433 }, 'peer ready')
  log.error({ err: Object.assign(new Error('boom'), { code: 'peer_offline', secret: 'x' }) }, 'failed')
  t.equal(lines.length, 2, 'debug is below info')
  const first = JSON.parse(lines[0]!)
  t.equal(first.name, 'flashback', 'lines are named flashback unless the host names them')
  t.same({ level: first.level, port: first.port, msg: first.msg }, { level: 30, port: 4433, msg: 'peer ready' }, 'one JSON object per line')
  const second = JSON.parse(lines[1]!)
  t.same(second.err, { type: 'Error', message: 'boom', code: 'peer_offline' }, 'errors keep name, message and code only')
  const cyclic: Record<string, unknown> = {}
  cyclic['self'] = cyclic
  log.warn(cyclic, 'odd')
  t.equal(JSON.parse(lines[2]!).msg, 'odd', 'an unserializable object still logs its message')
})

t.test('a host names its lines; an unknown level means info', async (t) => {
  const lines: string[] = []
  const log = createLogger({ level: 'chatty', name: 'flashback-desktop', write: (l) => lines.push(l) })
  log.debug('hidden')
  log.info('shown')
  t.equal(lines.length, 1, 'debug is below the default level')
  t.same(JSON.parse(lines[0]!).name, 'flashback-desktop', 'the given name is on the line')
  t.ok(lines[0]!.endsWith('\n'), 'one entry is one line')
})
