// The second process of the cross-process store tests (started by child.ts): see that file.
import { once } from "node:events";
import { openStore } from "../../src/store/open-store.js";
import type { ChildSpec } from "./child.js";

const [url, specText] = process.argv.slice(2);
const spec = JSON.parse(specText!) as ChildSpec;
const store = await openStore(url!);
if (spec.action === "claim") await store.renewLease(spec.owner, 600_000);
process.stdout.write("ready\n");
process.stdin.resume();
await once(process.stdin, "end");

let result: unknown;
if (spec.action === "setIfAbsent") {
  result = await Promise.all(Array.from({ length: spec.count }, () => store.setIfAbsent(spec.key, "child")));
} else if (spec.action === "holdLock") {
  const takers = Array.from({ length: spec.count }, (_, i) => `child-${i}`);
  result = await Promise.all(takers.map((owner) => store.holdLock(spec.name, owner, 600_000)));
} else {
  const ids: string[] = [];
  for (;;) {
    const got = await store.claim(spec.queue, spec.owner, { limit: 3 });
    if (got.length === 0) break;
    ids.push(...got.map((i) => i.id));
  }
  result = ids;
}
process.stdout.write(`${JSON.stringify(result)}\n`);
await store.close();
