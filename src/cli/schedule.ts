// `slmkit schedule`: plot a learning-rate schedule to an SVG file.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { scheduleFromJSON } from "../schedule/from_json.js";
import { scheduleSvg } from "../schedule/plot.js";

const HELP = `slmkit schedule --kind KIND [options] --out FILE.svg

Plots a learning-rate schedule as an SVG line chart with its phases marked.

  --kind       wsd | cosine | linear | constant | inverse-sqrt | infinite | rewarm
  --steps N    steps to plot (default: the schedule's end plus 10%, or 1000)
  --out FILE   where to write the SVG (required)
  --title T    chart title
  --json J     every option as one JSON object instead of the flags below, e.g. '{"peakLr":0.01,...}'

  options, by kind (numbers; names as the library's options):
  wsd          --peak-lr --warmup-steps --stable-steps --decay-steps --warmup linear|cosine|1-sqrt
               --decay exponential|linear|cosine|1-sqrt --half-life --min-lr-ratio
  cosine, linear  --peak-lr --warmup-steps --total-steps --min-lr
  constant     --lr --warmup-steps
  inverse-sqrt --peak-lr --warmup-steps
  infinite     --peak-lr --warmup-steps --cooldown-steps --constant-lr --cooldown cosine|inverse-sqrt --alpha
               --anneal-start --anneal-steps --min-lr
  rewarm       --start-step --rewarm-steps --peak-lr --decay-steps --min-lr --start-lr`;

const NUMBER_FLAGS = [
  "peak-lr", "lr", "warmup-steps", "stable-steps", "decay-steps", "half-life", "min-lr-ratio", "total-steps", "min-lr",
  "cooldown-steps", "constant-lr", "alpha", "anneal-start", "anneal-steps", "start-step", "rewarm-steps", "start-lr",
] as const;
const STRING_FLAGS = ["warmup", "decay", "cooldown"] as const;

const camel = (flag: string): string => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Runs `slmkit schedule` with the arguments after the command name; returns the exit code.
 *
 * @example
 * await scheduleCommand(["--kind", "wsd", "--peak-lr", "0.01", "--warmup-steps", "100", "--stable-steps", "800",
 *   "--decay-steps", "100", "--out", "wsd.svg"]);
 */
export async function scheduleCommand(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries([
      ...[...NUMBER_FLAGS, ...STRING_FLAGS, "kind", "steps", "out", "title", "json"].map((f) => [f, { type: "string" as const }]),
      ["help", { type: "boolean" as const, short: "h" }],
    ]);
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (e) {
    console.error(`schedule: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (typeof values.kind !== "string" || typeof values.out !== "string") {
    console.error(`schedule: --kind and --out are required\n\n${HELP}`);
    return 2;
  }
  try {
    const json: Record<string, unknown> = typeof values.json === "string" ? (JSON.parse(values.json) as Record<string, unknown>) : {};
    for (const flag of NUMBER_FLAGS) {
      const v = values[flag];
      if (typeof v === "string") {
        if (v.trim() === "" || !Number.isFinite(Number(v))) throw new Error(`--${flag} must be a number, got "${v}"`);
        json[camel(flag)] = Number(v);
      }
    }
    for (const flag of STRING_FLAGS) if (typeof values[flag] === "string") json[flag] = values[flag];
    const schedule = scheduleFromJSON({ ...json, kind: values.kind });
    const end = (schedule as { totalSteps?: number }).totalSteps;
    const steps = typeof values.steps === "string" ? Number(values.steps) : end !== undefined && end > 0 ? Math.ceil(end * 1.1) : 1000;
    const svg = scheduleSvg(schedule, { steps, ...(typeof values.title === "string" ? { title: values.title } : {}) });
    writeFileSync(values.out, svg);
    console.log(`wrote ${values.out} (${values.kind}, ${steps} steps)`);
    return 0;
  } catch (e) {
    console.error(`schedule: ${(e as Error).message}`);
    return 1;
  }
}
