import { createPeerRuntime, type PeerRuntime, type PeerRuntimeOptions } from '@flashback/peer'

/**
 * A one-shot command's runtime: opens the profile (nothing starts; visiting and tracker queries work without a
 * server), runs `fn`, and always closes every connection afterwards so the process can exit.
 */
export async function withRuntime<T>(profileDir: string, fn: (runtime: PeerRuntime) => Promise<T>, options: Omit<PeerRuntimeOptions, 'profileDir'> = {}): Promise<T> {
  const runtime = await createPeerRuntime({ ...options, profileDir })
  try {
    return await fn(runtime)
  } finally {
    await runtime.stop()
  }
}
