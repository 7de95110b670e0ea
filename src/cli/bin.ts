#!/usr/bin/env node
// The `mygpt-bridge` executable as installed: compiled to dist/src/cli/bin.js. In a checkout,
// src/cli/bin.mjs runs this same file from source through tsx (tests and `npm run dev` use that).
import { holdYoungGeneration } from "./heap.js";

// Before anything else is loaded: start-up must not size the heap for good (see heap.ts).
holdYoungGeneration();
const { main } = await import("./main.js");

// Exit explicitly: an SDK still retrying a connection in the background must not keep a stopped bridge alive.
process.exit(await main(process.argv.slice(2)));
