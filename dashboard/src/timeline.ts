/**
 * The time range every panel shows, in stream seconds: from 0 while the session is young (at least
 * MIN_SPAN_SEC wide, so the first seconds are not stretched across the screen), then the last
 * SPAN_SEC. Charts and spectrograms use the same range, so a dropout lines up in both.
 */
export const SPAN_SEC = 60;
export const MIN_SPAN_SEC = 20;

export function visibleRange(now: number): [number, number] {
  if (now <= MIN_SPAN_SEC) return [0, MIN_SPAN_SEC];
  if (now <= SPAN_SEC) return [0, now];
  return [now - SPAN_SEC, now];
}
