import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { EngineStatus, PlanReport, Secret } from "@project88/core";
import type { ErrorLog } from "./error-log.js";
import type { Logger } from "./logging.js";
import type { RunnerMetrics } from "./metrics.js";
import { createSnapshot } from "./snapshot.js";
import { renderStatusPage } from "./status-page.js";
import { toStatusJson } from "./status-json.js";

export interface HttpServerOptions {
  readonly port: number;
  /** Interface to bind (127.0.0.1: this machine only). */
  readonly host?: string;
  /** When set, every path but `/healthz` needs `Authorization: Bearer <token>`. */
  readonly token?: Secret | null;
  /** The engine's forecast for `/plan?hours=N` (absent: 404). */
  readonly plan?: (hours: number) => Promise<PlanReport>;
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
  /** The address really bound (`127.0.0.1`, `::`, `0.0.0.0`). */
  readonly address: string;
  /** The Node server underneath (for its events; the runner only closes it through `close`). */
  readonly server: Server;
  /** A URL for people (loopback when bound to every interface). */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The Content-Security-Policy of every response: nothing at all, except on the status page its
 * one style element (by nonce). The page has no script, image, font, form or frame.
 */
export function contentSecurityPolicy(styleNonce?: string): string {
  const style = styleNonce === undefined ? "" : ` style-src 'nonce-${styleNonce}';`;
  return `default-src 'none';${style} base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

function send(res: ServerResponse, code: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(code, {
    "content-type": type,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "content-security-policy": contentSecurityPolicy(),
    ...extra,
  });
  res.end(body);
}

const digest = (text: string): Buffer => createHash("sha256").update(text).digest();

/**
 * Checks `Authorization: Bearer <token>` in constant time: both sides are hashed first, so
 * neither the comparison nor a length check says how much of a guess was right.
 */
export function bearerMatches(header: string | undefined, token: Secret): boolean {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? "");
  const given = digest(match?.[1] ?? "");
  return timingSafeEqual(given, digest(token.reveal())) && match !== null;
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
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname;
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain", "method not allowed\n");
    if (path === "/healthz") return send(res, 200, "text/plain", "ok\n");
    if (options.token && !bearerMatches(req.headers.authorization, options.token)) {
      return send(res, 401, "text/plain", "unauthorized: send Authorization: Bearer <http.token>\n", {
        "www-authenticate": 'Bearer realm="project88-sync"',
      });
    }
    switch (path) {
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
      case "/plan": {
        const hours = Number(url.searchParams.get("hours") ?? "24");
        if (!options.plan) return send(res, 404, "text/plain", "not found\n");
        if (!Number.isInteger(hours) || hours < 1 || hours > 168)
          return send(res, 400, "text/plain", "hours must be a whole number from 1 to 168\n");
        return send(res, 200, "application/json", `${JSON.stringify(await options.plan(hours), null, 2)}\n`);
      }
      case "/":
      case "/index.html": {
        const nonce = randomBytes(16).toString("base64");
        const html = renderStatusPage({
          nonce,
          status: await status(),
          tierOrder: options.tierOrder,
          recentErrors: options.errors.list(),
          refreshSeconds: options.refreshSeconds,
          title: options.title,
        });
        return send(res, 200, "text/html; charset=utf-8", html, { "content-security-policy": contentSecurityPolicy(nonce) });
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
  // For the server's whole life: an accept error (EMFILE when file descriptors run out) is
  // emitted here, and an 'error' event without a listener would crash the engine with it.
  let listening = false;
  server.on("error", (error: NodeJS.ErrnoException) => {
    if (listening) options.logger?.error({ err: error, code: error.code }, "status server error; it keeps serving");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      listening = true;
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const wildcard = bound.address === "0.0.0.0" || bound.address === "::";
  const host = wildcard
    ? bound.family === "IPv6"
      ? "[::1]"
      : "127.0.0.1"
    : bound.family === "IPv6"
      ? `[${bound.address}]`
      : bound.address;
  return {
    port: bound.port,
    address: bound.address,
    server,
    url: `http://${host}:${bound.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
