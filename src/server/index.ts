/**
 * `earshot/server`: the live server (dashboard, `/ingest`, `/feed`, `/metrics`; docs/server.md) and
 * the Node clients of its two WebSocket endpoints. Examples: docs/api.md.
 *
 * @example
 * import { startServer } from 'earshot/server';
 * const server = await startServer({ port: 0 });
 * console.log(server.url);
 * await server.close();
 */
export { DEFAULT_HOST, DEFAULT_PORT, startServer, type EarshotServer, type ServerLimits, type ServerOptions } from './server.js';
export { ConnectionClosedError, FeedSubscriber, IngestClient, endpointUrl, type ClosedReply, type ConnectOptions, type OpenedReply } from './client.js';
export type { SampleEncoding, StreamId } from './protocol.js';
export type { FeedMessage } from './feed-types.js';
export type { LiveEngineFactory, LiveEngineOptions, LiveEngineSession } from '../live/types.js';
