/** A minimal EventSource for Node 20 tests (which has fetch but no EventSource): enough for the bridge stream. */
export class NodeEventSource {
  onmessage: ((m: MessageEvent) => void) | null = null
  onerror: (() => void) | null = null
  onopen: (() => void) | null = null
  private readonly abort = new AbortController()

  constructor(
    readonly url: string,
    init?: { withCredentials?: boolean; headers?: Record<string, string> },
  ) {
    void this.run(init?.headers ?? {})
  }

  private async run(headers: Record<string, string>) {
    try {
      const res = await fetch(this.url, { headers: { accept: 'text/event-stream', ...headers }, signal: this.abort.signal })
      if (!res.ok || !res.body) throw new Error(`status ${res.status}`)
      this.onopen?.()
      const decoder = new TextDecoder()
      let buffer = ''
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true })
        let at: number
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at)
          buffer = buffer.slice(at + 2)
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trimStart())
            .join('\n')
          if (data) this.onmessage?.({ data } as MessageEvent)
        }
      }
    } catch {
      if (!this.abort.signal.aborted) this.onerror?.()
    }
  }

  close() {
    this.abort.abort()
  }
}
