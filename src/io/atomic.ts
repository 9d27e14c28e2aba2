/**
 * Crash-safe file and directory writes: content goes to a temporary sibling first, is flushed to disk
 * (fsync) and only then renamed over the target, so a reader sees either the old file or the complete new
 * one, never a partial write (rename within one directory is atomic on POSIX file systems).
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Writes one chunk; the function given to writeFileAtomic() calls it as often as it likes. */
export type ChunkWriter = (chunk: string | Uint8Array) => void;

let counter = 0;

/** A name in `target`'s directory that no other writer (process or call) uses at the same time. */
function tempSibling(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${counter++}`);
}

/** Whether a file or folder name is one of tempSibling()'s: left behind only by a writer that was killed. */
export function isTempName(name: string): boolean {
  return /^\..+\.tmp-\d+-\d+$/.test(name);
}

/** Flushes a directory entry (the rename) to disk; some platforms cannot open directories, which is fine. */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    // Windows cannot fsync a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Replaces `file` atomically with `content`: a string, bytes, or a function that streams chunks through the
 * writer it is given. When that function throws, the temporary file is removed, `file` is left as it was,
 * and the error propagates.
 *
 * @example
 * writeFileAtomic("runs/a/latest", "step-0000100\n");
 * writeFileAtomic("big.bin", (write) => { for (const part of parts) write(part); });
 */
export function writeFileAtomic(file: string, content: string | Uint8Array | ((write: ChunkWriter) => void)): void {
  const temp = tempSibling(file);
  const fd = fs.openSync(temp, "wx");
  try {
    const write: ChunkWriter = (chunk) => {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
      let done = 0;
      while (done < bytes.byteLength) done += fs.writeSync(fd, bytes, done, bytes.byteLength - done);
    };
    if (typeof content === "function") content(write);
    else write(content);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(temp, file);
  fsyncDir(path.dirname(file));
}

/**
 * Writes `value` as pretty-printed JSON (with a final newline), atomically.
 *
 * @example
 * writeJsonAtomic("runs/a/config.json", model.config);
 */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + "\n");
}

/**
 * Creates the directory `dir` atomically: `fill` writes its files into a temporary sibling directory, which
 * is then renamed to `dir`. An existing `dir` is replaced (moved aside, then deleted once the new one is in
 * place). When `fill` throws, the temporary directory is removed and `dir` is untouched.
 *
 * @example
 * writeDirAtomic("runs/a/checkpoints/step-0000100", (tmp) => writeJsonAtomic(path.join(tmp, "trainer.json"), state));
 */
export function writeDirAtomic(dir: string, fill: (tempDir: string) => void): void {
  const temp = tempSibling(dir);
  fs.mkdirSync(temp);
  try {
    fill(temp);
  } catch (e) {
    fs.rmSync(temp, { recursive: true, force: true });
    throw e;
  }
  let old: string | undefined;
  if (fs.existsSync(dir)) {
    old = tempSibling(dir);
    fs.renameSync(dir, old);
  }
  fs.renameSync(temp, dir);
  fsyncDir(path.dirname(dir));
  if (old) fs.rmSync(old, { recursive: true, force: true });
}
