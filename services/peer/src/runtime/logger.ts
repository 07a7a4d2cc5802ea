/**
 * The runtime logs like the server: pino's call shape (`logger.info({ …fields }, 'message')`), silent
 * unless given a logger (the CLI passes pino). One Logger type for the whole package.
 */
export { silentLogger, type Logger } from '../server/logger.js'
