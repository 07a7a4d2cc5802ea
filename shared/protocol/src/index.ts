/**
 * @flashback/protocol: TypeBox schemas and static types of every Flashback wire and bridge API.
 * Platform-free on purpose: no node:, electron or React imports (enforced by lint).
 */
export * from './errors.js'
export * from './tracker.js'
export * from './registry.js'
export * from './peer.js'
export * from './runtime-events.js'
export * from './bridge.js'
