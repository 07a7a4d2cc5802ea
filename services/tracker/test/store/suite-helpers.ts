/** What the store suites share: a fixed clock origin, fingerprints by number, a store per test, a registered client. */
import type { Test } from 'tap'
import type { ClientRecord, TrackerStore } from '../../src/store/types.js'
import type { StoreFactory, StoreUnderTest } from './store-suite.js'

export const T0 = Date.UTC(2030, 0, 1)
export const fp = (n: number) => n.toString(16).padStart(64, '0')

export async function withStore(t: Test, factory: StoreFactory): Promise<StoreUnderTest> {
  const s = await factory()
  t.teardown(() => s.cleanup())
  return s
}

export async function client(store: TrackerStore, n: number, email = `user${n}@example.com`): Promise<ClientRecord> {
  const r = await store.registerClient({ email, fingerprint: fp(n), certificatePem: `PEM ${n}`, now: T0 })
  if (r.outcome !== 'created' && r.outcome !== 'existing') throw new Error(`could not register ${email}: ${r.outcome}`)
  return r.client
}
