/** Publishing the share to the tracker's file registry, and searching it (re-exported by @flashback/peer). */
export { startPublisher, type Publisher, type PublisherOptions, type PublishProgress } from './publisher.js'
export { RegistryClient, type RegistryApi, type RegistryClientOptions, type SearchTerm } from './registry-client.js'
export { HashCache } from './hash-cache.js'
export { hashFile } from './hash-file.js'
export { scanShare, statShareFile, publishablePath, type ScannedFile, type ScanOptions, type ScanResult } from './scan.js'
