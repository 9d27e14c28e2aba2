/**
 * Command-line flags declared once: the same table drives parsing and the `--help` text, so every flag a
 * command accepts is listed in its help. Parsing is ours rather than node:util's parseArgs so that every
 * error names the flag in the user's words (`--steps -5` is a value, not an unknown option `-5`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Device } from "../backend/backend.js";
import { ArgumentError } from "../errors.js";

/** One flag: `--name <value>` (string), `--name` (boolean) or a repeatable `--name a --name b`. */
export interface Flag {
  name: string;
  type: "string" | "boolean";
  /** Shown as the value placeholder in help, e.g. "N" or "PATH". */
  value?: string;
  default?: string;
  multiple?: boolean;
  /** A switch that may also take a value (`--resume`, `--resume 200`, `--resume=DIR`); `value` names it. */
  optionalValue?: boolean;
  help: string;
}

/** A subcommand's usage line, description and flags. */
export interface CommandSpec {
  name: string;
  usage: string;
  description: string;
  flags: readonly Flag[];
  /** What bare arguments are (e.g. "FILE"); commands without it reject them. */
  positionals?: string;
}

/** The `--help` text of a command: usage, description, then one line per flag with its default. */
export function helpText(spec: CommandSpec): string {
  const rows = [...spec.flags, { name: "help", type: "boolean", help: "show this help" } as Flag].map((f) => {
    const left = `  --${f.name}${f.type === "string" ? ` ${f.value ?? "X"}` : f.optionalValue ? ` [${f.value ?? "X"}]` : ""}`;
    const extra = [f.default !== undefined ? `default ${f.default}` : "", f.multiple ? "repeatable" : ""]
      .filter(Boolean)
      .join(", ");
    return [left, `${f.help}${extra ? ` (${extra})` : ""}`] as const;
  });
  // Descriptions line up in one column; a flag too long for it gets its description on the next line.
  const width = Math.min(28, Math.max(...rows.map(([l]) => l.length)) + 2);
  const lines = rows.map(([l, r]) => (l.length + 2 > width ? `${l}\n${" ".repeat(width)}${r}` : l.padEnd(width) + r));
  return `${spec.usage}\n\n${spec.description}\n\noptions:\n${lines.join("\n")}`;
}

/** Parsed flags: strings (or string lists) and booleans; `given` lists the flags typed on the command line. */
export interface ParsedFlags {
  values: Record<string, string | string[] | boolean | undefined>;
  given: Set<string>;
  help: boolean;
  positionals: string[];
}

/** Edit distance, to suggest the flag a typo meant. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

function unknownFlag(spec: CommandSpec, name: string): ArgumentError {
  const close = spec.flags.map((f) => f.name).filter((n) => distance(n, name) <= Math.max(1, Math.floor(n.length / 4)));
  const hint = close.length ? `; did you mean --${close[0]}?` : "";
  return new ArgumentError(
    `slmkit ${spec.name}: unknown flag --${name}${hint} (slmkit ${spec.name} --help lists them)`,
  );
}

/** A token that is a value even though it starts with a dash: a negative number such as -5 or -.5. */
const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * Parses `argv` against the spec. Unknown flags, a missing value, a value given to a switch, a flag given
 * twice and stray arguments are ArgumentErrors naming the flag.
 */
export function parseFlags(spec: CommandSpec, argv: string[]): ParsedFlags {
  const byName = new Map(spec.flags.map((f) => [f.name, f]));
  const raw = new Map<string, string | string[] | boolean>();
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (token === "-h" || token === "--help") {
      help = true;
      continue;
    }
    if (!token.startsWith("-") || token === "-" || NEGATIVE_NUMBER.test(token)) {
      positionals.push(token);
      continue;
    }
    if (!token.startsWith("--"))
      throw new ArgumentError(
        `slmkit ${spec.name}: unknown flag ${token} (flags are spelled --name; slmkit ${spec.name} --help lists them)`,
      );
    const eq = token.indexOf("=");
    const name = token.slice(2, eq < 0 ? undefined : eq);
    const flag = byName.get(name);
    if (!flag) throw unknownFlag(spec, name);
    let value: string | boolean;
    if (flag.type === "boolean") {
      const next = argv[i + 1];
      if (eq >= 0 && !flag.optionalValue)
        throw new ArgumentError(
          `slmkit ${spec.name}: --${name} is a switch and takes no value, got ${JSON.stringify(token.slice(eq + 1))}`,
        );
      if (eq >= 0) value = token.slice(eq + 1);
      else if (flag.optionalValue && next !== undefined && !next.startsWith("-")) {
        value = next;
        i++;
      } else value = true;
    } else if (eq >= 0) value = token.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2) || next === "-h") {
        throw new ArgumentError(`slmkit ${spec.name}: --${name} needs a value (${flag.value ?? "X"})`);
      }
      value = next;
      i++;
    }
    const previous = raw.get(name);
    if (flag.multiple) raw.set(name, [...((previous as string[] | undefined) ?? []), value as string]);
    else if (previous !== undefined)
      throw new ArgumentError(
        `slmkit ${spec.name}: --${name} is given twice (${JSON.stringify(previous)} and ${JSON.stringify(value)})`,
      );
    else raw.set(name, value);
  }
  if (positionals.length && !spec.positionals && !help) {
    throw new ArgumentError(
      `slmkit ${spec.name}: unexpected argument ${JSON.stringify(positionals[0])}; every option is a --flag (slmkit ${spec.name} --help lists them)`,
    );
  }
  const values: ParsedFlags["values"] = {};
  for (const f of spec.flags) values[f.name] = raw.get(f.name) ?? (f.type === "boolean" ? false : f.default);
  return { values, given: new Set(raw.keys()), help, positionals };
}

/** Bounds of a numeric flag. */
export interface NumberBounds {
  integer?: boolean;
  min?: number;
  exclusiveMin?: boolean;
  max?: number;
  /** Why the maximum is what it is, appended to the error, e.g. "the max_position_embeddings of the tiny preset". */
  maxReason?: string;
}

/** Reads a numeric flag, with an error naming the flag when it is not a number in range. */
export function numberFlag(
  command: string,
  name: string,
  raw: unknown,
  { integer = false, min = -Infinity, exclusiveMin = false, max = Infinity, maxReason }: NumberBounds = {},
): number {
  const v = Number(raw);
  const isNumber =
    typeof raw === "string" && raw.trim() !== "" && Number.isFinite(v) && (!integer || Number.isSafeInteger(v));
  const what = integer ? "a whole number" : "a number";
  if (!isNumber || (exclusiveMin ? v <= min : v < min)) {
    const range =
      max < Infinity && min > -Infinity
        ? ` in ${exclusiveMin ? "(" : "["}${min}, ${max}]`
        : min > -Infinity
          ? ` ${exclusiveMin ? ">" : ">="} ${min}`
          : "";
    throw new ArgumentError(`slmkit ${command}: --${name} must be ${what}${range}, got ${JSON.stringify(raw)}`);
  }
  if (v > max)
    throw new ArgumentError(
      `slmkit ${command}: --${name} must be at most ${max}${maxReason ? ` (${maxReason})` : ""}, got ${raw}`,
    );
  return v;
}

/** Reads a flag that takes one of a few words, with an error naming the flag and the choices. */
export function choiceFlag<T extends string>(command: string, name: string, raw: unknown, choices: readonly T[]): T {
  if (!choices.includes(raw as T))
    throw new ArgumentError(
      `slmkit ${command}: --${name} must be one of ${choices.join(", ")}, got ${JSON.stringify(raw)}`,
    );
  return raw as T;
}

/** Reads `--device`, with an error naming the flag when it is neither cpu nor cuda. */
export function deviceFlag(command: string, raw: unknown): Device {
  if (raw !== "cpu" && raw !== "cuda")
    throw new ArgumentError(`slmkit ${command}: --device must be cpu or cuda, got ${JSON.stringify(raw)}`);
  return raw;
}

/**
 * A flag naming an output folder that may not exist yet: not empty, not a file, and the nearest existing
 * folder above it really is one (otherwise creating it fails later with a bare ENOTDIR, after work was
 * done). Touches nothing on disk.
 */
export function outputFolderFlag(command: string, name: string, raw: unknown): string {
  const dir = String(raw ?? "");
  if (dir === "") throw new ArgumentError(`slmkit ${command}: --${name} must name a folder`);
  let existing = path.resolve(dir);
  while (!fs.existsSync(existing)) existing = path.dirname(existing);
  if (!fs.statSync(existing).isDirectory()) {
    const what = existing === path.resolve(dir) ? `${dir} is a file` : `${existing} is a file`;
    throw new ArgumentError(`slmkit ${command}: --${name} ${dir}: ${what}, not a folder`);
  }
  return dir;
}

/** A file flag's path must name a readable file; the error names the command, the flag and the path. */
export function requireFile(command: string, flag: string, file: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new ArgumentError(`slmkit ${command}: --${flag} ${file}: no such file`);
  }
  if (!stat.isFile()) throw new ArgumentError(`slmkit ${command}: --${flag} ${file}: not a file`);
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch {
    throw new ArgumentError(`slmkit ${command}: --${flag} ${file}: not readable`);
  }
}
