/**
 * The dashboard's ingest client (browser mode) is the browser ingest client of `earshot/browser`:
 * src/server/browser-ingest.ts.
 */
export { BrowserIngest, ingestUrl, type ClosedReply, type OpenedReply } from '../../src/server/browser-ingest.js';
