// scheduleSvg and the `slmkit schedule` command.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { scheduleCommand } from "../../src/cli/schedule.js";
import * as S from "../../src/index.js";
import { expectSlmkitError } from "../helpers/expect.js";

const dir = mkdtempSync(join(tmpdir(), "slmkit-schedule-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("scheduleSvg", () => {
  it("plots the curve with a marker at each phase start inside the range", () => {
    const wsd = new S.WSD({ peakLr: 0.01, warmupSteps: 10, stableSteps: 80, decaySteps: 10 });
    const svg = scheduleSvg(wsd, 120);
    expect(svg.startsWith("<svg")).toBe(true);
    for (const label of ["stable", "decay", "done"]) expect(svg).toContain(`>${label}<`);
    expect(svg).not.toContain(">warmup<"); // step 0 is the left edge, no marker
    const path = /<path d="([^"]+)"/.exec(svg)![1]!;
    expect(path.split(/[ML]/).filter(Boolean)).toHaveLength(120);
    // Long runs are thinned to about 2000 points, keeping the last step.
    const long = /<path d="([^"]+)"/.exec(scheduleSvg(wsd, 100_001))![1]!;
    expect(long.split(/[ML]/).filter(Boolean).length).toBeLessThanOrEqual(2001);
    expectSlmkitError(() => S.scheduleSvg(wsd, { steps: 0 }), ["scheduleSvg", "steps", "0"], S.ArgumentError);
  });
});

function scheduleSvg(s: S.Schedule, steps: number): string {
  return S.scheduleSvg(s, { steps, title: "t" });
}

describe("scheduleCommand", () => {
  it("writes an SVG for a WSD given by flags", async () => {
    const out = join(dir, "wsd.svg");
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const code = await scheduleCommand([
      "--kind",
      "wsd",
      "--peak-lr",
      "0.01",
      "--warmup-steps",
      "10",
      "--stable-steps",
      "80",
      "--decay-steps",
      "10",
      "--decay",
      "exponential",
      "--half-life",
      "3",
      "--out",
      out,
    ]);
    log.mockRestore();
    expect(code).toBe(0);
    const svg = readFileSync(out, "utf8");
    expect(svg).toContain(">decay<");
    expect(svg).toContain("wsd learning-rate schedule");
  });
  it("takes --json options, --steps and --title", async () => {
    const out = join(dir, "inf.svg");
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const code = await scheduleCommand([
      "--kind",
      "infinite",
      "--json",
      '{"peakLr":1e-3,"warmupSteps":5,"cooldownSteps":20,"constantLr":5e-4}',
      "--steps",
      "50",
      "--title",
      "inf",
      "--out",
      out,
    ]);
    log.mockRestore();
    expect(code).toBe(0);
    expect(readFileSync(out, "utf8")).toContain(">cooldown<");
  });
  it("--help prints the usage; bad input returns a non-zero code with the reason", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(await scheduleCommand(["--help"])).toBe(0);
    expect(log.mock.calls[0]![0]).toContain("--kind");
    expect(await scheduleCommand(["--kind", "wsd"])).toBe(2);
    expect(await scheduleCommand(["--bogus"])).toBe(2);
    expect(await scheduleCommand(["--kind", "cosine", "--peak-lr", "x", "--out", join(dir, "x.svg")])).toBe(2);
    expect(err.mock.calls.at(-1)![0]).toContain("--peak-lr must be a number");
    expect(
      await scheduleCommand(["--kind", "cosine", "--peak-lr", "1", "--total-steps=-4", "--out", join(dir, "x.svg")]),
    ).toBe(2);
    expect(err.mock.calls.at(-1)![0]).toContain("--total-steps must be a whole number >= 0, got -4"); // the flag, not totalSteps
    log.mockRestore();
    err.mockRestore();
  });
});
