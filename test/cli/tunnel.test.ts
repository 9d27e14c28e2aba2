// `slmkit tunnel` as a user runs it: a two-trial grid that resumes, the coordinate check's files, and flag
// errors that name the flag and leave nothing behind.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SMALL_BATCHES, cli, scratch, tree } from "./helpers.js";

const { dir, corpus } = scratch("slmkit-tunnel-cli-");
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const quick = (out: string) => [
  "tunnel",
  "--out",
  out,
  "--data",
  corpus,
  ...SMALL_BATCHES,
  "--steps",
  "3",
  "--eval-batches",
  "1",
  "--lr",
  "0.005,0.02",
  "--quiet",
];

describe("slmkit tunnel", () => {
  it("records every trial, prints the best, and skips finished trials when run again", () => {
    const out = path.join(dir, "grid");
    const first = cli(quick(out));
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(
      /^best of 2: lr=0\.0(05|2) scale_emb=12 scale_depth=1\.4 init_std=0\.1 \(validation loss \d/,
    );
    const lines = fs
      .readFileSync(path.join(out, "trials.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.lr, l.status])).toEqual([
      [0.005, "done"],
      [0.02, "done"],
    ]);
    const again = cli(quick(out).filter((a) => a !== "--quiet"));
    expect(again.status).toBe(0);
    expect(again.stdout).toBe(first.stdout);
  });

  it("--coord-check writes the measurements and two plots", () => {
    const out = path.join(dir, "coord");
    const r = cli(["tunnel", "--coord-check", "--widths", "32,64,128", "--coord-steps", "2", "--out", out, "--quiet"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/μP .* from width 32 to 128/);
    expect(tree(out)).toEqual(["coord_check.json", "coord_check_mup.svg", "coord_check_sp.svg"]);
    const [mup, sp] = JSON.parse(fs.readFileSync(path.join(out, "coord_check.json"), "utf8"));
    expect([mup.mup, sp.mup]).toEqual([true, false]);
  });

  it.each([
    [["--lr", "0.01,-1"], /--lr must be a number > 0, got "-1"/],
    [["--lr", "0.001:0.1"], /--lr 0.001:0.1: a range MIN:MAX needs --search random/],
    [["--search", "random"], /--search random needs --trials N/],
    [["--trials", "3"], /--trials applies to --search random/],
    [["--preset", "huge"], /--preset must be one of/],
    [["--preset", "tiny", "--config", "x.json"], /give --preset or --config, not both/],
    [["--config", "missing.json"], /--config missing.json: no such file/],
    [["--seq-len", "100000"], /--seq-len must be at most 512/],
    [["--widths", "64,128"], /--widths applies to --coord-check only/],
    [["--coord-check", "--steps", "5"], /--steps applies to the search, not to --coord-check/],
    [["--coord-check", "--widths", "64,100"], /--widths must be multiples of 32/],
    [["--data", "nowhere.txt"], /--data nowhere.txt: no such file/],
  ])("refuses %j before any work", (args, message) => {
    const out = path.join(dir, "refused");
    const r = cli(["tunnel", "--out", out, ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(fs.existsSync(out)).toBe(false);
  });
});
