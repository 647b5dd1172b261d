/**
 * Reads a response body with a size limit. A participants page is a few megabytes; a body far
 * larger is a misbehaving proxy or endpoint, and buffering it whole could exhaust the process's
 * memory, so reading stops at the limit and the socket is dropped.
 */
import { ProviderError } from "@project88/core";
import type { Dispatcher } from "undici";

/** `1.5 MB`, `64 MB`: sizes in messages, in binary megabytes. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)} KB`;
  const mb = bytes / (1024 * 1024);
  return `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB`;
}

/** The retryable error of a body over the limit. `bytes` is the declared size, or what was read. */
export function responseTooLarge(what: string, limit: number, bytes: number, declared: boolean): ProviderError {
  const size = declared
    ? `declares ${bytes} bytes (${formatBytes(bytes)})`
    : `passed ${bytes} bytes (${formatBytes(bytes)}) and was abandoned`;
  return new ProviderError(
    `[runsignup] ${what}: the response body ${size}, over the ${formatBytes(limit)} limit (maxResponseBytes ${limit})`,
    {
      retryable: true,
    },
  );
}

/**
 * The body as UTF-8 text, or a `ProviderError` as soon as it is known to exceed `limit`: at once
 * from `Content-Length`, else when the bytes counted while streaming pass it. Nothing beyond the
 * chunk that crossed the limit is read.
 */
export async function readBodyText(res: Dispatcher.ResponseData, limit: number, what: string): Promise<string> {
  const header = res.headers["content-length"];
  const declared = Number(Array.isArray(header) ? header[0] : header);
  if (Number.isFinite(declared) && declared > limit) {
    res.body.destroy();
    throw responseTooLarge(what, limit, declared, true);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      res.body.destroy();
      throw responseTooLarge(what, limit, size, false);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString("utf8");
}
