import { type Command } from '../command.js'
import { catCommand } from './cat.js'
import { friendsCommand } from './friends.js'
import { getCommand } from './get.js'
import { lsCommand } from './ls.js'
import { peerCommand } from './peer.js'
import { peersCommand } from './peers.js'
import { searchCommand } from './search.js'
import { trackerCommand } from './tracker.js'

/** Every `flashback` sub-command, in the order `--help` lists them. */
export const commands: Command[] = [trackerCommand, peerCommand, peersCommand, lsCommand, catCommand, getCommand, friendsCommand, searchCommand]
