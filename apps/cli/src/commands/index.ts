import { type Command } from '../command.js'
import { trackerCommand } from './tracker.js'

/** Every `flashback` sub-command, in the order `--help` lists them. */
export const commands: Command[] = [trackerCommand]
