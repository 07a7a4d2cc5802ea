// Fills a tracker's store before the tracker starts, through the tracker's own store code
// (@flashback/tracker's openStore, registerClient, upsertBroadcast): registering 10,000-100,000
// identities over the API needs one mutual-TLS handshake and one certificate parse each, which on
// two shared cores takes minutes the benchmark budget does not have. The rows are the same either
// way; the API path is still exercised by the identities the load generator registers itself.
import { pathToFileURL } from 'node:url'
import { TRACKER_LIB } from '../servers/flashback.mjs'

let trackerModule
/** The tracker library bundle (see buildTracker: it must have run first). */
export async function loadTrackerModule() {
  trackerModule ??= await import(pathToFileURL(TRACKER_LIB).href)
  return trackerModule
}

/** Broadcast body fields for identity i (the same the bench's ready requests send). */
export function broadcastFor(i) {
  return {
    port: 20000 + (i % 40000),
    addresses: [`192.0.2.${(i % 250) + 1}`, `2001:db8::${(i % 65535).toString(16)}`],
    capabilities: { bench: true },
  }
}

/**
 * Registers people[from..to) in the store at `databaseUrl`, with a live broadcast for those
 * `online(i)` says. Returns the seconds it took.
 */
export async function seedStore({ databaseUrl, people, from, to, online, ttlS = 3600 }) {
  const { openStore } = await loadTrackerModule()
  const store = await openStore({ databaseUrl })
  const t0 = performance.now()
  const now = Date.now()
  const one = async (i) => {
    const p = people[i]
    const r = await store.registerClient({ email: p.email, fingerprint: p.fingerprint, certificatePem: p.cert, now })
    if (r.outcome !== 'created' && r.outcome !== 'existing') throw new Error(`seeding ${p.email}: ${r.outcome}`)
    if (online(i)) await store.upsertBroadcast({ clientId: r.client.id, email: p.email, fingerprint: p.fingerprint, ...broadcastFor(i), now, expiresAt: now + ttlS * 1000 })
  }
  try {
    if (store.backend === 'sqlite' && store.db) {
      // One transaction per 10,000 rows: the store's statements run synchronously underneath.
      for (let lo = from; lo < to; lo += 10_000) {
        store.db.exec('BEGIN')
        try {
          for (let i = lo; i < Math.min(to, lo + 10_000); i++) await one(i)
          store.db.exec('COMMIT')
        } catch (err) {
          store.db.exec('ROLLBACK')
          throw err
        }
      }
    } else {
      // Networked store: a few statements in flight at once.
      let next = from
      const worker = async () => {
        while (next < to) await one(next++)
      }
      await Promise.all(Array.from({ length: 16 }, worker))
    }
  } finally {
    await store.close()
  }
  return (performance.now() - t0) / 1000
}
