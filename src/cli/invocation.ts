/**
 * How the user should type slmkit in the hints the CLI prints ("try: ... generate ..."), so that the
 * printed command works where they are: `npx slmkit` where npx finds the command (an installed package,
 * or a clone whose `npm install` linked scripts/clone-cli), else tsx on the clone's sources.
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { packageRoot } from "../backend/loader.js";

/** What the answer depends on; tests pass their own. */
export interface InvocationHost {
  /** The slmkit package root: a clone, or node_modules/slmkit of a project. */
  root: string;
  cwd: string;
  exists(path: string): boolean;
}

function processHost(): InvocationHost {
  return { root: packageRoot(), cwd: process.cwd(), exists: existsSync };
}

/**
 * The command prefix that runs slmkit from the current folder, e.g. `npx slmkit` or `npx tsx src/cli/main.ts`.
 *
 * @example
 * console.log(`try: ${slmkitCommand()} generate --run runs/sotu-tiny`);
 */
export function slmkitCommand(host: InvocationHost = processHost()): string {
  const sources = join(host.root, "src/cli/main.ts");
  // An installed package has no sources; npx finds its bin in the project's node_modules/.bin.
  if (!host.exists(sources)) return "npx slmkit";
  const rel = relative(host.root, host.cwd);
  const insideClone = rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
  if (insideClone && host.exists(join(host.root, "node_modules/.bin/slmkit"))) return "npx slmkit";
  const main = relative(host.cwd, sources);
  return `npx tsx ${main.includes(" ") ? JSON.stringify(main) : main}`;
}
