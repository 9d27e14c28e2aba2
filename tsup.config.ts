import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", "cli/main": "src/cli/main.ts" },
  format: ["esm", "cjs"],
  dts: { entry: { index: "src/index.ts" } },
  target: "node20",
  sourcemap: true,
  clean: true,
  // import.meta.url is shimmed in the CommonJS build so the addon loader can find the package root.
  shims: true,
});
