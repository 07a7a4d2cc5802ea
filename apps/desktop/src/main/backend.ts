/**
 * THE wiring point between the shell and the peer runtime (services/peer): `createRuntimeBackend` opens the runtime
 * on the profile in userData and hands the shell the runtime-backed FlashbackApi (`createRuntimeBridge`, the same one
 * web mode serves), the raw file fetch for `flashback://`, and start/stop. Everything else in the shell only knows
 * the `DesktopBackend` interface (app.ts).
 *
 * The shell-only methods (folder picker, reveal, open link) are not given to the runtime bridge as hooks: the shell
 * replaces them itself (desktop-api.ts), so every native action sits in the shell and is tested there.
 */
import { electronRemoteFileUrl } from '@flashback/protocol'
import { createPeerRuntime, createRuntimeBridge, describeError } from '@flashback/peer'
import { type BackendContext, type DesktopBackend } from './app.js'
import { type RemoteFileFetcher } from './protocol.js'

export async function createRuntimeBackend(context: BackendContext): Promise<DesktopBackend> {
  const { log } = context
  const runtime = await createPeerRuntime({ profileDir: context.profileDir, logger: log })

  // Downloads go to the system's Downloads folder (localized, XDG-aware), unless the profile already names one.
  if (!runtime.settings().downloadDir) {
    try {
      await runtime.updateSettings({ downloadDir: context.downloadsDir })
    } catch (err) {
      log.warn({ err: describeError(err) }, 'the downloads folder could not be saved; using the default')
    }
  }

  const bridge = createRuntimeBridge(
    runtime,
    { mode: 'desktop', version: context.version, remoteFileUrl: electronRemoteFileUrl },
    { logger: log },
  )

  const fetchRemoteFile: RemoteFileFetcher = async ({ email, path, method, headers, signal }) => {
    const file = await runtime.fetchRemote(email, path, { method, headers, ...(signal ? { signal } : {}) })
    return { statusCode: file.statusCode, headers: file.headers, body: file.body }
  }

  return {
    api: bridge,
    fetchRemoteFile,
    async start() {
      // Before the first-run setup there is nothing to start: the UI's setup form calls setSettings, which starts it.
      if (!runtime.configured) {
        log.info({}, 'not set up yet: waiting for the first-run settings')
        return
      }
      // Resolves after the first round at the tracker; retries continue in the background.
      await runtime.start()
    },
    async stop() {
      try {
        // broadcast/offline to the tracker, then the server and every connection close.
        await runtime.stop()
      } finally {
        bridge.close()
      }
    },
  }
}
