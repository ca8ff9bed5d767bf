import { describe, expect, it } from 'vitest';
import { callStats, type StatsSnapshot } from '../../src/call/stats.js';

const before: StatsSnapshot = {
  outbound: { timestamp: 1000, bytesSent: 1000, packetsSent: 50, targetBitrate: 16000 },
  inbound: { timestamp: 1000, bytesReceived: 1000, packetsReceived: 50, packetsLost: 1, jitterBufferDelay: 10, jitterBufferTargetDelay: 12, jitterBufferEmittedCount: 96000, totalSamplesReceived: 96000, concealedSamples: 480, concealmentEvents: 1, insertedSamplesForDeceleration: 0, removedSamplesForAcceleration: 0, jitter: 0.002 },
  codec: { mimeType: 'audio/opus', sdpFmtpLine: 'minptime=10;useinbandfec=1' },
};

describe('callStats', () => {
  it('turns two getStats() snapshots into deltas over the interval', () => {
    // 2 s later: 4000 payload bytes (16 kbit/s), 100 packets and 2 more lost, 96 000 samples emitted
    // that waited 100 ms each (jitterBufferDelay sums seconds over samples: +9600), 960 concealed.
    const after: StatsSnapshot = {
      outbound: { ...before.outbound!, timestamp: 3000, bytesSent: 5000, packetsSent: 150 },
      inbound: { ...before.inbound!, timestamp: 3000, bytesReceived: 5000, packetsReceived: 150, packetsLost: 3, jitterBufferDelay: 9610, jitterBufferTargetDelay: 12012, jitterBufferEmittedCount: 192000, totalSamplesReceived: 192000, concealedSamples: 1440, concealmentEvents: 3, jitter: 0.004 },
      codec: before.codec,
    };
    const s = callStats(before, after);
    expect(s.payloadBitrate).toBe(16000);
    expect(s.sentPayloadBitrate).toBe(16000);
    expect(s.targetBitrate).toBe(16000);
    expect(s.packetsReceived).toBe(100);
    expect(s.packetsLost).toBe(2);
    expect(s.lossRate).toBeCloseTo(2 / 102, 15);
    expect(s.concealedSamples).toBe(960);
    expect(s.concealedRatio).toBe(0.01);
    expect(s.concealmentEvents).toBe(2);
    expect(s.jitterBufferDelayMs).toBeCloseTo(100, 9);
    expect(s.jitterBufferTargetDelayMs).toBeCloseTo(125, 9);
    expect(s.jitterMs).toBe(4);
    expect(s.intervalSec).toBe(2);
    expect(s.codec).toBe('audio/opus minptime=10;useinbandfec=1');
  });

  it('a delta either snapshot lacks is null, never NaN; end-of-interval fields come from the second', () => {
    const s = callStats({ outbound: null, inbound: null, codec: null }, before);
    const { targetBitrate, jitterMs, codec, ...deltas } = s;
    for (const v of Object.values(deltas)) expect(v).toBeNull();
    expect([targetBitrate, jitterMs, codec]).toEqual([16000, 2, 'audio/opus minptime=10;useinbandfec=1']);
    const none = callStats({ outbound: null, inbound: null, codec: null }, { outbound: null, inbound: null, codec: null });
    for (const v of Object.values(none)) expect(v).toBeNull();
  });
});
