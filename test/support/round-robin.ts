// A load balancer for tests with several bridge replicas: an HTTP server on 127.0.0.1 that hands
// each request to the next replica in turn, and to the one after it when that one cannot be
// reached (a replica killed mid-burst), as a proxy with passive health checks does.
import { createServer, type IncomingMessage, type Server } from "node:http";

export interface RoundRobin {
  url: string;
  /** Requests each backend answered, by its index. */
  readonly served: number[];
  close(): Promise<void>;
}

/** Headers a proxy does not forward as they are (hop-by-hop, or recomputed by fetch). */
const DROPPED = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive"]);

export async function startRoundRobin(backends: string[]): Promise<RoundRobin> {
  const served = backends.map(() => 0);
  let next = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers))
        if (!DROPPED.has(name) && typeof value === "string") headers[name] = value;
      const first = next++ % backends.length;
      for (let i = 0; i < backends.length; i++) {
        const index = (first + i) % backends.length;
        try {
          const response = await fetch(`${backends[index]}${req.url ?? "/"}`, {
            method: req.method ?? "GET",
            headers,
            ...(body.length > 0 && { body }),
            signal: AbortSignal.timeout(10_000),
          });
          const answer = Buffer.from(await response.arrayBuffer());
          served[index]! += 1;
          res.writeHead(response.status, {
            "content-type": response.headers.get("content-type") ?? "text/plain",
          });
          res.end(answer);
          return;
        } catch {
          // unreachable or cut off (killed): the next replica gets the request
        }
      }
      res.writeHead(502).end("no replica answered");
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.once("end", () => resolve(Buffer.concat(chunks)));
    req.once("error", reject);
  });
}
