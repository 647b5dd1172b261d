/**
 * Base-URL policy: credentials travel in RunSignUp's query string, so a misconfigured base URL
 * must never send them in clear text. https is always allowed; plain http only to loopback.
 */
import { ConfigError } from "@project88/core";

/** RunSignUp's production REST root. */
export const DEFAULT_BASE_URL = "https://runsignup.com/Rest";

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost") || host === "::1") return true;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return m !== null && Number(m[1]) === 127 && [m[2], m[3], m[4]].every((p) => Number(p) <= 255);
}

/**
 * Validates a base URL and returns it without a trailing slash. Throws `ConfigError` for a
 * non-URL, a protocol other than http(s), plain http to a non-loopback host, or a URL that
 * carries credentials, a query or a fragment.
 */
export function checkBaseUrl(value: string, path = "baseUrl"): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`[runsignup] ${path} is not a URL`, [{ path, message: "not a URL" }]);
  }
  const fail = (message: string): never => {
    throw new ConfigError(`[runsignup] ${path} ${message}`, [{ path, message }]);
  };
  if (url.protocol !== "https:" && url.protocol !== "http:") fail(`must be https (got ${url.protocol})`);
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    fail(`must use https: plain http is allowed only to loopback hosts, not ${url.hostname}`);
  }
  if (url.username !== "" || url.password !== "") fail("must not carry credentials");
  if (url.search !== "" || url.hash !== "") fail("must not carry a query or fragment");
  return url.toString().replace(/\/+$/, "");
}
