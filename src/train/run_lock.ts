/**
 * The run-directory lock: one training at a time per run directory. The lock is a file, `run.lock`, made
 * with O_EXCL and holding its owner (pid, host, start time, command); a lock whose process is gone (same
 * host, pid no longer alive) is stale and taken over, with a note. Within one process the lock is
 * re-entrant, so `slmkit train` can hold it around its own checks while the Trainer takes it again.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SlmkitError } from "../errors.js";

/** Another live process (or one on another host) holds the run directory. */
export class RunLockedError extends SlmkitError {}

/** What run.lock records about its owner. */
export interface LockOwner {
  pid: number;
  host: string;
  started: string;
  command: string;
}

/** A held lock; release() is idempotent. */
export interface RunLock {
  readonly file: string;
  release(): void;
}

export const LOCK_FILE = "run.lock";

/** Locks held by this process: file -> how many holders. */
const held = new Map<string, number>();

// A process that exits without releasing (process.exit on a second Ctrl-C) still removes its locks.
process.on("exit", () => {
  for (const file of held.keys()) fs.rmSync(file, { force: true });
});

function readOwner(file: string): LockOwner | null {
  try {
    const o = JSON.parse(fs.readFileSync(file, "utf8")) as LockOwner;
    return Number.isInteger(o?.pid) && typeof o.host === "string" ? o : null;
  } catch {
    return null; // vanished, or half-written by an owner that is creating it right now
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by another user
  }
}

const describeOwner = (o: LockOwner): string => `pid ${o.pid} on ${o.host}, started ${o.started} (${o.command})`;

/**
 * Takes the lock of run directory `dir` (created if missing) for `command`, or throws a RunLockedError
 * naming the holder. `onStale` hears about a lock left by a dead process, which is taken over.
 *
 * @example
 * const lock = lockRunDir("runs/demo", "slmkit train");
 * try { ... } finally { lock.release(); }
 */
export function lockRunDir(dir: string, command: string, onStale: (note: string) => void = () => {}): RunLock {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(fs.realpathSync(dir), LOCK_FILE);
  const count = held.get(file);
  if (count !== undefined) {
    held.set(file, count + 1);
    return handle(file);
  }
  const me: LockOwner = { pid: process.pid, host: os.hostname(), started: new Date().toISOString(), command };
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, `${JSON.stringify(me)}\n`, { flag: "wx" });
      held.set(file, 1);
      return handle(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const owner = readOwner(file);
    if (owner && (owner.host !== me.host || alive(owner.pid) || attempt >= 3)) {
      const where = owner.host === me.host ? "" : ` (another host: if that process is gone, delete ${file})`;
      throw new RunLockedError(`${dir} is in use by another training: ${describeOwner(owner)}${where}`);
    }
    if (!owner && attempt >= 3)
      throw new RunLockedError(
        `${dir} is locked: ${file} exists but is unreadable; delete it if no training runs there`,
      );
    if (!owner)
      sleep(50); // its owner may be writing it this instant
    else {
      // Move the stale lock aside rather than deleting it, and only keep it aside if it is still the one
      // read above: two processes taking over at once must not remove each other's fresh lock.
      const aside = `${file}.stale-${process.pid}`;
      try {
        fs.renameSync(file, aside);
      } catch {
        continue; // someone else took it over first
      }
      if (JSON.stringify(readOwner(aside)) === JSON.stringify(owner)) {
        fs.rmSync(aside, { force: true });
        onStale(`removed a stale lock of ${dir} left by ${describeOwner(owner)}, which is no longer running`);
      } else {
        // Not the stale lock after all: put it back unless a new owner has appeared meanwhile.
        try {
          fs.linkSync(aside, file);
        } catch {
          // a new lock exists; the next attempt reads it
        }
        fs.rmSync(aside, { force: true });
      }
    }
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function handle(file: string): RunLock {
  let released = false;
  return {
    file,
    release() {
      if (released) return;
      released = true;
      const count = held.get(file) ?? 0;
      if (count > 1) held.set(file, count - 1);
      else {
        held.delete(file);
        fs.rmSync(file, { force: true });
      }
    },
  };
}
