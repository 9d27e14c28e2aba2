// Running the same `slmkit train` twice (as `npm start` twice does): a finished run says so and is left as
// it is, an unfinished one continues, other options are an error naming them, and --overwrite starts again.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { trainCommand } from "../../src/cli/train.js";
import type { MetricsRecord } from "../../src/train/metrics.js";
import { quickRun, scratch } from "./helpers.js";

let dir: string;
let corpus: string;
beforeAll(() => ({ dir, corpus } = scratch("slmkit-train-rerun-")));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("slmkit train run twice", () => {
  it("finished: says so; unfinished: continues; other options: names them; --overwrite: starts again", async () => {
    const out = path.join(dir, "runs");
    const run = path.join(out, "again");
    const flags = [...quickRun(out, "again", corpus), "--steps", "4"];
    const steps = () =>
      fs
        .readFileSync(path.join(run, "metrics.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as MetricsRecord).step);
    const latest = () => fs.readFileSync(path.join(run, "checkpoints", "latest"), "utf8").trim();
    await trainCommand(flags);
    expect(steps()).toEqual([1, 2, 3, 4]);
    const svgBefore = fs.readFileSync(path.join(run, "loss.svg"), "utf8");

    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      await trainCommand(flags);
      const said = log.mock.calls.map((c) => String(c[0])).join("\n");
      expect(said).toContain(`${run} already holds this run, finished (4 of 4 steps); nothing to train.`);
      expect(said).toMatch(/generate from it: +npx (slmkit|tsx \S+main\.ts) generate --run /);
      expect(said).toContain("add --overwrite");
    } finally {
      log.mockRestore();
    }
    expect(steps()).toEqual([1, 2, 3, 4]); // untouched
    expect(fs.readFileSync(path.join(run, "loss.svg"), "utf8")).toBe(svgBefore);

    // Other options: an error naming each difference; nothing changes.
    await expect(trainCommand([...quickRun(out, "again", corpus), "--steps", "6", "--lr", "0.02"])).rejects.toThrow(
      /already holds a run made with other options \(--steps 4 there, 6 now; --lr 0\.01 there, 0\.02 now\); pass --resume .* --overwrite .* --name/,
    );
    expect(steps()).toEqual([1, 2, 3, 4]);

    // An unfinished run with the same options continues from its checkpoint. A run of 6 steps stopped
    // (Ctrl-C) at step 4 looks like this one with 6 steps in its run.json.
    const runFile = path.join(run, "run.json");
    const saved = JSON.parse(fs.readFileSync(runFile, "utf8")) as { options: Record<string, unknown> };
    saved.options.steps = "6";
    fs.writeFileSync(runFile, JSON.stringify(saved));
    await trainCommand([...quickRun(out, "again", corpus), "--steps", "6"]);
    expect(steps()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(latest()).toBe("step-0000006");

    // --overwrite deletes the run's outputs (not other files in the folder) and trains from step 1.
    fs.writeFileSync(path.join(run, "notes.txt"), "mine");
    await trainCommand([...flags, "--overwrite"]);
    expect(steps()).toEqual([1, 2, 3, 4]);
    expect(latest()).toBe("step-0000004");
    expect(fs.readFileSync(path.join(run, "notes.txt"), "utf8")).toBe("mine");
    expect(fs.readdirSync(path.join(run, "checkpoints")).sort()).toEqual(["latest", "step-0000002", "step-0000004"]);
  });
});
