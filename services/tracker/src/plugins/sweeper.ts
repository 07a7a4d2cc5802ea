/**
 * Runs the sweep of expired broadcasts every SWEEP_INTERVAL_S, logging `"msg":"sweep"` with `deleted`
 * whenever something went. Later features register their own periodic clean-ups with
 * `app.sweeper.addTask` (same timer, same lock discipline, same logging).
 */
import fp from 'fastify-plugin'
import { deleteInBatches, settlerOf, sweepExpired, type SweepResult } from '../sweep.js'
import { RATE_WINDOW_MS } from './rate-limit.js'

export interface SweepTask {
  /** Names the task in logs and in its store lock. */
  name: string
  /** Delete what is due at `now`, in batches, honouring `signal`; return how many rows went. */
  run: (now: number, signal: AbortSignal) => Promise<number>
}

declare module 'fastify' {
  interface FastifyInstance {
    sweeper: {
      addTask(task: SweepTask): void
      /** One sweep now (tests, and the timer). Resolves when done; concurrent calls share one run. */
      runOnce(now?: number): Promise<SweepResult>
    }
  }
}

export interface SweeperPluginOptions {
  /** Seconds between sweeps; 0 = no timer (runOnce still works). */
  intervalS: number
}

export default fp<SweeperPluginOptions>(
  async (app, opts) => {
    const tasks: SweepTask[] = [
      {
        // Rate counters of windows that ended (only the PostgreSQL-backed limiter writes them).
        name: 'rate-counters',
        run: async (now, signal) => {
          const stale = (limit: number) => app.store.deleteStaleCounters(now - RATE_WINDOW_MS, limit)
          return (await deleteInBatches(stale, { signal, settle: settlerOf(app.store) })).deleted
        },
      },
    ]
    const abort = new AbortController()
    let running: Promise<SweepResult> | undefined
    let timer: NodeJS.Timeout | undefined

    const sweepNow = async (now: number): Promise<SweepResult> => {
      const result = await sweepExpired(app.store, { now, signal: abort.signal })
      if (result.deleted > 0) {
        app.log.info(
          { deleted: result.deleted, batches: result.batches, duration_ms: Math.round(result.durationMs), longest_batch_ms: Math.round(result.longestBatchMs * 10) / 10 },
          'sweep',
        )
      }
      for (const task of tasks) {
        if (abort.signal.aborted) break
        const outcome = await app.store.runExclusive(`sweep:${task.name}`, () => task.run(now, abort.signal))
        if (outcome.ran && outcome.value > 0) app.log.info({ task: task.name, deleted: outcome.value }, 'sweep task')
      }
      return result
    }

    const runOnce = (now = Date.now()): Promise<SweepResult> => {
      if (!running) {
        running = sweepNow(now).finally(() => {
          running = undefined
        })
      }
      return running
    }

    app.decorate('sweeper', {
      addTask: (task: SweepTask) => void tasks.push(task),
      runOnce,
    })

    if (opts.intervalS > 0) {
      app.addHook('onReady', async () => {
        timer = setInterval(() => {
          runOnce().catch((err: unknown) => app.log.error({ err }, 'sweep failed'))
        }, opts.intervalS * 1000)
        timer.unref()
      })
    }
    app.addHook('onClose', async () => {
      if (timer) clearInterval(timer)
      abort.abort()
      await running?.catch(() => undefined)
    })
  },
  { name: 'flashback-sweeper', fastify: '5.x', dependencies: ['flashback-store'] },
)
