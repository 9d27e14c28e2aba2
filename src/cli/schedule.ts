// `slmkit schedule`: plot a learning-rate schedule to an SVG file.
import * as fs from "node:fs";
import * as path from "node:path";
import { ArgumentError, SlmkitError } from "../errors.js";
import { writeFileAtomic } from "../io/atomic.js";
import { scheduleFromJSON } from "../schedule/from_json.js";
import { scheduleSvg } from "../schedule/plot.js";
import { type CommandSpec, type Flag, choiceFlag, numberFlag, parseFlags } from "./flags.js";

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

/** The flags each kind takes (the rest belong to other kinds and are refused, not silently ignored). */
const KIND_FLAGS: Record<string, readonly string[]> = {
  wsd: ["peak-lr", "warmup-steps", "stable-steps", "decay-steps", "warmup", "decay", "half-life", "min-lr-ratio"],
  cosine: ["peak-lr", "warmup-steps", "total-steps", "min-lr"],
  linear: ["peak-lr", "warmup-steps", "total-steps", "min-lr"],
  constant: ["lr", "warmup-steps"],
  "inverse-sqrt": ["peak-lr", "warmup-steps"],
  infinite: [
    "peak-lr",
    "warmup-steps",
    "cooldown-steps",
    "constant-lr",
    "cooldown",
    "alpha",
    "anneal-start",
    "anneal-steps",
    "min-lr",
  ],
  rewarm: ["start-step", "rewarm-steps", "peak-lr", "decay-steps", "min-lr", "start-lr"],
};
const STRING_FLAGS = new Set(["warmup", "decay", "cooldown"]);
const OPTION_FLAGS = [...new Set(Object.values(KIND_FLAGS).flat())];

const SCHEDULE_SPEC: CommandSpec = {
  name: "schedule",
  usage: "slmkit schedule --kind KIND [options] --out FILE.svg",
  description: "Plots a learning-rate schedule as an SVG line chart with its phases marked.",
  flags: [
    { name: "kind", type: "string", value: "KIND", help: "the schedule" },
    { name: "steps", type: "string", value: "N", help: "steps to plot" },
    { name: "out", type: "string", value: "FILE", help: "where to write the SVG" },
    { name: "title", type: "string", value: "T", help: "chart title" },
    { name: "json", type: "string", value: "J", help: "every option as one JSON object" },
    ...OPTION_FLAGS.map((name): Flag => ({ name, type: "string", help: name })),
  ],
};

const camel = (flag: string): string => flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const kebab = (option: string): string => option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * A schedule constructor's error in the command's words: `WSD: peakLr must be ..., got undefined` becomes
 * `--peak-lr is required (...)` when the option came from flags; options given in --json keep their names.
 */
function inFlagWords(message: string, kind: string, fromJson: Set<string>): string {
  const m = /^[\w.]+: (\w+) (.*)$/s.exec(message);
  if (!m || fromJson.has(m[1]!) || !KIND_FLAGS[kind]!.includes(kebab(m[1]!)))
    return `slmkit schedule --kind ${kind}: ${message}`;
  const [, option, rest] = m;
  const flag = `--${kebab(option!)}`;
  const missing = / got undefined$/.exec(rest!);
  if (missing)
    return `slmkit schedule --kind ${kind}: ${flag} is required (it ${rest!.slice(0, missing.index).replace(/,$/, "")})`;
  return `slmkit schedule --kind ${kind}: ${flag} ${rest}`;
}

/**
 * Runs `slmkit schedule` with the arguments after the command name; returns the exit code (0 written,
 * 2 bad usage: the message names the flag and nothing is written).
 *
 * @example
 * await scheduleCommand(["--kind", "wsd", "--peak-lr", "0.01", "--warmup-steps", "100", "--stable-steps", "800",
 *   "--decay-steps", "100", "--out", "wsd.svg"]);
 */
export async function scheduleCommand(argv: string[]): Promise<number> {
  try {
    const { values, given, help } = parseFlags(SCHEDULE_SPEC, argv);
    if (help) {
      console.log(HELP);
      return 0;
    }
    if (values.kind === undefined)
      throw new ArgumentError(
        "slmkit schedule: --kind is required (wsd, cosine, linear, constant, inverse-sqrt, infinite or rewarm)",
      );
    const kind = choiceFlag("schedule", "kind", values.kind, Object.keys(KIND_FLAGS));
    if (values.out === undefined) throw new ArgumentError("slmkit schedule: --out FILE.svg is required");
    const out = String(values.out);
    const outDir = path.dirname(path.resolve(out));
    if (!fs.existsSync(outDir) || !fs.statSync(outDir).isDirectory())
      throw new ArgumentError(`slmkit schedule: --out ${out}: the folder ${path.dirname(out)} does not exist`);
    if (fs.existsSync(out) && fs.statSync(out).isDirectory())
      throw new ArgumentError(
        `slmkit schedule: --out ${out} is a folder; give a file name such as ${path.join(out, `${kind}.svg`)}`,
      );
    const foreign = [...given].filter((f) => OPTION_FLAGS.includes(f) && !KIND_FLAGS[kind]!.includes(f));
    if (foreign.length)
      throw new ArgumentError(
        `slmkit schedule: --${foreign[0]} does not apply to --kind ${kind} (its options: ${KIND_FLAGS[kind]!.map((f) => `--${f}`).join(" ")})`,
      );

    let json: Record<string, unknown> = {};
    if (values.json !== undefined) {
      try {
        json = JSON.parse(String(values.json)) as Record<string, unknown>;
      } catch (e) {
        throw new ArgumentError(`slmkit schedule: --json is not valid JSON: ${(e as Error).message}`);
      }
      if (typeof json !== "object" || json === null || Array.isArray(json))
        throw new ArgumentError("slmkit schedule: --json must be a JSON object of options, e.g. '{\"peakLr\":0.01}'");
    }
    const fromJson = new Set(Object.keys(json));
    for (const flag of KIND_FLAGS[kind]!) {
      if (values[flag] === undefined) continue;
      json[camel(flag)] = STRING_FLAGS.has(flag) ? values[flag] : numberFlag("schedule", flag, values[flag]);
      fromJson.delete(camel(flag));
    }
    const steps =
      values.steps === undefined ? undefined : numberFlag("schedule", "steps", values.steps, { integer: true, min: 1 });
    let schedule;
    try {
      schedule = scheduleFromJSON({ ...json, kind });
    } catch (e) {
      if (!(e instanceof SlmkitError)) throw e;
      throw new ArgumentError(inFlagWords(e.message, kind, fromJson));
    }
    const end = (schedule as { totalSteps?: number }).totalSteps;
    const plotted = steps ?? (end !== undefined && end > 0 ? Math.ceil(end * 1.1) : 1000);
    writeFileAtomic(
      out,
      scheduleSvg(schedule, { steps: plotted, ...(values.title !== undefined ? { title: String(values.title) } : {}) }),
    );
    console.log(`wrote ${out} (${kind}, ${plotted} steps)`);
    return 0;
  } catch (e) {
    if (!(e instanceof ArgumentError)) throw e;
    console.error(`${e.message}\n(slmkit schedule --help lists the options of each kind)`);
    return 2;
  }
}
