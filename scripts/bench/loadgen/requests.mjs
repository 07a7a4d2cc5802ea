// Raw HTTP/1.1 requests for the load generator (strings; latin1 on the wire, bodies are ASCII JSON).

function headerLines(headers) {
  return Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')
}

/** GET `path`; `close` asks the server to end the connection after answering. */
export function get(path, { host = 'localhost', close = false, headers = {} } = {}) {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${close ? 'Connection: close\r\n' : ''}${headerLines(headers)}\r\n`
}

/** POST a JSON body (an object, or '' for an empty body). */
export function postJson(path, body, { host = 'localhost', close = false, headers = {} } = {}) {
  const text = body === '' ? '' : JSON.stringify(body)
  const type = body === '' ? '' : 'Content-Type: application/json\r\n'
  if (/[^\x20-\x7e]/.test(text)) throw new Error('bench request bodies are plain ASCII JSON')
  return `POST ${path} HTTP/1.1\r\nHost: ${host}\r\n${close ? 'Connection: close\r\n' : ''}${type}Content-Length: ${text.length}\r\n${headerLines(headers)}\r\n${text}`
}
