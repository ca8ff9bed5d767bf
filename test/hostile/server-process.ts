/**
 * The server under attack, in its own process (so a crash is seen as an exit, and RSS is the
 * server's alone): an Earshot server on port 0 that reports its port over IPC, then answers `stats`
 * with its RSS and event-loop delay (perf_hooks histogram, 10 ms resolution; reset once started).
 * Options as JSON in argv[2] (HostileServerOptions in harness.ts). Used by the hostile tests, by
 * tools/hostile/repro.ts and by tools/soak.ts.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { readRecording, replayRecording } from '../../src/server/replay.js';
import { startServer, type ServerOptions } from '../../src/server/server.js';

const o = JSON.parse(process.argv[2] ?? '{}') as {
  host?: string;
  token?: string;
  workers?: number;
  metrics?: string;
  record?: string;
  recordMaxBytes?: number;
  limits?: ServerOptions['limits'];
  feed?: ServerOptions['feed'];
  replay?: string;
  endedRetentionSec?: number;
};
const el = monitorEventLoopDelay({ resolution: 10 });
el.enable();
const server = await startServer({
  host: o.host,
  port: 0,
  dashboardDir: null,
  token: o.token,
  engineWorkers: o.workers ?? 1,
  recordDir: o.record,
  recordMaxBytes: o.recordMaxBytes,
  metrics: o.metrics,
  limits: o.limits,
  feed: o.feed,
  ingest: o.replay === undefined,
  endedRetentionSec: o.endedRetentionSec,
  log: (l) => process.stderr.write(`${l}\n`),
});
let replay: { skipped: number; lineCount: number; done: boolean } | undefined;
if (o.replay !== undefined) {
  const rec = await readRecording(o.replay);
  replay = { skipped: rec.skipped, lineCount: rec.lineCount, done: false };
  void replayRecording(server.registry, rec, { speed: Infinity }).then(() => (replay!.done = true));
}
process.on('message', (m: { type: string }) => {
  if (m.type === 'stats') {
    process.send!({ type: 'stats', rss: process.memoryUsage().rss, elMaxMs: el.max / 1e6, elP99Ms: el.percentile(99) / 1e6, replay });
  } else if (m.type === 'close') {
    void server.close().then(() => process.exit(0));
  }
});
// Start-up (imports, workers) is not what the attacks are measured on.
el.reset();
process.send!({ type: 'ready', port: server.port, url: server.url, wsUrl: server.wsUrl });
