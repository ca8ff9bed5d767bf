/** Reference-free metrics: what can be said about a call from the DUT's output (and input) alone. */
export * from './types.js';
export * from './vad.js';
export * from './levels.js';
export * from './speech-level.js';
export * from './clipping.js';
export * from './dc-offset.js';
export * from './dropouts.js';
export * from './wada-snr.js';
export * from './reference-free-set.js';
