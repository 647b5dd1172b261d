import { defineConfig } from "tsup";
import { packageConfig } from "../../tsup.base.js";

export default defineConfig(
  packageConfig({ index: "src/index.ts", "testing/index": "src/testing/index.ts" }, { tsconfig: "tsconfig.build.json" }),
);
