/**
 * @flashback/ui: the React renderer. Shells load its build (`apps/ui/dist`); these exports are for tests and tools.
 */
export { App } from './app.js'
export { createHttpApi, exchangeSessionToken, type HttpApiOptions, type HttpFlashbackApi } from './api/http-api.js'
export { createFakeApi, type FakeApiOptions, type FakeControl, type FakeFlashbackApi } from './api/fake-api.js'
