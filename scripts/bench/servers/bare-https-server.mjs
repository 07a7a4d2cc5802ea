// The stack's own limit: a bare node:https server with the same TLS settings as the tracker and the
// peer server (requestCert, the same certificate) and no framework, no database, no validation.
// GET /lookup answers a fixed JSON body shaped like the tracker's lookup answer; GET /download/<name>
// streams a file from BARE_ROOT with single-range support, as node:fs streams do by default.
import https from 'node:https'
import { createReadStream, readFileSync, statSync } from 'node:fs'
import path from 'node:path'

const root = process.env.BARE_ROOT ?? process.cwd()
const lookupBody = Buffer.from(
  process.env.BARE_LOOKUP_BODY ??
    JSON.stringify({
      email: 'bench-00000000@bench.flashback.test',
      port: 40000,
      addresses: ['192.0.2.1'],
      capabilities: {},
      fingerprint: '0'.repeat(64),
      last_seen: new Date().toISOString(),
      expires_in: 3600,
    }),
)

const server = https.createServer(
  {
    cert: readFileSync(process.env.BARE_CERT),
    key: readFileSync(process.env.BARE_KEY),
    requestCert: true,
    rejectUnauthorized: false,
    keepAliveTimeout: 60_000,
  },
  (req, res) => {
    if (req.url === '/lookup') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': lookupBody.length })
      res.end(lookupBody)
      return
    }
    if (req.url.startsWith('/download/')) {
      const name = path.basename(decodeURIComponent(req.url.slice('/download/'.length)))
      const file = path.join(root, name)
      let size
      try {
        size = statSync(file).size
      } catch {
        res.writeHead(404).end()
        return
      }
      const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '')
      if (m) {
        const start = Number(m[1])
        const end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1
        res.writeHead(206, {
          'content-type': 'application/octet-stream',
          'content-length': end - start + 1,
          'content-range': `bytes ${start}-${end}/${size}`,
        })
        createReadStream(file, { start, end }).pipe(res)
        return
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size })
      createReadStream(file).pipe(res)
      return
    }
    res.writeHead(404).end()
  },
)

server.listen(Number(process.env.BARE_PORT ?? 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ ready: true, port: server.address().port }))
})
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0))
