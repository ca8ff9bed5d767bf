/**
 * Sliding windows over report hops. Each hop (1 / report rate of stream time) gets its own slot, an
 * accumulator cleared with `reset`; a window of W seconds is the merge of its last W·rate slots.
 * Slots are reused in a ring, so memory is fixed by the longest window.
 */
export class HopRingOf<T extends { reset(): void }> {
  private readonly slots: T[];
  private head = 0; // index of the current slot
  private filled = 1;

  constructor(size: number, make: () => T) {
    this.slots = Array.from({ length: size }, make);
  }

  get current(): T {
    return this.slots[this.head];
  }

  /** Close the current hop and start a new (cleared) one. */
  advance(): void {
    this.head = (this.head + 1) % this.slots.length;
    this.slots[this.head].reset();
    this.filled = Math.min(this.slots.length, this.filled + 1);
  }

  /** Visit the last `count` slots including the current one, oldest first (fewer early in a stream). */
  forLast(count: number, visit: (slot: T) => void): void {
    const n = Math.min(count, this.filled);
    for (let k = n - 1; k >= 0; k--) visit(this.slots[(this.head - k + this.slots.length) % this.slots.length]);
  }
}
