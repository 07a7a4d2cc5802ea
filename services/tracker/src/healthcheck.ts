/**
 * The container's HEALTHCHECK without curl: GET /health on this host's HTTPS port, exit 0 on 200,
 * 1 otherwise. Reads RELAY_PORT (default 3000) and RELAY_HEALTHCHECK_HOST (default 127.0.0.1).
 */
import { request } from 'node:https'

export function checkHealth(host: string, port: number, timeoutMs = 4000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      // Our own server on loopback: the certificate is whatever the operator configured, so it is not verified here.
      { host, port, path: '/health', method: 'GET', rejectUnauthorized: false, timeout: timeoutMs, agent: false },
      (res) => {
        res.resume()
        resolve(res.statusCode === 200)
      },
    )
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', () => resolve(false))
    req.end()
  })
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href
if (isMain) {
  const port = Number(process.env.RELAY_PORT || 3000)
  const host = process.env.RELAY_HEALTHCHECK_HOST || '127.0.0.1'
  process.exit((await checkHealth(host, port)) ? 0 : 1)
}
