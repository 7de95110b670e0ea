// The budget windows' one piece of arithmetic the memory and SQLite stores share (the Redis store
// does the same in Lua).

/**
 * How long until a slot frees in a full window: the finished slot whose leaving brings the count
 * under the limit, or, when only calls still running could, a whole span (they count that long
 * after they finish).
 */
export function slotWait(doneOldestFirst: number[], over: number, spanMs: number, now: number): number {
  const blocker = doneOldestFirst[over];
  return blocker === undefined ? spanMs : blocker + spanMs - now;
}
