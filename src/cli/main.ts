#!/usr/bin/env node
// `slmkit <command>`: a thin front end over the library.
import { parseArgs } from "node:util";
import { cpuInfo } from "../backend/cpu.js";
import { cuda } from "../backend/cuda.js";
import { runDemo } from "./demo.js";
import "../index.js";

const HELP = `slmkit <command> [options]

commands:
  demo      (default) train a small character-level model on the CPU and print the loss
            --steps N (200)  --lr X (0.01)  --seed N (0)
  doctor    print Node, N-API, CPU kernels (ISA, threads), addon paths and CUDA status; --json for JSON
  help      this text`;

function main(argv: string[]): void {
  const [command = "demo", ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      steps: { type: "string", default: "200" },
      lr: { type: "string", default: "0.01" },
      seed: { type: "string", default: "0" },
      json: { type: "boolean", default: false },
    },
  });
  if (command === "demo") {
    const steps = Number(values.steps);
    const lr = Number(values.lr);
    const seed = Number(values.seed);
    if (!Number.isInteger(steps) || steps < 1 || !(lr > 0) || !Number.isInteger(seed)) throw new Error("demo: --steps and --seed must be whole numbers, --lr a positive number");
    const t0 = performance.now();
    const { first, last } = runDemo({ steps, lr, seed, log: (l) => console.log(l) });
    console.log(`loss ${first.toFixed(3)} -> ${last.toFixed(3)} in ${((performance.now() - t0) / 1000).toFixed(1)} s (${cpuInfo().isa} kernels, ${cpuInfo().threads} threads)`);
  } else if (command === "doctor") {
    const report = {
      node: process.version,
      napi: process.versions.napi,
      cpu: cpuInfo(),
      cuda: cuda.status(),
      ...(cuda.isAvailable() ? { gpu: cuda.deviceProperties() } : {}),
    };
    console.log(values.json ? JSON.stringify(report, null, 2) : Object.entries(report).map(([k, v]) => `${k.padEnd(6)} ${typeof v === "string" ? v : JSON.stringify(v)}`).join("\n"));
  } else if (command === "help" || command === "--help") {
    console.log(HELP);
  } else {
    console.error(`unknown command ${command}\n\n${HELP}`);
    process.exitCode = 2;
  }
}

try {
  main(process.argv.slice(2));
} catch (e) {
  console.error((e as Error).message);
  process.exitCode = 1;
}
