#!/usr/bin/env node
// Keeps the native addons this project compiles (better-sqlite3, and sqlite3 while it is a dependency)
// as local prebuilds, named exactly as prebuild-install looks them up, so that a later install or
// `npm rebuild` for the same package version and the same Node ABI unpacks them instead of compiling
// again for minutes. Used by .ci/run (Node 22/24 runs) and test/package (the packed install).
//
//   node scripts/native-prebuilds.mjs save <cache-dir>   after a build: store this Node's addons
//   node scripts/native-prebuilds.mjs env <cache-dir>    print the npm_config_*_local_prebuilds lines
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const ADDONS = ["better-sqlite3", "sqlite3"];

/** The file name prebuild-install downloads for `pkg` on this Node, or undefined if it is no addon of ours. */
export function prebuildName(pkg) {
  const napi = (pkg.binary?.napi_versions ?? []).filter((v) => v <= Number(process.versions.napi));
  const [runtime, abi] = napi.length ? ["napi", Math.max(...napi)] : ["node", process.versions.modules];
  return `${pkg.name}-v${pkg.version}-${runtime}-v${abi}-${process.platform}-${process.arch}.tar.gz`;
}

/** Stores the compiled addons found under `root`/node_modules into `cache`; returns what it stored. */
export function savePrebuilds(root, cache) {
  const saved = [];
  for (const name of ADDONS) {
    const dir = join(root, "node_modules", name);
    const release = join(dir, "build", "Release");
    if (!existsSync(release)) continue;
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    // Only the addon itself: prebuild-install loads the last file it unpacks to check it, and better-sqlite3
    // also builds a SQLite extension for its own tests that is no Node module.
    const nodes = readdirSync(release).filter((f) => f.endsWith(".node") && !f.startsWith("test_"));
    if (nodes.length === 0) continue;
    const target = join(cache, name);
    mkdirSync(target, { recursive: true });
    const file = join(target, prebuildName(pkg));
    execFileSync("tar", ["-czf", file, "-C", dir, ...nodes.map((n) => `build/Release/${n}`)]);
    saved.push(file);
  }
  return saved;
}

/** Environment variables that point prebuild-install at `cache`. */
export function prebuildEnv(cache) {
  const env = {};
  for (const name of ADDONS) {
    env[`npm_config_${name.replace(/[^a-zA-Z0-9]/g, "_")}_local_prebuilds`] = join(cache, name);
  }
  return env;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [command, cache] = process.argv.slice(2);
  if (!cache || !["save", "env"].includes(command)) {
    console.error("usage: native-prebuilds.mjs save|env <cache-dir>");
    process.exit(2);
  }
  if (command === "save")
    for (const f of savePrebuilds(process.cwd(), resolve(cache))) console.log(`saved ${f}`);
  else for (const [k, v] of Object.entries(prebuildEnv(resolve(cache)))) console.log(`${k}=${v}`);
}
