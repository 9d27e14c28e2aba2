// Shared by the CLI tests: a scratch folder with a small corpus, the flags of a train run that takes a few
// seconds, and the CLI run as a child process.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const root = path.resolve(__dirname, "../..");

/** A scratch folder holding corpus.txt; remove it with fs.rmSync(dir, { recursive: true }). */
export function scratch(prefix: string): { dir: string; corpus: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const corpus = path.join(dir, "corpus.txt");
  fs.writeFileSync(
    corpus,
    "The state of the Union is strong, and the Congress of the United States shall meet. ".repeat(60),
  );
  return { dir, corpus };
}

/** A 300-token vocabulary and batches of 2 sequences of 16 tokens: what keeps a CLI training run to seconds. */
export const SMALL_BATCHES = ["--vocab-size", "300", "--batch-size", "2", "--seq-len", "16"];

/** Flags of a tiny, quick train run on `corpus` into `out`/`name` (add --steps). */
export function quickRun(out: string, name: string, corpus: string): string[] {
  return [
    "--out",
    out,
    "--name",
    name,
    "--data",
    corpus,
    ...SMALL_BATCHES,
    "--eval-every",
    "2",
    "--eval-batches",
    "1",
    "--checkpoint-every",
    "2",
    "--log-every",
    "1",
    "--warmup",
    "1",
    "--samples",
    "1",
    "--sample-tokens",
    "4",
    "--quiet",
  ];
}

/** Runs `slmkit ...args` from the sources; returns the exit status and both streams. */
export function cli(
  args: string[],
  env: Record<string, string> = {},
): { status: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, ["--import", "tsx", path.join(root, "src/cli/main.ts"), ...args], {
      cwd: root,
      encoding: "utf8",
      stdio: "pipe",
      env: { ...process.env, ...env },
    });
    return { status: 0, stdout, stderr: "" };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { status: err.status, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Every path under `dir`, relative to it, sorted (empty when `dir` does not exist). */
export function tree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

/** `args` with flag `--name`'s value replaced by `value` (added when absent). */
export function withFlag(args: string[], name: string, value: string): string[] {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? [...args, `--${name}`, value] : [...args.slice(0, i + 1), value, ...args.slice(i + 2)];
}
