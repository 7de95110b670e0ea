// placeholder
import type { Logger } from "pino";
import type { Store } from "./types.js";
export async function openRedisStore(
  _url: string,
  _o: { opTimeoutMs: number; logger?: Logger },
): Promise<Store> {
  throw new Error("not yet");
}
