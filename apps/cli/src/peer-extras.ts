/**
 * What `flashback peer` runs next to the runtime, on the tracker's extra services: the UDP matchmaker client. It
 * logs the address the tracker observes ("matchmaker observed address") and, when the server listens on every
 * interface, announces that IP (with the server's port) as the last candidate of the broadcast; a tracker without
 * a matchmaker is left alone. Failures here never stop the peer: they are logged and the peer goes on sharing.
 * (Publishing the share, with --publish or the profile's `publish` setting, runs inside the runtime.)
 */
import {
  RegistryClient,
  startMatchmakerClient,
  trackerVerification,
  type Logger,
  type MatchmakerClient,
  type PeerRuntime,
} from '@flashback/peer'

export interface PeerExtras {
  matchmaker: MatchmakerClient | undefined
  stop(): Promise<void>
}

export async function startPeerExtras(runtime: PeerRuntime, logger: Logger): Promise<PeerExtras> {
  const settings = runtime.settings()
  const identity = await runtime.identity()
  // Only for matchmaker tokens (POST /api/relay/matchmaker/token over mutual TLS).
  const registry = new RegistryClient({ url: settings.trackerUrl as string, identity, verify: await trackerVerification(settings) })
  let matchmaker: MatchmakerClient | undefined
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
  return {
    matchmaker,
    async stop() {
      await matchmaker?.stop()
      await registry.close()
    },
  }
}
