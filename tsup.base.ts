import type { Options } from "tsup";

/** Shared tsup settings: ESM with declarations for Node 20, one entry per public face. */
export function packageConfig(entry: Record<string, string>, extra: Partial<Options> = {}): Options {
  return {
    entry,
    format: ["esm"],
    dts: true,
    clean: true,
    sourcemap: true,
    target: "node20",
    platform: "node",
    splitting: true,
    ...extra,
  };
}
