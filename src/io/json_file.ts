/**
 * Reading a JSON file that slmkit wrote (run.json, config.json, trainer.json, ...): a missing, unreadable
 * or damaged file is an ArgumentError that names it, never a bare SyntaxError.
 */
import * as fs from "node:fs";
import { ArgumentError } from "../errors.js";

/**
 * The parsed contents of `file`; `what` is the caller's name for the error ("slmkit generate", ...).
 *
 * @example
 * const config = readJsonFile("runs/demo/config.json", "slmkit generate");
 */
export function readJsonFile(file: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new ArgumentError(`${what}: cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ArgumentError(`${what}: ${file} is damaged: not valid JSON (${(e as Error).message})`);
  }
}

/** Whether `v` is a plain JSON object (not null, not an array). */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
