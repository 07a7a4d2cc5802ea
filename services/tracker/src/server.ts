/** Entry point of the production bundle (dist/server.js). */
import { runTrackerMain } from './main.js'

await runTrackerMain()
