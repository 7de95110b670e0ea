// The assistant client's HTTP exchange over node:http(s) with keep-alive agents, for the bridge
// itself: fetch with a combined abort signal cost about 0.7 ms of CPU more per call on the bench
// machine, a good part of the bridge's own cost per message. The published browser-safe client
// (`mygpt-bridge/client`) keeps fetch; only the bridge's wiring passes this exchange.
import http from "node:http";
import https from "node:https";
import { type Exchange, type ResponseHeaders, TimeoutError } from "./http.js";

const agents = {
  "http:": new http.Agent({ keepAlive: true }),
  "https:": new https.Agent({ keepAlive: true }),
};

export const nodeExchange: Exchange = (request, timeoutMs, signal) => {
  signal?.throwIfAborted();
  const url = new URL(request.url);
  const client = url.protocol === "https:" ? https : http;
  const headers: Record<string, string | number> = { ...request.headers };
  if (request.body !== undefined) headers["content-length"] = Buffer.byteLength(request.body);
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: request.method,
        agent: agents[url.protocol as keyof typeof agents],
        headers,
        ...(signal && { signal }),
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: headersOf(res.headers), text });
        });
        res.on("error", fail);
      },
    );
    const timer = setTimeout(() => req.destroy(new TimeoutError()), timeoutMs);
    function fail(error: Error): void {
      clearTimeout(timer);
      reject(signal?.aborted ? signal.reason : error);
    }
    req.on("error", fail);
    req.end(request.body);
  });
};

function headersOf(raw: http.IncomingHttpHeaders): ResponseHeaders {
  return {
    get: (name) => {
      const value = raw[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
    },
  };
}
