import { afterEach, describe, expect, it } from 'vitest';
import { IngestClient } from '../../src/server/client.js';
import { DEG, REF, startTestServer, type TestServer } from './helpers.js';

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.server.close();
  ts = undefined;
});

describe('--metrics for server sessions', () => {
  it("the server's default reaches every engine; a connection's ?metrics= narrows it", async () => {
    ts = await startTestServer({ metrics: 'stoi,estoi,sisdr' });
    const a = await IngestClient.connect(ts.server.wsUrl);
    await a.open({ name: 'dflt', sampleRate: 16000, streams: [REF, DEG] });
    const b = await IngestClient.connect(ts.server.wsUrl, { metrics: 'stoi' });
    await b.open({ name: 'narrow', sampleRate: 16000, streams: [REF, DEG] });
    const byId = new Map(ts.engines.engines.map((e) => [e.options.id, e.options]));
    expect(byId.get('dflt')!.metrics).toBe('stoi,estoi,sisdr');
    expect(byId.get('narrow')!.metrics).toBe('stoi');
    a.end();
    b.end();
  });

  it('an unknown key is refused with HTTP 400 naming it, counted, and the server keeps serving', async () => {
    ts = await startTestServer();
    const url = `${ts.server.url}/ingest?metrics=stoi,bogus`.replace(/^http/, 'ws');
    const { WebSocket } = await import('ws');
    const status = await new Promise<{ code: number; body: string }>((resolve) => {
      const ws = new WebSocket(url);
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      });
      ws.on('error', () => undefined);
    });
    expect(status.code).toBe(400);
    expect(status.body).toContain('unknown metric "bogus"');
    const text = await (await fetch(`${ts.server.url}/metrics`, { headers: ts.server.token ? { authorization: `Bearer ${ts.server.token}` } : {} })).text();
    expect(text).toMatch(/earshot_refused_total\{reason="bad-metrics"\} 1/);
    const ok = await IngestClient.connect(ts.server.wsUrl);
    expect((await ok.open({ name: 'fine', sampleRate: 16000, streams: [REF, DEG] })).type).toBe('opened');
    ok.end();
  });
});
