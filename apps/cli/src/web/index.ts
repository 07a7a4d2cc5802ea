/**
 * Web mode (`flashback peer --web-ui [PORT]`): the UI in a browser on this computer, the bridge over HTTP.
 * Independent of the CLI's argument parsing: the `peer` command starts its runtime, then calls `startWebUi`.
 */
export { startWebUi, type WebUi, type WebUiOptions } from './web-ui.js'
export { type RemoteRequestInfo } from './remote-proxy.js'
export { resolveUiDir } from './ui-dir.js'
export { type EventStreamOptions } from './bridge-routes.js'
export {
  WEB_CONTENT_SECURITY_POLICY,
  REMOTE_CONTENT_SECURITY_POLICY,
  sessionCookieName,
} from './security.js'
