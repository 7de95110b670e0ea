// The budget windows' one piece of arithmetic the memory and SQLite stores share (the Redis store
// does the same in Lua).

/**
 * How long until a slot frees in a full window: until the finished slot whose leaving brings the
 * count under the limit (`blockerAt`, when it finished) leaves, or, when only calls still running
 * could free one (no such slot), a whole span (they count that long after they finish).
 */
export function slotWait(blockerAt: number | undefined, spanMs: number, now: number): number {
  return blockerAt === undefined ? spanMs : blockerAt + spanMs - now;
}
