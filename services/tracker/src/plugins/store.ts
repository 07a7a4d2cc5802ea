/** Makes the store available as `app.store`; closes it with the app when the app owns it. */
import fp from 'fastify-plugin'
import type { TrackerStore } from '../store/types.js'

declare module 'fastify' {
  interface FastifyInstance {
    store: TrackerStore
  }
}

export interface StorePluginOptions {
  store: TrackerStore
  /** Close the store when the app closes (false when several apps share one store). */
  owned: boolean
}

export default fp<StorePluginOptions>(
  async (app, opts) => {
    app.decorate('store', opts.store)
    if (opts.owned) app.addHook('onClose', async () => opts.store.close())
  },
  { name: 'flashback-store', fastify: '5.x' },
)
