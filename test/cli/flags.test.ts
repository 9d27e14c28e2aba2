// The flag parser: values that start with a dash, --name=value, switches, repeatable flags, positionals,
// and an error naming the flag for each way a command line can be wrong.
import { describe, expect, it } from "vitest";
import { type CommandSpec, numberFlag, parseFlags } from "../../src/cli/flags.js";

const spec: CommandSpec = {
  name: "demo",
  usage: "",
  description: "",
  flags: [
    { name: "steps", type: "string", value: "N", default: "10", help: "" },
    { name: "data", type: "string", multiple: true, help: "" },
    { name: "quiet", type: "boolean", help: "" },
  ],
};

describe("parseFlags", () => {
  it("reads values, defaults, switches, repeats and negative numbers", () => {
    expect(parseFlags(spec, []).values).toEqual({ steps: "10", data: undefined, quiet: false });
    const p = parseFlags(spec, ["--steps", "-5", "--data", "a", "--data=b", "--quiet"]);
    expect(p.values).toEqual({ steps: "-5", data: ["a", "b"], quiet: true });
    expect([...p.given].sort()).toEqual(["data", "quiet", "steps"]);
    expect(parseFlags(spec, ["--steps=-.5"]).values.steps).toBe("-.5");
    expect(parseFlags(spec, ["-h"]).help).toBe(true);
    expect(parseFlags({ ...spec, positionals: "FILE" }, ["x", "--", "--y"]).positionals).toEqual(["x", "--y"]);
  });

  it("names the flag in every error", () => {
    expect(() => parseFlags(spec, ["--step", "3"])).toThrow(
      /^slmkit demo: unknown flag --step; did you mean --steps\? \(slmkit demo --help lists them\)$/,
    );
    expect(() => parseFlags(spec, ["--zzz"])).toThrow(
      /^slmkit demo: unknown flag --zzz \(slmkit demo --help lists them\)$/,
    );
    expect(() => parseFlags(spec, ["-s", "3"])).toThrow(/unknown flag -s \(flags are spelled --name/);
    expect(() => parseFlags(spec, ["--steps"])).toThrow(/^slmkit demo: --steps needs a value \(N\)$/);
    expect(() => parseFlags(spec, ["--steps", "--quiet"])).toThrow(/--steps needs a value/);
    expect(() => parseFlags(spec, ["--quiet=1"])).toThrow(/--quiet is a switch and takes no value, got "1"/);
    expect(() => parseFlags(spec, ["--steps", "1", "--steps", "2"])).toThrow(/--steps is given twice \("1" and "2"\)/);
    expect(() => parseFlags(spec, ["-5"])).toThrow(/unexpected argument "-5"/);
  });
});

describe("numberFlag", () => {
  it("states the range it wanted and what it got", () => {
    expect(numberFlag("c", "n", "3", { integer: true, min: 1 })).toBe(3);
    expect(() => numberFlag("c", "n", "-5", { integer: true, min: 1 })).toThrow(
      /^slmkit c: --n must be a whole number >= 1, got "-5"$/,
    );
    expect(() => numberFlag("c", "x", "abc")).toThrow(/^slmkit c: --x must be a number, got "abc"$/);
    expect(() => numberFlag("c", "x", "0", { min: 0, exclusiveMin: true, max: 1 })).toThrow(
      /must be a number in \(0, 1\], got "0"/,
    );
    expect(() => numberFlag("c", "x", "2", { max: 1, maxReason: "why" })).toThrow(
      /^slmkit c: --x must be at most 1 \(why\), got 2$/,
    );
    expect(() => numberFlag("c", "n", "1e300", { integer: true })).toThrow(/whole number/);
  });
});
