/**
 * The registry's clean-ups, run by the sweeper after expired broadcasts are gone:
 * 1. note, for publishers still online, when their broadcast expires (offline retention counts from there);
 * 2. delete the entries of publishers offline for REGISTRY_OFFLINE_RETENTION_S, in batches.
 */
import type { SweepTask } from '../../plugins/sweeper.js'
import { deleteInBatches, settlerOf } from '../../sweep.js'
import type { TrackerStore } from '../../store/types.js'

export function registrySweepTasks(store: TrackerStore, options: { retentionS: number }): SweepTask[] {
  return [
    {
      name: 'registry-online',
      run: async (now, signal) => {
        await deleteInBatches((limit) => store.refreshRegistryOnline(now, limit), { signal, settle: settlerOf(store) })
        // Nothing was deleted: report 0 so the sweeper logs only real deletions.
        return 0
      },
    },
    {
      name: 'registry-offline',
      run: async (now, signal) => {
        const offline = (limit: number) => store.deleteOfflineRegistryEntries(now - options.retentionS * 1000, now, limit)
        return (await deleteInBatches(offline, { signal, settle: settlerOf(store) })).deleted
      },
    },
  ]
}
