// Starts @flashback/peer's file server the way the CLI embeds it, for the bench: run with
// `node --import tsx` (the package exports its TypeScript source). Prints one JSON line when ready.
import { readFileSync } from 'node:fs'
import { startPeerServer } from '@flashback/peer'

const identity = {
  certPem: readFileSync(process.env.PEER_CERT, 'utf8'),
  keyPem: readFileSync(process.env.PEER_KEY, 'utf8'),
  email: process.env.PEER_EMAIL,
  fingerprint: process.env.PEER_FINGERPRINT,
}
const server = await startPeerServer({
  root: process.env.PEER_ROOT,
  identity,
  port: 0,
  access: 'open',
  // The bench's folders are shared by every server under test: leave them exactly as they are.
  welcomePage: false,
})
console.log(JSON.stringify({ ready: true, port: server.port }))
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.once(sig, () => {
    server.close().finally(() => process.exit(0))
    setTimeout(() => process.exit(0), 2000).unref()
  })
}
