// One load generator thread: runs its share of the connections and posts the result back.
import { parentPort, workerData } from 'node:worker_threads'
import { runEngine } from './engine.mjs'

const result = await runEngine(workerData.spec, workerData.shared)
parentPort.postMessage(result, [result.latencies.buffer])
