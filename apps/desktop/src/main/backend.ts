/**
 * THE wiring point between the shell and the peer runtime (services/peer): `createRuntimeBackend` builds the
 * runtime from the profile in userData and hands the shell its FlashbackApi, its raw file fetch for `flashback://`,
 * and start/stop. Everything else in the shell only knows the `DesktopBackend` interface (app.ts).
 */
import { type BackendContext, type DesktopBackend } from './app.js'

export async function createRuntimeBackend(context: BackendContext): Promise<DesktopBackend> {
  void context
  throw new Error('the peer runtime is not wired into the desktop app yet')
}
