import t from 'tap'
import { AllAttemptsFailedError, raceConnections, type Candidate } from '../../src/runtime/index.js'

const c = (address: string): Candidate => ({ address, port: 1 })

/** An attempt that never settles until aborted (a silent, filtered address). */
const hang = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }))

t.test('a failing first attempt lets the next one start at once, and the first success wins', async (t) => {
  const started: string[] = []
  const result = await raceConnections(
    [c('a'), c('b'), c('c')],
    async (candidate) => {
      started.push(candidate.address)
      if (candidate.address === 'a') throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })
      return candidate.address
    },
    { staggerMs: 60_000 },
  )
  t.equal(result.value, 'b', 'the second address won')
  t.same(started, ['a', 'b'], 'the third was never tried: a failure starts the next at once, no stagger wait')
  t.equal(result.failures.length, 1, 'the failure is reported')
  t.equal(result.failures[0]?.address, 'a', 'with its address')
})

t.test('a hanging attempt does not block: the next starts after the stagger delay, and the loser is aborted', async (t) => {
  const aborted: string[] = []
  const result = await raceConnections(
    [c('slow'), c('fast')],
    (candidate, signal) => {
      signal.addEventListener('abort', () => aborted.push(candidate.address))
      return candidate.address === 'slow' ? hang(signal) : Promise.resolve('fast')
    },
    { staggerMs: 10 },
  )
  t.equal(result.value, 'fast', 'the later candidate won while the first still hung')
  t.same(aborted, ['slow'], 'the hanging attempt was aborted once the race was won')
})

t.test('a success that arrives after another won is disposed of', async (t) => {
  const disposed: string[] = []
  let releaseLate: (v: string) => void = () => {}
  const result = await raceConnections(
    [c('late'), c('quick')],
    (candidate) => (candidate.address === 'late' ? new Promise<string>((resolve) => (releaseLate = resolve)) : Promise.resolve('quick')),
    { staggerMs: 5, dispose: (value) => disposed.push(value) },
  )
  t.equal(result.value, 'quick', 'the quick one won')
  releaseLate('late')
  await new Promise((resolve) => setImmediate(resolve))
  t.same(disposed, ['late'], 'the late winner was released, not leaked')
})

t.test('when every attempt fails the error lists them all, in try order', async (t) => {
  const err = await raceConnections([c('a'), c('b'), c('c')], async (candidate) => {
    throw new Error(`no ${candidate.address}`)
  }).catch((e: unknown) => e)
  t.ok(err instanceof AllAttemptsFailedError, 'an AllAttemptsFailedError')
  t.same((err as AllAttemptsFailedError).failures.map((f) => f.error.message), ['no a', 'no b', 'no c'], 'every failure, in order')
  const none = await raceConnections([], async () => 'x').catch((e: unknown) => e)
  t.ok(none instanceof AllAttemptsFailedError, 'no candidates at all is a failure too')
})

t.test('the caller can abort the whole race', async (t) => {
  const controller = new AbortController()
  const racing = raceConnections([c('a'), c('b')], (_c, signal) => hang(signal), { staggerMs: 5, signal: controller.signal })
  setTimeout(() => controller.abort(new Error('user gave up')), 20)
  await t.rejects(racing, /user gave up/, 'the race rejects with the abort reason')
})
