// Types for native-prebuilds.mjs (plain JS so .ci/run can run it with any Node, without tsx).
export function prebuildName(pkg: {
  name: string;
  version: string;
  binary?: { napi_versions?: number[] };
}): string;
export function savePrebuilds(root: string, cache: string): string[];
export function prebuildEnv(cache: string): Record<string, string>;
