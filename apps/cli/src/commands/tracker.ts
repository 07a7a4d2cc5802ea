import { configHelp, runTrackerMain } from '@flashback/tracker'
import { type Command } from '../command.js'

/** `flashback tracker`: exactly what `npm run tracker` runs, with the same variables and flags. */
export const trackerCommand: Command = {
  name: 'tracker',
  summary: 'run the relay tracker (same as `npm run tracker`; RELAY_* variables or flags)',
  get usage() {
    return `Usage: flashback tracker [flags]\n\n${configHelp()}`
  },
  async run(argv, io) {
    const tracker = await runTrackerMain({ argv, env: io.env })
    // runTrackerMain installs its own signal handling (graceful close, exit 0); keep the process alive until then.
    if (!tracker) return typeof process.exitCode === 'number' ? process.exitCode : 1
    await new Promise<never>(() => {})
  },
}
