// The guard in front of a platform's inbound HTTP route: until the adapter is started (and after it
// stops) it answers 503 with a short JSON body, so the platform retries later instead of the bridge
// acknowledging an event it cannot keep. Each platform names the body its own clients understand.
import type { NextFunction, Request, RequestHandler, Response } from "express";

export function notReadyGuard(isReady: () => boolean, body: Record<string, unknown>): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction) => {
    if (!isReady()) {
      res.status(503).json(body);
      return;
    }
    next();
  };
}
