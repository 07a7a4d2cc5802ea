/** The runtime-backed FlashbackApi shared by the Electron main process and web mode (re-exported by @flashback/peer). */
export {
  createRuntimeBridge,
  settingsFromRuntime,
  DEFAULT_PEERS_MAX_AGE_MS,
  DEFAULT_PEERS_REFRESH_INTERVAL_MS,
  type BridgeShellHooks,
  type RuntimeBridge,
  type RuntimeBridgeOptions,
} from './runtime-bridge.js'
export { toBridgeErrorFromRuntime, INTERNAL_ERROR_MESSAGE } from './errors.js'
