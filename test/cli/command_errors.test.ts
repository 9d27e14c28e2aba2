// generate, schedule and tokenize with bad input: the error names the flag (and the file) before anything
// is printed, loaded or written.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { generateCommand } from "../../src/cli/generate.js";
import { scheduleCommand } from "../../src/cli/schedule.js";
import { tokenizeCommand } from "../../src/cli/tokenize.js";
import { trainCommand } from "../../src/cli/train.js";
import { memory } from "../../src/index.js";
import { cli, quickRun, scratch, tree } from "./helpers.js";

let dir: string;
let corpus: string;
let run: string;
beforeAll(async () => {
  ({ dir, corpus } = scratch("slmkit-cli-errors-"));
  await trainCommand([...quickRun(dir, "g", corpus), "--steps", "2"]);
  run = path.join(dir, "g");
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs an async command with console.error captured; returns its exit code and what it printed. */
async function captured(fn: () => Promise<number>): Promise<{ code: number; errors: string }> {
  const spy = vi.spyOn(console, "error").mockImplementation(() => {});
  try {
    const code = await fn();
    return { code, errors: spy.mock.calls.map((c) => String(c[0])).join("\n") };
  } finally {
    spy.mockRestore();
  }
}

describe("slmkit generate: bad input", () => {
  it("refuses bad numbers before printing the prompt or loading the model", () => {
    const before = memory().numTensors;
    const cases: [string[], RegExp][] = [
      [["--temperature=-1"], /^slmkit generate: --temperature must be a number >= 0, got "-1"$/],
      [["--temperature", "-1"], /--temperature must be a number >= 0, got "-1"/],
      [["--top-p", "1.5"], /--top-p must be at most 1, got 1.5/],
      [["--top-k", "2.5"], /--top-k must be a whole number >= 0/],
      [
        ["--max-tokens", "600"],
        /--max-tokens 600 with a --prompt of \d+ tokens exceeds the model's max_position_embeddings \(512\); give --max-tokens \d+ or less/,
      ],
      [["--checkpoint", dir], /--checkpoint .* holds no model\.safetensors/],
      [["--prompt", ""], /--prompt must not be empty/],
    ];
    for (const [flags, message] of cases) {
      const written: string[] = [];
      expect(() => generateCommand(["--run", run, ...flags], (t) => written.push(t))).toThrow(message);
      expect(written).toEqual([]);
    }
    expect(memory().numTensors).toBe(before);
    let text = "";
    generateCommand(["--run", run, "--max-tokens", "3"], (t) => (text += t));
    expect(text.startsWith("The state of the Union")).toBe(true);
  });

  it("the command exits with 2 and prints only the message", () => {
    const r = cli(["generate", "--run", run, "--temperature=-1"]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim()).toBe('slmkit generate: --temperature must be a number >= 0, got "-1"');
  });
});

describe("slmkit schedule: bad input", () => {
  const svg = () => path.join(dir, "lr.svg");
  it("names the flag, not the library's option, and writes nothing", async () => {
    const wsd = [
      "--kind",
      "wsd",
      "--warmup-steps",
      "10",
      "--stable-steps",
      "80",
      "--decay-steps",
      "10",
      "--out",
      svg(),
    ];
    const missing = await captured(() => scheduleCommand(wsd));
    expect(missing.code).toBe(2);
    expect(missing.errors).toMatch(
      /^slmkit schedule --kind wsd: --peak-lr is required \(it must be a finite number >= 0\)/,
    );
    expect(missing.errors).not.toContain("peakLr");
    const cases: [string[], RegExp][] = [
      [[...wsd, "--peak-lr", "-1"], /--peak-lr must be a finite number >= 0, got -1/],
      [[...wsd, "--peak-lr", "x"], /--peak-lr must be a number, got "x"/],
      [[...wsd, "--peak-lr", "0.01", "--total-steps", "9"], /--total-steps does not apply to --kind wsd/],
      [[...wsd, "--peak-lr", "0.01", "--steps", "0"], /--steps must be a whole number >= 1/],
      [["--kind", "step", "--out", svg()], /--kind must be one of wsd, cosine/],
      [["--kind", "wsd"], /--out FILE\.svg is required/],
      [
        ["--kind", "constant", "--lr", "1", "--out", path.join(dir, "no", "lr.svg")],
        /--out .*: the folder .* does not exist/,
      ],
      [["--kind", "constant", "--json", "{bad", "--out", svg()], /--json is not valid JSON/],
    ];
    for (const [argv, message] of cases) {
      const r = await captured(() => scheduleCommand(argv));
      expect(r.code).toBe(2);
      expect(r.errors).toMatch(message);
    }
    expect(fs.existsSync(svg())).toBe(false);
    const spy = vi.spyOn(console, "log").mockImplementation(() => {});
    expect(await scheduleCommand([...wsd, "--peak-lr", "0.01"])).toBe(0);
    spy.mockRestore();
    expect(fs.readFileSync(svg(), "utf8")).toContain("<svg");
  });
});

describe("slmkit tokenize: bad input", () => {
  it("a missing input or tokenizer is named and no output folder is made", async () => {
    const out = path.join(dir, "shards");
    const cases: [string[], RegExp][] = [
      [
        ["--train-tokenizer", "--out", out, path.join(dir, "missing.txt")],
        /^slmkit tokenize: input .*missing\.txt: no such file/,
      ],
      [["--tokenizer", path.join(dir, "nope.json"), "--out", out, corpus], /--tokenizer .*nope\.json: no such file/],
      [
        ["--train-tokenizer", "--vocab-size", "-3", "--out", out, corpus],
        /--vocab-size must be a whole number >= 257, got "-3"/,
      ],
      [["--train-tokenizer", corpus], /--out DIR is required/],
      [["--out", out, corpus], /give exactly one of --tokenizer PATH and --train-tokenizer/],
    ];
    for (const [argv, message] of cases) {
      const r = await captured(() => tokenizeCommand(argv));
      expect(r.code).toBe(2);
      expect(r.errors).toMatch(message);
      expect(tree(out)).toEqual([]);
    }
  });
});
