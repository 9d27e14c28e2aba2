// The command the CLI's hints print must work where the user is: an installed package, a clone with its
// bin linked, a clone without it, or a folder outside the clone.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { slmkitCommand } from "../../src/cli/invocation.js";

const host = (root: string, cwd: string, files: string[]) => ({ root, cwd, exists: (p: string) => files.includes(p) });
const root = path.resolve(__dirname, "../..");

describe("slmkitCommand", () => {
  it("says npx slmkit where npx finds the command, tsx on the sources elsewhere", () => {
    expect(slmkitCommand(host("/p/node_modules/slmkit", "/p", []))).toBe("npx slmkit");
    const clone = ["/c/src/cli/main.ts", "/c/node_modules/.bin/slmkit"];
    expect(slmkitCommand(host("/c", "/c", clone))).toBe("npx slmkit");
    expect(slmkitCommand(host("/c", "/c/runs", clone))).toBe("npx slmkit");
    expect(slmkitCommand(host("/c", "/c", clone.slice(0, 1)))).toBe("npx tsx src/cli/main.ts");
    expect(slmkitCommand(host("/c", "/elsewhere", clone))).toBe("npx tsx ../c/src/cli/main.ts");
    expect(slmkitCommand(host("/c d", "/x", ["/c d/src/cli/main.ts"]))).toBe('npx tsx "../c d/src/cli/main.ts"');
  });

  it("the clone's slmkit command (scripts/clone-cli) runs the sources and passes the exit code on", () => {
    const env = {
      ...process.env,
      SLMKIT_CPU_ADDON: process.env.SLMKIT_CPU_ADDON ?? path.join(root, "build/Release/slmkit_cpu.node"),
    };
    const bin = path.join(root, "scripts/clone-cli/slmkit.mjs");
    expect(execFileSync(process.execPath, [bin, "schedule", "--help"], { env, encoding: "utf8" })).toContain(
      "slmkit schedule",
    );
    let status = 0;
    try {
      execFileSync(process.execPath, [bin, "no-such-command"], { env, stdio: "pipe" });
    } catch (e) {
      status = (e as { status: number }).status;
    }
    expect(status).toBe(2);
  });
});
