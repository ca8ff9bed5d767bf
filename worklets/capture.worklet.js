/**
 * Earshot capture worklet: the `earshot-capture` AudioWorkletProcessor.
 *
 * One mono input per stream (ref, deg, optional noisy: `processorOptions.channels` of them). Each
 * render quantum it only moves the samples out of the audio thread, by one of two transports:
 *
 * - `sab` (wherever SharedArrayBuffer exists): copy into a SharedArrayBuffer ring, planar per
 *   channel, and publish the write index with one `Atomics.store`. No `Atomics.notify`: the consumer
 *   polls once per hop. The layout is `src/stream/ring-buffer.ts`; the constants below must match it
 *   (a test checks). When the ring is full a realtime producer drops the quantum, counts it and logs
 *   the gap so stream time stays exact; an offline producer (`wait: true`) blocks with short
 *   `Atomics.wait` slices on the read index until the consumer frees space, so nothing is lost.
 * - `port` (browsers without cross-origin isolation): fill preallocated ArrayBuffers with
 *   `batchFrames` frames (at least 8 quanta) and transfer each full one through the port; the
 *   consumer transfers them back for reuse. No free buffer: drop the quantum and count it.
 *
 * `process()` never allocates, never throws, never posts per quantum, and returns true. An input
 * with no connection (no channels) is captured as zeros and counted per channel.
 *
 * The same file loads in browsers and in node-web-audio-api (where the scope is a worker_threads
 * Worker, so `Atomics.wait` is allowed). Plain modern JavaScript, no imports.
 */

const PROCESSOR_NAME = 'earshot-capture';

// Ring control slots (Int32), as in src/stream/ring-buffer.ts.
const CTL_WRITE = 0;
const CTL_READ = 1;
const CTL_STATE = 2;
const CTL_DROPPED_FRAMES = 3;
const CTL_OVERRUNS = 4;
const CTL_GAP_WRITE = 5;
const CTL_GAP_READ = 6;
const CTL_WAITS = 7;
const CTL_ZERO_QUANTA = 8;
const CTL_INTS = 16;
const GAP_LOG_BYTE_OFFSET = 64;
const MAX_CHANNELS = 8;
// States: 0 idle (not started), 1 running, 2 closed (consumer gone: capture nothing, never wait).
const STATE_RUNNING = 1;

// Port batches, as in src/stream/batch-reader.ts: a Float64 header, then planar Float32 data.
const H_T0 = 0; // stream index of the batch's first frame (frames since capture start, drops included)
const H_FRAMES = 1; // frames in the batch
const H_DROPPED = 2; // cumulative frames dropped (no free buffer)
const H_OVERRUNS = 3; // cumulative quanta dropped
const H_FINAL = 4; // 1 on the last batch of the stream
const H_ZERO_QUANTA = 8; // MAX_CHANNELS slots: cumulative quanta with no connected input
const HEADER_FLOATS = 16;
const HEADER_BYTES = 128; // HEADER_FLOATS Float64

/** Render quantum when no input or output tells its size (Web Audio 1.0). */
const DEFAULT_QUANTUM = 128;
/** Offline waiting: each `Atomics.wait` slice, ms; short so a closed consumer is noticed quickly. */
const DEFAULT_WAIT_SLICE_MS = 2;
/** Offline waiting: give up (drop and count) after this long on one quantum, ms: a consumer that
 * stalls this long is broken, and hanging the render forever would hide it. */
const DEFAULT_WAIT_LIMIT_MS = 30000;

const TRANSPORT_SAB = 1;
const TRANSPORT_PORT = 2;

/**
 * @param {number} write
 * @param {number} read
 * @param {number} capacity
 */
function used(write, read, capacity) {
  const d = write - read;
  return d < 0 ? d + 2 * capacity : d;
}

class EarshotCaptureProcessor extends AudioWorkletProcessor {
  /** @param {{ processorOptions?: any }} options */
  constructor(options) {
    super();
    const o = (options && options.processorOptions) || {};
    const channels = o.channels;
    if (!Number.isInteger(channels) || channels < 1 || channels > MAX_CHANNELS) {
      throw new TypeError(`earshot-capture: processorOptions.channels: expected 1..${MAX_CHANNELS}, got ${channels}`);
    }
    /** @type {number} */
    this._channels = channels;
    /** Stream index of the next quantum (frames since capture start, dropped frames included). */
    this._streamFrame = 0;
    /** @type {number} */
    this._transport = 0;

    // sab transport state
    /** @type {Int32Array | null} */
    this._ctl = null;
    /** @type {Float32Array | null} */
    this._data = null;
    /** @type {Float64Array | null} */
    this._gaps = null;
    this._capacity = 0;
    this._gapCapacity = 0;
    this._write = 0;
    /** Frames written so far (gap positions are in these units). */
    this._written = 0;
    /** Frames dropped since the last published gap. */
    this._pendingGap = 0;
    this._canWait = false;
    this._waitSliceMs = DEFAULT_WAIT_SLICE_MS;
    this._waitSlices = 1;

    // port transport state
    this._batchFrames = 0;
    /** @type {(ArrayBuffer | null)[]} */
    this._freeBuffers = [];
    /** @type {(Float32Array | null)[]} */
    this._freeData = [];
    /** @type {(Float64Array | null)[]} */
    this._freeHeaders = [];
    this._freeCount = 0;
    /** @type {ArrayBuffer | null} */
    this._buffer = null;
    /** @type {Float32Array | null} */
    this._bufData = null;
    /** @type {Float64Array | null} */
    this._bufHeader = null;
    this._fill = 0;
    /** @type {ArrayBuffer[]} one-element transfer list, reused */
    this._transfer = [new ArrayBuffer(0)];
    this._running = false;
    this._totalFrames = 0;
    this._dropped = 0;
    this._overruns = 0;
    /** @type {Float64Array} */
    this._zeroQuanta = new Float64Array(MAX_CHANNELS);

    if (o.transport === 'sab') {
      const ring = o.ring;
      this._transport = TRANSPORT_SAB;
      this._capacity = ring.capacity;
      this._gapCapacity = ring.gapCapacity;
      this._ctl = new Int32Array(ring.control, 0, CTL_INTS);
      this._gaps = new Float64Array(ring.control, GAP_LOG_BYTE_OFFSET, 2 * ring.gapCapacity);
      this._data = new Float32Array(ring.data);
      this._write = Atomics.load(this._ctl, CTL_WRITE);
      this._canWait = o.wait === true;
      this._waitSliceMs = o.waitSliceMs > 0 ? o.waitSliceMs : DEFAULT_WAIT_SLICE_MS;
      const limit = o.waitLimitMs > 0 ? o.waitLimitMs : DEFAULT_WAIT_LIMIT_MS;
      this._waitSlices = Math.max(1, Math.ceil(limit / this._waitSliceMs));
    } else if (o.transport === 'port') {
      this._transport = TRANSPORT_PORT;
      this._batchFrames = o.batchFrames;
      this._running = o.startRunning === true;
      this._totalFrames = o.totalFrames > 0 ? o.totalFrames : 0;
      const pool = o.poolSize;
      const bytes = HEADER_BYTES + 4 * channels * o.batchFrames;
      this._freeBuffers = new Array(pool).fill(null);
      this._freeData = new Array(pool).fill(null);
      this._freeHeaders = new Array(pool).fill(null);
      for (let i = 0; i < pool; i++) this._addFree(new ArrayBuffer(bytes));
      this.port.onmessage = (e) => this._onMessage(e.data);
    } else {
      throw new TypeError(`earshot-capture: processorOptions.transport: expected 'sab' or 'port', got ${o.transport}`);
    }
  }

  /**
   * @param {Float32Array[][]} inputs
   * @param {Float32Array[][]} outputs
   * @returns {boolean}
   */
  process(inputs, outputs) {
    try {
      const frames = this._quantumSize(inputs, outputs);
      if (this._transport === TRANSPORT_SAB) this._processRing(inputs, frames);
      else this._processPort(inputs, frames);
    } catch {
      // Never let an exception stop the processor (it would be marked non-callable for good).
    }
    return true;
  }

  /**
   * @param {Float32Array[][]} inputs
   * @param {Float32Array[][]} outputs
   */
  _quantumSize(inputs, outputs) {
    for (let c = 0; c < inputs.length; c++) {
      const input = inputs[c];
      if (input.length > 0) return input[0].length;
    }
    if (outputs.length > 0 && outputs[0].length > 0) return outputs[0][0].length;
    return DEFAULT_QUANTUM;
  }

  /**
   * @param {Float32Array[][]} inputs
   * @param {number} frames
   */
  _processRing(inputs, frames) {
    const ctl = /** @type {Int32Array} */ (this._ctl);
    if (Atomics.load(ctl, CTL_STATE) !== STATE_RUNNING) return;
    const cap = this._capacity;
    const write = this._write;
    let read = Atomics.load(ctl, CTL_READ);
    let free = cap - used(write, read, cap);
    if (free < frames && this._canWait) {
      // Offline rendering: wait for the consumer instead of losing samples.
      Atomics.add(ctl, CTL_WAITS, 1);
      for (let slice = 0; free < frames && slice < this._waitSlices; slice++) {
        if (Atomics.load(ctl, CTL_STATE) !== STATE_RUNNING) return;
        try {
          Atomics.wait(ctl, CTL_READ, read, this._waitSliceMs);
        } catch {
          this._canWait = false; // this scope cannot block: fall back to dropping and counting
          break;
        }
        read = Atomics.load(ctl, CTL_READ);
        free = cap - used(write, read, cap);
      }
    }
    if (free < frames) {
      this._pendingGap += frames;
      Atomics.add(ctl, CTL_DROPPED_FRAMES, frames);
      Atomics.add(ctl, CTL_OVERRUNS, 1);
      return;
    }
    if (this._pendingGap > 0) this._publishGap();
    const data = /** @type {Float32Array} */ (this._data);
    const pos = write >= cap ? write - cap : write;
    const first = frames < cap - pos ? frames : cap - pos;
    for (let c = 0; c < this._channels; c++) {
      const base = c * cap + pos;
      const input = c < inputs.length ? inputs[c] : undefined;
      if (input === undefined || input.length === 0) {
        data.fill(0, base, base + first);
        if (first < frames) data.fill(0, c * cap, c * cap + frames - first);
        Atomics.add(ctl, CTL_ZERO_QUANTA + c, 1);
        continue;
      }
      const src = input[0];
      if (first === frames) {
        data.set(src, base);
      } else {
        for (let i = 0; i < first; i++) data[base + i] = src[i];
        const wrapBase = c * cap - first;
        for (let i = first; i < frames; i++) data[wrapBase + i] = src[i];
      }
    }
    let next = write + frames;
    if (next >= 2 * cap) next -= 2 * cap;
    this._write = next;
    this._written += frames;
    Atomics.store(ctl, CTL_WRITE, next);
  }

  _publishGap() {
    const ctl = /** @type {Int32Array} */ (this._ctl);
    const gaps = /** @type {Float64Array} */ (this._gaps);
    const g = this._gapCapacity;
    const gw = Atomics.load(ctl, CTL_GAP_WRITE);
    // Log full: keep the gap pending and merge later drops into it (total stream time stays exact).
    if (used(gw, Atomics.load(ctl, CTL_GAP_READ), g) >= g) return;
    const slot = gw >= g ? gw - g : gw;
    gaps[2 * slot] = this._written;
    gaps[2 * slot + 1] = this._pendingGap;
    Atomics.store(ctl, CTL_GAP_WRITE, gw + 1 >= 2 * g ? gw + 1 - 2 * g : gw + 1);
    this._pendingGap = 0;
  }

  /**
   * @param {Float32Array[][]} inputs
   * @param {number} frames
   */
  _processPort(inputs, frames) {
    if (!this._running) return;
    if (this._buffer === null) {
      if (this._freeCount === 0) {
        // No free buffer: drop and count; the next batch's t0 shows the gap.
        this._dropped += frames;
        this._overruns += 1;
        this._streamFrame += frames;
        return;
      }
      const i = --this._freeCount;
      this._buffer = this._freeBuffers[i];
      this._bufData = this._freeData[i];
      this._bufHeader = this._freeHeaders[i];
      this._freeBuffers[i] = null;
      this._freeData[i] = null;
      this._freeHeaders[i] = null;
      this._fill = 0;
      /** @type {Float64Array} */ (this._bufHeader)[H_T0] = this._streamFrame;
    }
    const data = /** @type {Float32Array} */ (this._bufData);
    const stride = this._batchFrames;
    const fill = this._fill;
    for (let c = 0; c < this._channels; c++) {
      const base = c * stride + fill;
      const input = c < inputs.length ? inputs[c] : undefined;
      if (input === undefined || input.length === 0) {
        data.fill(0, base, base + frames);
        this._zeroQuanta[c] += 1;
      } else {
        data.set(input[0], base);
      }
    }
    this._fill = fill + frames;
    this._streamFrame += frames;
    const ended = this._totalFrames > 0 && this._streamFrame >= this._totalFrames;
    if (ended) this._running = false;
    if (ended || this._fill + frames > stride) this._postBatch(ended);
  }

  /** @param {boolean} final */
  _postBatch(final) {
    const header = /** @type {Float64Array} */ (this._bufHeader);
    header[H_FRAMES] = this._fill;
    header[H_DROPPED] = this._dropped;
    header[H_OVERRUNS] = this._overruns;
    header[H_FINAL] = final ? 1 : 0;
    for (let c = 0; c < this._channels; c++) header[H_ZERO_QUANTA + c] = this._zeroQuanta[c];
    const buffer = /** @type {ArrayBuffer} */ (this._buffer);
    this._transfer[0] = buffer;
    this._buffer = null;
    this._bufData = null;
    this._bufHeader = null;
    this._fill = 0;
    this.port.postMessage(buffer, this._transfer);
  }

  /** @param {ArrayBuffer} buffer */
  _addFree(buffer) {
    if (this._freeCount >= this._freeBuffers.length) return;
    const i = this._freeCount++;
    this._freeBuffers[i] = buffer;
    this._freeHeaders[i] = new Float64Array(buffer, 0, HEADER_FLOATS);
    this._freeData[i] = new Float32Array(buffer, HEADER_BYTES);
  }

  /** Port messages (not on the per-quantum path): returned buffers, 'start', 'stop'. */
  /** @param {unknown} msg */
  _onMessage(msg) {
    if (msg instanceof ArrayBuffer) {
      this._addFree(msg);
    } else if (msg === 'start') {
      this._running = true;
    } else if (msg === 'stop') {
      this._running = false;
      if (this._buffer !== null && this._fill > 0) this._postBatch(false);
      const zeroQuanta = [];
      for (let c = 0; c < this._channels; c++) zeroQuanta.push(this._zeroQuanta[c]);
      this.port.postMessage({
        type: 'final',
        endFrame: this._streamFrame,
        droppedFrames: this._dropped,
        overruns: this._overruns,
        zeroQuanta,
      });
    }
  }
}

registerProcessor(PROCESSOR_NAME, EarshotCaptureProcessor);
