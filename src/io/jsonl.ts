// JSON Lines record files that experiments rewrite after every run, so that a killed process leaves a file
// listing every run finished so far and the run it was in: what resuming an experiment reads back.
import * as fs from "node:fs";
import { ArgumentError } from "../errors.js";
import { writeFileAtomic } from "./atomic.js";

/**
 * The records of a JSON Lines file, one object per non-empty line; [] when the file does not exist.
 * A line that is not a JSON object is an ArgumentError naming the file and the line.
 *
 * @example
 * const done = readJsonl("runs/tunnel/trials.jsonl").filter((r) => r.status === "done");
 */
export function readJsonl(file: string): Record<string, unknown>[] {
  if (!fs.existsSync(file)) return [];
  const records: Record<string, unknown>[] = [];
  fs.readFileSync(file, "utf8")
    .split("\n")
    .forEach((line, i) => {
      if (line.trim() === "") return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new ArgumentError(`${file}:${i + 1}: not a JSON line: ${line.slice(0, 80)}`);
      }
      if (value === null || typeof value !== "object" || Array.isArray(value))
        throw new ArgumentError(`${file}:${i + 1}: expected a JSON object, got ${line.slice(0, 80)}`);
      records.push(value as Record<string, unknown>);
    });
  return records;
}

/**
 * Replaces `file` atomically with one JSON line per record (a reader never sees half a line).
 *
 * @example
 * writeJsonl("runs/tunnel/trials.jsonl", records);
 */
export function writeJsonl(file: string, records: readonly unknown[]): void {
  writeFileAtomic(file, records.map((r) => `${JSON.stringify(r)}\n`).join(""));
}
