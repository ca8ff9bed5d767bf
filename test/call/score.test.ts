/**
 * Scoring a recorded call condition, on recordings made by construction: the looped input read from a
 * known phase at the call's 48 kHz (what the page records when nothing degrades it), received = sent
 * 100 ms later.
 */
import { describe, expect, it } from 'vitest';
import { rotate } from '../../src/call/loop-align.js';
import { CALL_RATE_HZ, prepareLoop } from '../../src/call/run.js';
import { scoreCondition } from '../../src/call/score.js';
import { seededRandom } from '../helpers/corpus.js';
import { speechLike } from '../helpers/speech-like.js';

const DELAY = 4800; // 100 ms at 48 kHz

describe.each([16000, 44100])('scoreCondition at %i Hz', (rate) => {
  const clean = speechLike(Math.round(3 * rate), rate, seededRandom(21));
  const loop = prepareLoop(clean, clean, rate);
  // A phase between two samples of the clean's grid (48 kHz: every 3rd sample is one at 16 kHz, every 160th at 44.1 kHz).
  const phase = 37036;
  const n = Math.round(2.5 * CALL_RATE_HZ);
  const sent = rotate(loop.noisyCall, phase, n);
  const received = rotate(loop.noisyCall, phase - DELAY, n);
  const s = scoreCondition(loop, CALL_RATE_HZ, sent, received, 'sisdr,snr');

  it('finds each recording in the loop and reads the clean from the first sample of its grid at or after it', () => {
    const unit = rate === 16000 ? 3 : 160;
    const onGrid = Math.ceil(phase / unit) * unit;
    expect(s.alignment.sentPhaseSec).toBeCloseTo(onGrid / CALL_RATE_HZ, 12);
    expect(s.alignment.receivedPhaseSec).toBeCloseTo((Math.ceil((phase - DELAY) / unit) * unit) / CALL_RATE_HZ, 12);
  });

  it('an undegraded call scores as its input: no fraction of a sample is left between clean and recordings', () => {
    // The recordings went 16 (or 44.1) → 48 → back: the polyphase filters' passband ripple and the
    // loop seam bound it, not the alignment (a third of a sample off would give ~15 dB at 16 kHz).
    expect(s.processing?.sisdr).toBeGreaterThan(40);
    expect(s.endToEnd?.sisdr).toBeGreaterThan(40);
    expect(s.reasons).toEqual({});
  });

  it('network: received is sent 100 ms later, found by analyze and by the delay tracker', () => {
    expect(s.network?.delayMs).toBeCloseTo(100, 1);
    expect(s.delayTrack.steps).toBe(0);
    expect(s.delayTrack.firstMs).toBeCloseTo(100, 1);
    expect(s.delayTrack.lastMs).toBeCloseTo(100, 1);
  });
});

describe('scoreCondition without the input in the recording', () => {
  it('a silent recording leaves processing and end to end null with the reason', () => {
    const rate = 16000;
    const clean = speechLike(2 * rate, rate, seededRandom(22));
    const loop = prepareLoop(clean, clean, rate);
    const zeros = new Float64Array(2 * CALL_RATE_HZ);
    const s = scoreCondition(loop, CALL_RATE_HZ, zeros, zeros, 'sisdr');
    expect(s.processing).toBeNull();
    expect(s.endToEnd).toBeNull();
    expect(s.reasons).toEqual({ processing: 'sent: the recording is silent', endToEnd: 'received: the recording is silent' });
  });
});
