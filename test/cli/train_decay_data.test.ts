// `slmkit train --decay-data`: two-stage pre-training from the command line (the switch itself and resuming
// are tested on TwoStageSampler in test/data/two_stage_sampler.test.ts).
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, quickRun, scratch } from "./helpers.js";

const { dir, corpus } = scratch("slmkit-decay-data-");
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const sft = path.join(dir, "sft.txt");
fs.writeFileSync(sft, "Question: what is the state of the Union? Answer: strong. ".repeat(40));

describe("slmkit train --decay-data", () => {
  it("trains with the decay-phase mixture and records it in run.json", () => {
    const args = ["train", ...quickRun(dir, "two-stage", corpus), "--steps", "4", "--decay-fraction", "0.5"];
    const r = cli([...args, "--decay-data", sft, "--decay-data-weight", "0.5"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const run = JSON.parse(fs.readFileSync(path.join(dir, "two-stage", "run.json"), "utf8"));
    expect(run.options["decay-data"]).toEqual([sft]);
    expect(run.options["decay-data-weight"]).toBe("0.5");
  });

  it.each([
    [["--decay-data-weight", "0.3"], /--decay-data-weight applies to --decay-data, which is not given/],
    [["--decay-data", "nowhere.txt"], /--decay-data nowhere.txt: no such file/],
    [["--decay-data", "SFT", "--decay-data-weight", "0"], /--decay-data-weight must be a number in \(0, 1\]/],
    [["--decay-data", "x.bin"], /--decay-data x.bin: no such file/],
  ])("refuses %j before any work", (extra, message) => {
    const r = cli(["train", ...quickRun(dir, "refused", corpus), ...extra.map((a) => (a === "SFT" ? sft : a))]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(fs.existsSync(path.join(dir, "refused"))).toBe(false);
  });
});
