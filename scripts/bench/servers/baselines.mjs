// The programs a user would pick instead, started the way an operator would, on the bench's
// certificate: nginx (Debian nginx-light) for files, stdiscosrv (Debian syncthing-discosrv) for
// discovery, and a bare node:https server as the stack's own limit.
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, hasCommand, startProcess, waitForPort } from '../lib/processes.mjs'

export const INSTALL = {
  nginx: 'apt-get install -y nginx-light',
  stdiscosrv: 'apt-get install -y syncthing-discosrv',
}

/** Which baselines are installed; a missing one is reported as skipped with its install command. */
export function baselineAvailability() {
  return {
    nginx: hasCommand('nginx') ? { ok: true } : { ok: false, install: INSTALL.nginx },
    stdiscosrv: hasCommand('stdiscosrv') ? { ok: true } : { ok: false, install: INSTALL.stdiscosrv },
  }
}

/**
 * nginx over HTTPS serving `root`: files at /<path>, folders (URLs ending in /) as autoindex JSON.
 * One worker process (the servers under test are one process each, pinned to one core),
 * client certificates requested and not verified (`optional_no_ca`), keep-alive without a request cap.
 */
export async function startNginx({ dir, root, cert, key, cpu }) {
  const port = await freePort()
  const conf = path.join(dir, 'nginx.conf')
  for (const d of ['tmp', 'logs']) mkdirSync(path.join(dir, d), { recursive: true })
  // Workers drop to `nobody` when the master runs as root: they must be able to read what they serve.
  chmodSync(dir, 0o755)
  const tmp = path.join(dir, 'tmp')
  writeFileSync(
    conf,
    `worker_processes 1;
pid ${path.join(dir, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  client_body_temp_path ${tmp}/body;
  proxy_temp_path ${tmp}/proxy;
  fastcgi_temp_path ${tmp}/fastcgi;
  uwsgi_temp_path ${tmp}/uwsgi;
  scgi_temp_path ${tmp}/scgi;
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    ssl_verify_client optional_no_ca;
    # nginx 1.22 still defaults to TLSv1-1.2; every current nginx (1.23.4+) adds TLSv1.3 by default.
    ssl_protocols TLSv1.2 TLSv1.3;
    root ${root};
    autoindex on;
    autoindex_format json;
  }
}
`,
  )
  const proc = await startProcess({
    name: 'nginx',
    cmd: 'nginx',
    args: ['-p', dir, '-c', conf, '-e', 'stderr', '-g', 'daemon off;'],
    cpu,
  })
  await waitForPort(port, { isAlive: () => !proc.exited })
  return { name: 'nginx', port, pid: proc.pid, proc, stop: () => proc.stop() }
}

/** stdiscosrv over HTTPS with its LevelDB database in `dir`. */
export async function startStdiscosrv({ dir, cert, key, cpu }) {
  const port = await freePort()
  mkdirSync(path.join(dir, 'db'), { recursive: true })
  const proc = await startProcess({
    name: 'stdiscosrv',
    cmd: 'stdiscosrv',
    args: ['-listen', `127.0.0.1:${port}`, '-cert', cert, '-key', key, '-db-dir', path.join(dir, 'db')],
    cpu,
  })
  await waitForPort(port, { isAlive: () => !proc.exited })
  return { name: 'stdiscosrv', port, pid: proc.pid, proc, stop: () => proc.stop() }
}

/** The bare node:https server (servers/bare-https-server.mjs). */
export async function startBareNode({ root, cert, key, cpu, lookupBody }) {
  const proc = await startProcess({
    name: 'bare-node',
    cmd: process.execPath,
    args: [fileURLToPath(new URL('./bare-https-server.mjs', import.meta.url))],
    env: { BARE_ROOT: root ?? '', BARE_CERT: cert, BARE_KEY: key, BARE_PORT: '0', ...(lookupBody ? { BARE_LOOKUP_BODY: lookupBody } : {}) },
    cpu,
    ready: (line) => JSON.parse(line).port,
    readyTimeoutMs: 15_000,
  })
  return { name: 'bare-node', port: proc.ready, pid: proc.pid, proc, stop: () => proc.stop() }
}
