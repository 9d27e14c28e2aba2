// `slmkit scaling fit | study` as a user runs them: the paper's ratio, a fit of synthetic points that recovers
// their constants, a CPU-sized study end to end, and flag errors that name the flag.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { SMALL_BATCHES, cli, scratch } from "./helpers.js";

const { dir, corpus } = scratch("slmkit-scaling-cli-");
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("slmkit scaling fit", () => {
  it("--paper prints MiniCPM's 192 tokens per parameter where the paper quotes it", () => {
    const r = cli(["scaling", "fit", "--paper", "--flops", "1.452e21"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/N 1\.12\dB parameters, D 21\d\.\dB tokens, 192\.0 tokens per parameter/);
  });

  it("fits points from a file: the constants with 95% intervals and the compute-optimal model", () => {
    const file = path.join(dir, "points.jsonl");
    const points = [0.009, 0.03, 0.07, 0.1, 0.2, 0.5].flatMap((n) =>
      [1, 2, 5, 10, 20, 50].map((d) => ({
        size: `${n}`,
        paramsBillions: n,
        tokensBillions: d,
        loss: S.scalingLawLoss(S.MINICPM_SCALING_LAW, n, d),
      })),
    );
    S.writeJsonl(file, points);
    const r = cli(["scaling", "fit", "--points", file, "--flops", "1e21"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("fitted to 36 points");
    expect(r.stdout).toMatch(/α\s+0\.2900\s+95% interval \[0\.2900, 0\.2900\]/);
    expect(r.stdout).toMatch(/L0\s+0\.3100\s+95%/);
    expect(r.stdout).toMatch(/18\d\.\d tokens per parameter/); // 184 at 1e21 FLOPs
  });

  it.each([
    [[], /give --points FILE \(to fit\) or --paper/],
    [["--paper", "--points", "x.jsonl"], /give --points FILE \(to fit\) or --paper/],
    [["--points", "nowhere.jsonl"], /--points nowhere.jsonl: no such file/],
    [["--paper", "--flops", "-1"], /--flops must be a number > 0/],
  ])("refuses %j", (args, message) => {
    const r = cli(["scaling", "fit", ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe("slmkit scaling study", () => {
  it("measures a point per size and branch on the CPU, then fits or says why not", () => {
    const out = path.join(dir, "study");
    const args = [
      "scaling",
      "study",
      "--out",
      out,
      "--data",
      corpus,
      ...SMALL_BATCHES,
      "--sizes",
      "32x1,64x1,96x1",
      "--branches",
      "6,12,18",
      "--eval-batches",
      "1",
      "--decay-fraction",
      "0.2",
      "--quiet",
    ];
    const r = cli(args);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`9 points in ${out}/points.jsonl`);
    expect(r.stdout).toMatch(/fitted to 9 points|no fit: fitScalingLaw/);
    const points = S.readJsonl(path.join(out, "points.jsonl"));
    expect(points.map((p) => `${p.size}@${p.branchStep}`)).toEqual(
      ["32x1", "64x1", "96x1"].flatMap((s) => [6, 12, 18].map((b) => `${s}@${b}`)),
    );
    expect(cli(args).stdout).toBe(r.stdout); // resumed: nothing left to train, the same result
  });

  it.each([
    [["--sizes", "100x2,64x2"], /--sizes 100x2: the width must be a multiple of 32/],
    [["--sizes", "huge"], /--sizes: "huge" is neither a preset nor CxL/],
    [["--branches", "20,10"], /--branches must be ascending/],
    [["--sizes", "64x2"], /at least 6 points from 2 or more --sizes/],
    [["--decay-fraction", "1"], /--decay-fraction must be at most 0\.9/],
  ])("refuses %j before any work", (args, message) => {
    const out = path.join(dir, "refused");
    const r = cli(["scaling", "study", "--out", out, ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(fs.existsSync(out)).toBe(false);
  });

  it("names the subcommands", () => {
    const r = cli(["scaling", "plot"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown subcommand "plot"; give fit or study/);
  });
});
