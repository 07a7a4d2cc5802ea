/**
 * What `flashback peer` runs next to the runtime, on the tracker's extra services:
 * - the UDP matchmaker client, always: it logs the address the tracker observes ("matchmaker observed
 *   address") and, when the server listens on every interface, announces that IP (with the server's
 *   port) as the last candidate of the broadcast; a tracker without a matchmaker is left alone;
 * - with --publish, the publisher: the share hashed in the background (cache in the profile folder,
 *   progress in the log), watched, and kept in step with the tracker's file registry.
 * Failures here never stop the peer: they are logged and the peer goes on sharing.
 */
import { join } from 'node:path'
import {
  RegistryClient,
  startMatchmakerClient,
  startPublisher,
  trackerVerification,
  type Logger,
  type MatchmakerClient,
  type PeerRuntime,
  type Publisher,
} from '@flashback/peer'

/** The publisher's hash cache, inside the profile folder. */
export const HASH_CACHE_FILE = 'hash-cache.json'

export interface PeerExtras {
  publisher: Publisher | undefined
  matchmaker: MatchmakerClient | undefined
  stop(): Promise<void>
}

export async function startPeerExtras(runtime: PeerRuntime, profileDir: string, logger: Logger, options: { publish: boolean }): Promise<PeerExtras> {
  const settings = runtime.settings()
  const identity = await runtime.identity()
  const registry = new RegistryClient({ url: settings.trackerUrl as string, identity, verify: await trackerVerification(settings) })
  let matchmaker: MatchmakerClient | undefined
  let publisher: Publisher | undefined
  try {
    matchmaker = await startMatchmakerClient({
      host: new URL(settings.trackerUrl as string).hostname,
      getToken: (signal) => registry.matchmakerToken(signal),
      onObserved: (observed) => {
        // Reachable there only if the server listens beyond loopback (and the NAT forwards its port).
        if (runtime.status().server?.bindAll) runtime.setExtraAddresses([observed.ip])
      },
      logger,
    })
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'the matchmaker client could not start; going on without it')
  }
  if (options.publish) {
    publisher = await startPublisher({ root: settings.shareRoot as string, registry, cacheFile: join(profileDir, HASH_CACHE_FILE), logger })
  }
  return {
    publisher,
    matchmaker,
    async stop() {
      await publisher?.stop()
      await matchmaker?.stop()
      await registry.close()
    },
  }
}
