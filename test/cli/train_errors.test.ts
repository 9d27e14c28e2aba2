// `slmkit train` with bad input: every flag is checked before any work, the error names the flag (and the
// file), and a failed command leaves no run folder behind.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cuda } from "../../src/backend/cuda.js";
import { trainCommand } from "../../src/cli/train.js";
import { cli, quickRun, scratch, tree, withFlag } from "./helpers.js";

let dir: string;
let corpus: string;
let out: string;
beforeAll(() => {
  ({ dir, corpus } = scratch("slmkit-train-errors-"));
  out = path.join(dir, "runs"); // never created by a failing command
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function fails(args: string[], message: RegExp): Promise<void> {
  const full = args.includes("--out") ? args : ["--out", out, ...args];
  await expect(trainCommand(full)).rejects.toThrow(message);
  expect(fs.existsSync(out)).toBe(false);
}

describe("slmkit train: bad input", () => {
  it("--data with a missing file names the flag and the file and creates nothing", async () => {
    const missing = path.join(dir, "missing.txt");
    await fails(["--data", missing], new RegExp(`^slmkit train: --data ${missing}: no such file$`));
    await fails(["--data", dir], /--data .*: not a file/);
    await fails(["--tokenizer", path.join(dir, "nope.json")], /--tokenizer .*nope\.json: no such file/);
    await fails(["--tokenizer", corpus], /--tokenizer .*corpus\.txt: .*not valid JSON/);
  });

  it("--device cuda without a usable GPU fails before the tokenizer is trained", async () => {
    if (cuda.status().available) {
      console.log("note: a GPU is available here, so --device cuda cannot be refused; skipped");
      return;
    }
    const t0 = performance.now();
    await fails(
      ["--device", "cuda"],
      /^slmkit train: --device cuda cannot run here \(.*\)\. slmkit doctor tells more; --device cpu runs on the CPU$/,
    );
    expect(performance.now() - t0).toBeLessThan(2000); // no tokenizer training (seconds on the default texts)
  });

  it("--seq-len beyond the preset names max_position_embeddings; beyond the data names the longest text", async () => {
    await fails(
      ["--seq-len", "600"],
      /^slmkit train: --seq-len must be at most 512 \(the max_position_embeddings of the tiny preset\), got 600$/,
    );
    // Passes the flag checks but not the data: fails after tokenizing, and still leaves nothing behind.
    const short = path.join(dir, "short.txt");
    fs.writeFileSync(short, "The state of the Union is strong. ".repeat(8));
    await fails(
      [...withFlag(quickRun(out, "r", short), "seq-len", "500"), "--steps", "2"],
      /^slmkit train: --seq-len 500 is too long for the data: it holds 0 window\(s\) of 501 tokens \(longest text: \d+ tokens\)/,
    );
    await fails(
      ["--sample-tokens", "500"],
      /--sample-tokens must be at most 490 \(the tiny preset's max_position_embeddings 512 less the longest sample prompt\)/,
    );
  });

  it("negative and malformed numbers name the flag, not the option parser", async () => {
    await fails(["--steps", "-5"], /^slmkit train: --steps must be a whole number >= 1, got "-5"$/);
    await fails(["--lr=-0.1"], /^slmkit train: --lr must be a number > 0, got "-0.1"$/);
    await fails(["--samples", "-1"], /--samples must be a whole number >= 0/);
    await fails(["--decay-fraction", "1.5"], /--decay-fraction must be at most 1, got 1.5/);
    await fails(["--decay", "cosine", "--min-lr-ratio", "2"], /--min-lr-ratio must be at most 1/);
    await fails(["--min-lr-ratio", "0.1"], /--min-lr-ratio applies to --decay linear, cosine or 1-sqrt/);
    await fails(["--decay", "step"], /--decay must be one of exponential, cosine, linear, 1-sqrt, got "step"/);
    await fails(["--decay", "cosine", "--half-life", "10"], /--half-life applies to --decay exponential only/);
    await fails(["--preset", "huge"], /--preset must be one of .*tiny/);
    await fails(["--steps"], /^slmkit train: --steps needs a value \(N\)$/);
    await fails(["--steps", "--quiet"], /--steps needs a value/);
    await fails(["--stepz", "3"], /unknown flag --stepz; did you mean --steps\?/);
    await fails(["--quiet=yes"], /--quiet is a switch and takes no value/);
    await fails(["--steps", "3", "--steps", "4"], /--steps is given twice/);
    await fails(["extra"], /unexpected argument "extra"/);
    await fails(["--name", "../x"], /--name must be a plain folder name/);
    await fails(["--resume", "--overwrite"], /give one of them/);
    await fails(["--resume"], /--resume: .* holds no checkpoint to continue from/);
  });

  it("the command prints the message alone and exits with 2", () => {
    const r = cli(["train", "--out", out, "--steps", "-5"]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('slmkit train: --steps must be a whole number >= 1, got "-5"');
    expect(tree(out)).toEqual([]);
  });
});
