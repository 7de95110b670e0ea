#!/usr/bin/env node
// The `mygpt-bridge` executable: runs the TypeScript CLI through tsx, so no build step is needed.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
// Exit explicitly: an SDK still retrying a connection in the background must not keep a stopped bridge alive.
process.exit(await main(process.argv.slice(2)));
