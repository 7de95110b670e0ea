// The reference deployment (config/compose.yaml): Redis, two bridge replicas from the repository's
// Dockerfile sharing that Redis, and a proxy spreading the HTTP routes over both, each with a health
// check. Read as Docker Compose reads it (YAML anchors and merge keys resolved).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = join(import.meta.dirname, "../..");

interface Service {
  build?: { context: string; dockerfile: string };
  image?: string;
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  configs?: Array<{ source: string; target: string }>;
  ports?: string[];
}

const compose = parse(readFileSync(join(ROOT, "config/compose.yaml"), "utf8"), { merge: true }) as {
  services: Record<string, Service>;
  configs: Record<string, { content: string }>;
};
const replicas = ["bridge-1", "bridge-2"];

describe("config/compose.yaml", () => {
  it("runs Redis, two bridge replicas built from the repository's Dockerfile, and a proxy", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["bridge-1", "bridge-2", "proxy", "redis"]);
    for (const name of replicas) {
      const build = compose.services[name]!.build!;
      expect(join(ROOT, "config", build.context, build.dockerfile)).toBe(join(ROOT, "Dockerfile"));
    }
  });

  it("points both replicas at the same Redis, the compose file's own", () => {
    const urls = replicas.map((name) => compose.services[name]!.environment!.STORE_URL);
    expect(urls[0]).toBe("redis://redis:6379");
    expect(urls[1]).toBe(urls[0]);
    for (const name of replicas)
      expect(compose.services[name]!.depends_on?.redis?.condition).toBe("service_healthy");
  });

  it("gives every service a health check, the replicas' on /readyz", () => {
    for (const [name, service] of Object.entries(compose.services))
      expect(service.healthcheck?.test.length, name).toBeGreaterThan(0);
    for (const name of replicas)
      expect(compose.services[name]!.healthcheck!.test.join(" ")).toContain("/readyz");
    expect(compose.services.redis!.healthcheck!.test).toContain("ping");
  });

  it("spreads the HTTP routes over both replicas on port 3000, checking their health", () => {
    const proxy = compose.services.proxy!;
    expect(proxy.ports).toContain("8080:8080");
    const source = proxy.configs![0]!.source;
    const caddyfile = compose.configs[source]!.content;
    expect(caddyfile).toMatch(/reverse_proxy bridge-1:3000 bridge-2:3000/);
    expect(caddyfile).toMatch(/health_uri \/healthz/);
  });
});
