/**
 * When the costly live metrics are recomputed. Each runs every `everySec` seconds of stream time (the
 * registry's live policy) at a phase of its period chosen from the session id, so many sessions started
 * together do not all compute them in the same report (measured: 50 synchronised sessions stalled the
 * server's event loop for about a second).
 */

/** A stable number in [0, 1) from a session id (FNV-1a). */
export function sessionPhase(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h / 4294967296;
}

export class Refresh {
  private last: number;

  /** `firstAfterPeriods`: the first refresh comes after (phase + this) periods; negative starts early. */
  constructor(
    readonly everySec: number,
    phase: number,
    firstAfterPeriods = -1,
  ) {
    this.last = (phase + firstAfterPeriods) * everySec;
  }

  /** True (and rearmed) when a refresh is due at stream time `t` (s). */
  due(t: number): boolean {
    if (t - this.last < this.everySec) return false;
    this.last = t;
    return true;
  }

  /** The next `due` returns true (the final report carries fresh values). */
  force(): void {
    this.last = -Infinity;
  }
}
