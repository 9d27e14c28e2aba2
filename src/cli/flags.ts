/**
 * Command-line flags declared once: the same table drives node:util's parseArgs and the `--help` text, so
 * every flag a command accepts is listed in its help.
 */
import { parseArgs } from "node:util";
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
  help: string;
}

/** A subcommand's usage line, description and flags. */
export interface CommandSpec {
  name: string;
  usage: string;
  description: string;
  flags: readonly Flag[];
}

/** The `--help` text of a command: usage, description, then one line per flag with its default. */
export function helpText(spec: CommandSpec): string {
  const rows = [...spec.flags, { name: "help", type: "boolean", help: "show this help" } as Flag].map((f) => {
    const left = `  --${f.name}${f.type === "string" ? ` ${f.value ?? "X"}` : ""}`;
    const extra = [f.default !== undefined ? `default ${f.default}` : "", f.multiple ? "repeatable" : ""].filter(Boolean).join(", ");
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
}

/** Parses `argv` against the spec; unknown flags and stray arguments are ArgumentErrors naming them. */
export function parseFlags(spec: CommandSpec, argv: string[]): ParsedFlags {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = { help: { type: "boolean" } };
  for (const f of spec.flags) options[f.name] = { type: f.type, ...(f.multiple ? { multiple: true } : {}) };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (e) {
    throw new ArgumentError(`slmkit ${spec.name}: ${(e as Error).message} (see slmkit ${spec.name} --help)`);
  }
  const given = new Set(Object.keys(parsed.values));
  const values: ParsedFlags["values"] = {};
  for (const f of spec.flags) values[f.name] = (parsed.values[f.name] as string | string[] | boolean | undefined) ?? (f.type === "boolean" ? false : f.default);
  return { values, given, help: parsed.values.help === true };
}

/** Reads a numeric flag, with an error naming the flag when it is not a number in range. */
export function numberFlag(command: string, name: string, raw: unknown, { integer = false, min = -Infinity, exclusiveMin = false } = {}): number {
  const v = Number(raw);
  const ok = typeof raw === "string" && raw.trim() !== "" && Number.isFinite(v) && (!integer || Number.isInteger(v)) && (exclusiveMin ? v > min : v >= min);
  if (!ok) throw new ArgumentError(`slmkit ${command}: --${name} must be ${integer ? "a whole number" : "a number"} ${exclusiveMin ? ">" : ">="} ${min}, got ${JSON.stringify(raw)}`);
  return v;
}

/** Reads `--device`, with an error naming the flag when it is neither cpu nor cuda. */
export function deviceFlag(command: string, raw: unknown): Device {
  if (raw !== "cpu" && raw !== "cuda") throw new ArgumentError(`slmkit ${command}: --device must be cpu or cuda, got ${JSON.stringify(raw)}`);
  return raw;
}
