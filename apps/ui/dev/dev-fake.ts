/** The fake behind `npm run dev`: one live instance for the dev server's lifetime. */
import { createFakeApi } from '../src/api/fake-api.js'
import { createFakeBridgeHandler } from './fake-bridge.js'

const fake = createFakeApi({
  live: true,
  latencyMs: 150,
  sampleDownloads: true,
  configured: process.env.FLASHBACK_FAKE_SETUP !== '1',
})
export const handle = createFakeBridgeHandler(fake)
