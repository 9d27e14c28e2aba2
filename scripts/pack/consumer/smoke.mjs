// Run inside a project that installed slmkit from its tarballs: one matmul checked against float64, and one
// AdamW step of a tiny MiniCPM whose loss must be finite and fall. `node smoke.mjs [cpu|cuda]`.
// smoke.cjs does the same through require(); both print one line per check and exit non-zero on failure.
import * as slmkit from "slmkit";
import { runSmoke } from "./smoke-steps.cjs";

runSmoke(slmkit, process.argv[2] ?? "cpu", "esm");
