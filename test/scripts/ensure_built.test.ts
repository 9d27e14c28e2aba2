// scripts/ensure-built.mjs: builds the CPU addon when it is missing or a source's content changed, and not
// otherwise. Runs the script in a scratch checkout whose node-gyp is a stand-in that records each call.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const script = path.resolve(__dirname, "../../scripts/ensure-built.mjs");
let root: string;

// A node-gyp that "builds" by writing the addon file and appending its arguments to a log.
const FAKE_GYP = `const fs = require("fs");
fs.mkdirSync("build/Release", { recursive: true });
fs.writeFileSync("build/Release/slmkit_cpu.node", "addon");
fs.appendFileSync("gyp-calls.log", process.argv.slice(2).join(" ") + "\\n");`;

function write(rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
}

function run(...args: string[]): { status: number; out: string } {
  try {
    return {
      status: 0,
      out: execFileSync(process.execPath, [path.join(root, "scripts/ensure-built.mjs"), ...args], {
        cwd: root,
        encoding: "utf8",
      }),
    };
  } catch (e) {
    const err = e as { status: number; stdout: string };
    return { status: err.status, out: err.stdout };
  }
}

const gypCalls = (): string[] =>
  fs.existsSync(path.join(root, "gyp-calls.log"))
    ? fs.readFileSync(path.join(root, "gyp-calls.log"), "utf8").trim().split("\n")
    : [];

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "slmkit-ensure-"));
  write("scripts/ensure-built.mjs", fs.readFileSync(script, "utf8"));
  write("scripts/pack/glibc-stubs.mjs", "// stubs");
  write("binding.gyp", "{}");
  write("native/cpu_addon.cc", "int a;");
  write("native/cuda_addon.cc", "int cuda;");
  write("kernels/cpu/copy.cc", "int b;");
  write("kernels/include/slmkit/op_args.h", "#pragma once");
  write("node_modules/node-addon-api/package.json", JSON.stringify({ version: "8.5.0" }));
  write("node_modules/node-gyp/bin/node-gyp.js", FAKE_GYP);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("ensure-built", () => {
  it("builds a missing addon once, then only when a source's content changes", () => {
    expect(run("--check")).toEqual({
      status: 1,
      out: expect.stringContaining("build/Release/slmkit_cpu.node does not exist"),
    });
    expect(run().out).toContain("building the CPU addon");
    expect(gypCalls()).toHaveLength(1);
    expect(gypCalls()[0]).toMatch(/^rebuild -j \d+$/);

    expect(run()).toEqual({ status: 0, out: "" }); // up to date: silent, no build
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(root, "kernels/cpu/copy.cc"), later, later); // touched, same content
    expect(run("--check").status).toBe(0);
    write("native/cuda_addon.cc", "int cuda2;"); // the CUDA addon's source is not an input
    expect(run("--check").status).toBe(0);
    expect(gypCalls()).toHaveLength(1);

    write("kernels/cpu/copy.cc", "int b2;");
    expect(run("--check")).toEqual({ status: 1, out: expect.stringContaining("kernels/cpu/copy.cc changed") });
    run();
    expect(gypCalls()).toHaveLength(2);
    write("node_modules/node-addon-api/package.json", JSON.stringify({ version: "8.6.0" }));
    expect(run("--check").out).toContain("node-addon-api changed");
    run();
    expect(run("--check").status).toBe(0);
    expect(gypCalls()).toHaveLength(3);
  });

  it("--force always rebuilds; a missing stamp counts as stale; bad arguments are refused", () => {
    const before = gypCalls().length;
    run("--force");
    expect(gypCalls()).toHaveLength(before + 1);
    fs.rmSync(path.join(root, "build/slmkit_cpu.sources.json"));
    expect(run("--check").out).toContain("no record of the sources");
    expect(run("--fast").status).toBe(2);
  });
});
