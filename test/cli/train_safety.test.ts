// `slmkit train` and `generate` against what people and schedulers do: SIGTERM, a second training in the
// same folder, a run killed before its first checkpoint, resuming from an older checkpoint, damaged files.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateCommand } from "../../src/cli/generate.js";
import { trainCommand } from "../../src/cli/train.js";
import type { MetricsRecord } from "../../src/train/metrics.js";
import { SMALL_BATCHES, quickRun, root, scratch, withFlag } from "./helpers.js";

let dir: string;
let corpus: string;
beforeAll(() => ({ dir, corpus } = scratch("slmkit-train-safety-")));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const steps = (run: string) =>
  fs
    .readFileSync(path.join(run, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => (JSON.parse(l) as MetricsRecord).step);

describe("slmkit train under signals and concurrency", () => {
  it("SIGTERM stops like Ctrl-C: the step finishes, a checkpoint is written, no half-written folder, no lock", async () => {
    const out = path.join(dir, "term");
    const run = path.join(out, "t");
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(root, "src/cli/main.ts"),
        "train",
        ...withFlag(quickRun(out, "t", corpus), "checkpoint-every", "100000"),
        "--steps",
        "100000",
      ],
      { cwd: root, stdio: "pipe" },
    );
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += String(d)));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on("exit", (code, signal) => resolve({ code, signal })),
    );
    // Wait until it is training (a few metrics records), then send what a scheduler sends.
    const started = () =>
      fs.existsSync(path.join(run, "metrics.jsonl")) &&
      fs.readFileSync(path.join(run, "metrics.jsonl"), "utf8").split("\n").length >= 4;
    while (!started() && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    expect(child.exitCode, stderr).toBeNull();
    child.kill("SIGTERM");
    const { code, signal } = await exited;
    expect({ code, signal }, stderr).toEqual({ code: 0, signal: null });
    expect(stderr).toContain("SIGTERM: stopping after this step; continue later with:");
    const last = steps(run).at(-1)!;
    expect(fs.readFileSync(path.join(run, "checkpoints", "latest"), "utf8").trim()).toBe(
      `step-${String(last).padStart(7, "0")}`,
    );
    expect(fs.readdirSync(path.join(run, "checkpoints")).filter((n) => n.startsWith("."))).toEqual([]);
    expect(fs.existsSync(path.join(run, "run.lock"))).toBe(false);
  }, 60_000);

  it("a folder another training holds is refused, naming it, and its files are untouched", async () => {
    const out = path.join(dir, "locked");
    const run = path.join(out, "l");
    await trainCommand([...quickRun(out, "l", corpus), "--steps", "2"]);
    const before = fs.readFileSync(path.join(run, "run.json"), "utf8");
    fs.writeFileSync(
      path.join(run, "run.lock"),
      JSON.stringify({
        pid: process.ppid,
        host: os.hostname(),
        started: "2024-05-06T07:08:09.000Z",
        command: "slmkit train",
      }),
    );
    for (const extra of [
      ["--steps", "2", "--overwrite"],
      ["--steps", "4", "--resume"],
    ]) {
      const error = (await trainCommand([...quickRun(out, "l", corpus), ...extra]).catch((e: unknown) => e)) as Error;
      expect(error.message).toMatch(
        new RegExp(
          `${run} is in use by another training: pid ${process.ppid} on ${os.hostname()}, started 2024-05-06T07:08:09.000Z`,
        ),
      );
    }
    expect(fs.readFileSync(path.join(run, "run.json"), "utf8")).toBe(before);
    expect(steps(run)).toEqual([1, 2]);
  });
});

describe("slmkit train: stuck and older checkpoints", () => {
  it("a run killed before its first checkpoint is not stuck: a new start or --resume begins again", async () => {
    const out = path.join(dir, "stuck");
    const run = path.join(out, "s");
    const leftOver = () => {
      fs.mkdirSync(run, { recursive: true });
      const options = { steps: "2", lr: "0.05", data: [corpus] };
      fs.writeFileSync(path.join(run, "run.json"), JSON.stringify({ command: "slmkit train", options }));
      fs.writeFileSync(path.join(run, "tokenizer.json"), "{}");
    };
    leftOver();
    await trainCommand([...quickRun(out, "s", corpus), "--steps", "2"]); // other options than run.json's
    expect(steps(run)).toEqual([1, 2]);
    fs.rmSync(run, { recursive: true });
    leftOver();
    await trainCommand(["--out", out, "--name", "s", "--resume", "--quiet", ...SMALL_BATCHES, "--samples", "0"]);
    expect(steps(run).at(-1)).toBe(2);
  });

  it("--resume takes a step number or a checkpoint folder", async () => {
    const out = path.join(dir, "older");
    const run = path.join(out, "o");
    await trainCommand([...quickRun(out, "o", corpus), "--steps", "6"]);
    expect(steps(run)).toEqual([1, 2, 3, 4, 5, 6]);
    await trainCommand([...quickRun(out, "o", corpus), "--steps", "6", "--resume", "2"]);
    expect(steps(run)).toEqual([1, 2, 3, 4, 5, 6]); // the log after step 2 was written again
    await trainCommand([
      ...quickRun(out, "o", corpus),
      "--steps",
      "6",
      `--resume=${path.join(run, "checkpoints", "step-0000004")}`,
    ]);
    expect(steps(run)).toEqual([1, 2, 3, 4, 5, 6]);
    await expect(trainCommand([...quickRun(out, "o", corpus), "--steps", "6", "--resume", "3"])).rejects.toThrow(
      /has no checkpoint of step 3; it has 2, 4, 6/,
    );
  });

  it("a damaged trainer.json or config.json is an error naming the file, not 'done: abc steps'", async () => {
    const out = path.join(dir, "damaged");
    const run = path.join(out, "d");
    await trainCommand([...quickRun(out, "d", corpus), "--steps", "2"]);
    const trainerFile = path.join(run, "checkpoints", "step-0000002", "trainer.json");
    const state = JSON.parse(fs.readFileSync(trainerFile, "utf8")) as Record<string, unknown>;
    fs.writeFileSync(trainerFile, JSON.stringify({ ...state, step: "abc" }));
    await expect(trainCommand([...quickRun(out, "d", corpus), "--steps", "4", "--resume"])).rejects.toThrow(
      `${trainerFile} is damaged: "step" must be a whole number >= 0, got "abc"`,
    );
    fs.writeFileSync(trainerFile, JSON.stringify(state));
    const configFile = path.join(run, "config.json");
    const config = fs.readFileSync(configFile, "utf8");
    fs.writeFileSync(configFile, config.slice(0, 20));
    expect(() => generateCommand(["--run", run, "--max-tokens", "2"], () => {})).toThrow(
      `${configFile} is damaged: not valid JSON`,
    );
    fs.writeFileSync(configFile, JSON.stringify({ ...JSON.parse(config), hidden_size: "wide" }));
    expect(() => generateCommand(["--run", run, "--max-tokens", "2"], () => {})).toThrow(configFile);
    fs.writeFileSync(configFile, config);
    // latest naming another run's checkpoint is refused.
    fs.writeFileSync(path.join(run, "checkpoints", "latest"), "../../damaged/d/checkpoints/step-0000002\n");
    expect(() => generateCommand(["--run", run, "--max-tokens", "2"], () => {})).toThrow(
      /latest must name a step-N folder beside it/,
    );
  });
});
