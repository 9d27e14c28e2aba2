import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateCommand, GENERATE_SPEC } from "../../src/cli/generate.js";
import { helpText } from "../../src/cli/flags.js";
import { trainCommand, TRAIN_SPEC } from "../../src/cli/train.js";
import { memory } from "../../src/index.js";
import { loadSafetensors } from "../../src/io/safetensors.js";
import type { MetricsRecord } from "../../src/train/metrics.js";
import { SMALL_BATCHES, cli, scratch } from "./helpers.js";

const { dir, corpus } = scratch("slmkit-cli-");
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("slmkit CLI", () => {
  it("--help of every command lists every flag", () => {
    const main = cli(["--help"]).stdout;
    for (const c of ["train", "generate", "tokenize", "schedule", "demo", "doctor"])
      expect(main).toMatch(new RegExp(`^  ${c} `, "m"));
    const trainHelp = cli(["train", "--help"]).stdout;
    expect(trainHelp).toBe(helpText(TRAIN_SPEC) + "\n");
    for (const f of TRAIN_SPEC.flags) expect(trainHelp).toContain(`--${f.name}`);
    for (const f of [
      "--steps",
      "--batch-size",
      "--seq-len",
      "--lr",
      "--warmup",
      "--decay-fraction",
      "--decay",
      "--seed",
      "--device",
      "--out",
      "--name",
      "--resume",
      "--eval-every",
      "--checkpoint-every",
      "--grad-accum",
      "--clip",
      "--data",
      "--preset",
    ]) {
      expect(trainHelp).toContain(f + " ");
    }
    const genHelp = cli(["generate", "--help"]).stdout;
    for (const f of ["--run", "--prompt", "--max-tokens", "--temperature", "--top-k", "--top-p", "--seed"])
      expect(genHelp).toContain(f + " ");
    expect(genHelp).toBe(helpText(GENERATE_SPEC) + "\n");
    expect(cli(["demo", "--help"]).stdout).toContain("--steps N");
    expect(cli(["doctor", "--help"]).stdout).toContain("--json");
    expect(cli(["tokenize", "--help"]).stdout).toContain("slmkit tokenize");
    expect(cli(["schedule", "--help"]).stdout).toContain("slmkit schedule");
  });

  it("rejects unknown flags and bad values naming the flag", async () => {
    await expect(trainCommand(["--stepz", "3"])).rejects.toThrow(/slmkit train: .*stepz/);
    await expect(trainCommand(["--steps", "three", "--out", dir])).rejects.toThrow(
      /--steps must be a whole number >= 1, got "three"/,
    );
    expect(() => generateCommand([])).toThrow(/--run <run folder> is required/);
    expect(() => generateCommand(["--run", path.join(dir, "nope")])).toThrow(/tokenizer\.json does not exist/);
    await expect(trainCommand(["--device", "gpu", "--out", dir])).rejects.toThrow(
      /slmkit train: --device must be cpu or cuda, got "gpu"/,
    );
    expect(() => generateCommand(["--run", dir, "--device", "tpu"])).toThrow(
      /slmkit generate: --device must be cpu or cuda, got "tpu"/,
    );
  });

  it("a short train run writes every output, resumes, and generate streams from it", async () => {
    const out = path.join(dir, "runs");
    const flags = [
      "--out",
      out,
      "--name",
      "t",
      "--data",
      corpus,
      ...SMALL_BATCHES,
      "--eval-every",
      "3",
      "--eval-batches",
      "1",
      "--checkpoint-every",
      "3",
      "--log-every",
      "1",
      "--warmup",
      "1",
      "--samples",
      "2",
      "--sample-tokens",
      "5",
      "--valid-fraction",
      "0.1",
      "--quiet",
    ];
    const before = memory().numTensors;
    await trainCommand([...flags, "--steps", "6"]);
    const run = path.join(out, "t");
    expect(fs.readdirSync(run).sort()).toEqual([
      "checkpoints",
      "config.json",
      "loss.svg",
      "metrics.jsonl",
      "run.json",
      "samples.txt",
      "tokenizer.json",
    ]);
    expect(JSON.parse(fs.readFileSync(path.join(run, "config.json"), "utf8"))).toMatchObject({
      vocab_size: 300,
      hidden_size: 128,
    });
    const metrics = () =>
      fs
        .readFileSync(path.join(run, "metrics.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as MetricsRecord);
    expect(metrics().map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(
      metrics()
        .filter((r) => r.valLoss !== undefined)
        .map((r) => r.step),
    ).toEqual([3, 6]);
    expect(fs.readFileSync(path.join(run, "checkpoints", "latest"), "utf8").trim()).toBe("step-0000006");
    const weights = loadSafetensors(path.join(run, "checkpoints", "step-0000006", "model.safetensors")).tensors;
    expect(Object.keys(weights)).toContain("model.embed_tokens.weight");
    Object.values(weights).forEach((t) => t.dispose());
    expect(fs.readFileSync(path.join(run, "samples.txt"), "utf8")).toMatch(/sample 1 .*\nThe state of the Union/);
    expect(fs.readFileSync(path.join(run, "loss.svg"), "utf8")).toContain(">decay<");

    await expect(trainCommand([...flags, "--steps", "8"])).rejects.toThrow(
      /already holds a run made with other options \(--steps 6 there, 8 now\); pass --resume/,
    );
    await trainCommand(["--out", out, "--name", "t", "--resume", "--steps", "8", "--quiet"]);
    expect(metrics().map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(fs.readFileSync(path.join(run, "checkpoints", "latest"), "utf8").trim()).toBe("step-0000008");

    let text = "";
    generateCommand(["--run", run, "--prompt", "The state", "--max-tokens", "8", "--seed", "3"], (t) => (text += t));
    expect(text.startsWith("The state")).toBe(true);
    expect(text.endsWith("\n")).toBe(true);
    let again = "";
    generateCommand(["--run", run, "--prompt", "The state", "--max-tokens", "8", "--seed", "3"], (t) => (again += t));
    expect(again).toBe(text); // seeded sampling is reproducible
    expect(memory().numTensors).toBe(before);
  });
});
