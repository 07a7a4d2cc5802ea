/**
 * A real tracker (in-process, from @flashback/tracker) and real peer runtimes with share folders, on loopback, all
 * closed at the end of the test (`@flashback/peer/testing`, shared with the peer's own tests). Used by the command,
 * web-mode and browser tests.
 */
import type { Test } from 'tap'
import { makeTestPeer, type TestPeer, type TestPeerOptions } from '@flashback/peer/testing'

export { startTestTracker, writeShare, patternBytes, type TestPeer } from '@flashback/peer/testing'

/** A configured (not started) runtime in `base` pointed at `tracker`, with fast timings; stopped at the end of the test. */
export function makePeer(
  t: Test,
  base: string,
  tracker: { url: string; fingerprint: string },
  email: string,
  options: Pick<TestPeerOptions, 'files' | 'timing'> = {},
): Promise<TestPeer> {
  return makeTestPeer(t, tracker, email, { ...options, base })
}
