import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { EngineStatus } from "@project88/core";
import type { ErrorLog } from "./error-log.js";
import type { Logger } from "./logging.js";
import type { RunnerMetrics } from "./metrics.js";
import { createSnapshot } from "./snapshot.js";
import { renderStatusPage } from "./status-page.js";
import { toStatusJson } from "./status-json.js";

export interface HttpServerOptions {
  readonly port: number;
  /** Interface to bind (0.0.0.0). */
  readonly host?: string;
  /** The engine's status; failing means the database is unreachable. */
  readonly status: () => Promise<EngineStatus>;
  /**
   * The cheap readiness check behind `/readyz` (the engine's `ready()`): true when ready, false
   * when the engine is stopped, a rejection when the database cannot answer. Absent: `status`.
   */
  readonly ready?: () => Promise<boolean>;
  readonly metrics: RunnerMetrics;
  readonly errors: ErrorLog;
  readonly tierOrder: readonly string[];
  readonly logger?: Logger;
  readonly title?: string;
  /**
   * How long one status read serves every request (5000 ms; 0 reads it for each request). A
   * stale snapshot is served while the next read runs, up to six times this age.
   */
  readonly statusCacheMs?: number;
  /** Page reload interval in seconds (15). */
  readonly refreshSeconds?: number;
}

/** A running HTTP server. */
export interface RunnerHttpServer {
  readonly port: number;
  /** A URL for people (loopback when bound to every interface). */
  readonly url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, code: number, type: string, body: string): void {
  res.writeHead(code, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff" });
  res.end(body);
}

/**
 * Serves `/healthz` (alive), `/readyz` (database reachable and engine running), `/metrics`
 * (Prometheus), `/status` (JSON) and `/` (the status page). Status, page and metrics share one
 * snapshot read at most every `statusCacheMs` however many phones refresh and scrapers scrape,
 * so they cannot load the database; `/readyz` never reads status, only one round trip.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunnerHttpServer> {
  const snapshot = createSnapshot({ read: options.status, maxAgeMs: options.statusCacheMs ?? 5_000 });
  const status = (): Promise<EngineStatus> => snapshot.get();
  const ready = options.ready ?? (async () => (await status()).running);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain", "method not allowed\n");
    switch (path) {
      case "/healthz":
        return send(res, 200, "text/plain", "ok\n");
      case "/readyz": {
        try {
          return (await ready()) ? send(res, 200, "text/plain", "ready\n") : send(res, 503, "text/plain", "engine not running\n");
        } catch {
          return send(res, 503, "text/plain", "database unreachable\n");
        }
      }
      case "/metrics": {
        try {
          options.metrics.updateFromStatus(await status());
        } catch {
          // Counters are still worth scraping when the database is down; the gauges keep their last value.
        }
        return send(res, 200, options.metrics.contentType, await options.metrics.render());
      }
      case "/status":
        return send(res, 200, "application/json", `${JSON.stringify(toStatusJson(await status()), null, 2)}\n`);
      case "/":
      case "/index.html": {
        const html = renderStatusPage({
          status: await status(),
          tierOrder: options.tierOrder,
          recentErrors: options.errors.list(),
          refreshSeconds: options.refreshSeconds,
          title: options.title,
        });
        return send(res, 200, "text/html; charset=utf-8", html);
      }
      default:
        return send(res, 404, "text/plain", "not found\n");
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // The message is secret-free (core errors never carry one); the URL path is not logged with a query.
      options.logger?.warn({ err: error, path: (req.url ?? "").split("?")[0] }, "http request failed");
      if (!res.headersSent) send(res, 503, "text/plain", "status unavailable\n");
      else res.end();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host && options.host !== "0.0.0.0" && options.host !== "::" ? options.host : "127.0.0.1";
  return {
    port,
    url: `http://${host}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
