#!/usr/bin/env node
// `slmkit` in a clone (`npx slmkit ...`): npm links this workspace's bin into node_modules/.bin, because npm
// never links a package's own bin into its own folder, and without it npx reinstalled the clone (rebuilding
// the addon) and then failed with "slmkit: not found". It runs src/cli/main.ts with tsx, so the command
// needs no `npm run build:ts` and never runs a stale dist/, after building the CPU addon if its sources
// changed (skipped when SLMKIT_CPU_ADDON names another addon, which the loader would use instead).
import { spawn, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// Node resolves the symlinks of the main script, so this is the file inside the clone.
const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

if (!process.env.SLMKIT_CPU_ADDON) {
  // Its progress goes to stderr so that stdout stays the command's own (e.g. `slmkit doctor --json`).
  const built = spawnSync(process.execPath, [join(root, "scripts/ensure-built.mjs")], {
    cwd: root,
    stdio: ["ignore", 2, 2],
  });
  if (built.status !== 0) {
    console.error(
      "slmkit: building the CPU addon failed (see above); fix it, or set SLMKIT_CPU_ADDON to a built slmkit_cpu.node",
    );
    process.exit(built.status ?? 1);
  }
}

const child = spawn(
  process.execPath,
  ["--import", import.meta.resolve("tsx"), join(root, "src/cli/main.ts"), ...process.argv.slice(2)],
  { stdio: "inherit" },
);
// Ctrl-C reaches the child too (same process group); it checkpoints and exits, and this process follows.
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => {});
child.on("exit", (code, signal) => {
  if (signal) {
    // Die of the same signal, so the shell sees what the child saw.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  process.exit(code ?? 1);
});
