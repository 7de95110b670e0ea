#!/usr/bin/env node
// The development entry point: runs the CLI from the TypeScript sources through tsx (a dev
// dependency), so a checkout needs no build to test. The installed package runs dist/src/cli/bin.js.
import { register } from "tsx/esm/api";

register();
await import("./bin.ts");
