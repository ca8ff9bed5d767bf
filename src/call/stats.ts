/**
 * The call's transport figures from two `getStats()` snapshots (W3C webrtc-stats), one when
 * recording starts and one when it ends: everything is a delta over the recorded interval.
 */

/** The snapshot fields the page collects (call-page/call-page.js `snapshot`). */
export interface StatsSnapshot {
  outbound: Record<string, number> | null;
  inbound: Record<string, number | string> | null;
  codec: Record<string, number | string> | null;
}

export interface CallStats {
  /** Opus payload bitrate at the receiver, bit/s: Δ bytesReceived (payload only, no RTP headers) · 8 / Δt. */
  payloadBitrate: number | null;
  /** The same at the sender (Δ bytesSent), bit/s. */
  sentPayloadBitrate: number | null;
  /** The encoder's target bitrate (outbound-rtp targetBitrate), bit/s. */
  targetBitrate: number | null;
  packetsReceived: number | null;
  packetsLost: number | null;
  /** packetsLost / (packetsLost + packetsReceived). */
  lossRate: number | null;
  /** Samples NetEq concealed (invented) over the interval, and their share of the samples received. */
  concealedSamples: number | null;
  concealedRatio: number | null;
  concealmentEvents: number | null;
  /** Samples inserted to slow down and removed to speed up playout (time stretching). */
  insertedSamples: number | null;
  removedSamples: number | null;
  /** Mean time a sample spent in the jitter buffer over the interval, ms. */
  jitterBufferDelayMs: number | null;
  /** Mean jitter-buffer target delay over the interval, ms. */
  jitterBufferTargetDelayMs: number | null;
  /** Interarrival jitter at the end, ms. */
  jitterMs: number | null;
  /** Recorded interval the deltas cover, s. */
  intervalSec: number | null;
  codec: string | null;
}

function num(o: Record<string, unknown> | null | undefined, k: string): number | null {
  const v = o?.[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function delta(a: Record<string, unknown> | null, b: Record<string, unknown> | null, k: string): number | null {
  const x = num(a, k);
  const y = num(b, k);
  return x === null || y === null ? null : y - x;
}

function ratio(n: number | null, d: number | null, scale = 1): number | null {
  return n === null || d === null || d <= 0 ? null : (n / d) * scale;
}

/** The deltas between two snapshots; a field either snapshot lacks is null. */
export function callStats(before: StatsSnapshot, after: StatsSnapshot): CallStats {
  const inDt = delta(before.inbound, after.inbound, 'timestamp');
  const outDt = delta(before.outbound, after.outbound, 'timestamp');
  const received = delta(before.inbound, after.inbound, 'packetsReceived');
  const lost = delta(before.inbound, after.inbound, 'packetsLost');
  const emitted = delta(before.inbound, after.inbound, 'jitterBufferEmittedCount');
  const concealed = delta(before.inbound, after.inbound, 'concealedSamples');
  const codec = after.codec;
  return {
    payloadBitrate: ratio(delta(before.inbound, after.inbound, 'bytesReceived'), inDt, 8000),
    sentPayloadBitrate: ratio(delta(before.outbound, after.outbound, 'bytesSent'), outDt, 8000),
    targetBitrate: num(after.outbound, 'targetBitrate'),
    packetsReceived: received,
    packetsLost: lost,
    lossRate: received === null || lost === null ? null : ratio(lost, lost + received),
    concealedSamples: concealed,
    concealedRatio: ratio(concealed, delta(before.inbound, after.inbound, 'totalSamplesReceived')),
    concealmentEvents: delta(before.inbound, after.inbound, 'concealmentEvents'),
    insertedSamples: delta(before.inbound, after.inbound, 'insertedSamplesForDeceleration'),
    removedSamples: delta(before.inbound, after.inbound, 'removedSamplesForAcceleration'),
    jitterBufferDelayMs: ratio(delta(before.inbound, after.inbound, 'jitterBufferDelay'), emitted, 1000),
    jitterBufferTargetDelayMs: ratio(delta(before.inbound, after.inbound, 'jitterBufferTargetDelay'), emitted, 1000),
    jitterMs: num(after.inbound, 'jitter') === null ? null : (num(after.inbound, 'jitter') as number) * 1000,
    intervalSec: inDt === null ? null : inDt / 1000,
    codec: codec ? `${String(codec.mimeType ?? '')}${codec.sdpFmtpLine ? ` ${String(codec.sdpFmtpLine)}` : ''}` : null,
  };
}
