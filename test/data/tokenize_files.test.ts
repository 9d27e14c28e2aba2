import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { tokenizeCommand } from "../../src/cli/tokenize.js";
import { ArgumentError, BpeTokenizer, loadSotu, readShard, sotuTexts, tokenizeFiles } from "../../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "slmkit-tokenize-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const texts = sotuTexts({ from: 1790, to: 1792 });
const tok = BpeTokenizer.train(texts, { vocabSize: 600 });
const files = texts.map((t, i) => {
  const p = join(dir, `doc${i}.txt`);
  writeFileSync(p, t);
  return p;
});
const allTokens = (paths: string[]): number[] => paths.flatMap((p) => [...readShard(p).tokens]);

describe("tokenizeFiles", () => {
  it("writes each file as a document ended by EOS, split into shards of shardTokens", () => {
    const expected = texts.flatMap((t) => [...tok.encode(t), tok.eosId!]);
    const outDir = join(dir, "out-small");
    const paths = tokenizeFiles({ inputs: files, tokenizer: tok, outDir, shardTokens: 1000 });
    expect(paths).toHaveLength(Math.ceil(expected.length / 1000));
    expect(paths.map((p) => p.slice(outDir.length + 1))).toEqual(
      paths.map((_, i) => `shard-${String(i).padStart(5, "0")}.bin`),
    );
    paths.slice(0, -1).forEach((p) => expect(readShard(p).tokens).toHaveLength(1000));
    expect(allTokens(paths)).toEqual(expected);
    expect(readShard(paths[0]!).vocabSize).toBe(600);
  });

  it("reads large files in chunks without changing a single token", () => {
    // > 8 MB so the reader cuts it. Most lines end in whitespace, where a cut would change the pieces
    // ("  \n" at the end of a chunk is one piece, inside the file two); multi-byte characters straddle reads.
    // Only the rare "x" line allows a cut (a non-space before "\n", a letter after), so a reader that cut at
    // the last newline before a letter, ignoring the rule, would almost surely cut in a bad place.
    const lines = ["Fellow citizens   ", "of the Union  ", "naïve café 🙂 東京 ", "", "2024 numbers\t", "  indented"];
    let big = "";
    for (let i = 0; big.length < 9_000_000; i++) big += (i % 997 === 0 ? "x" : lines[i % lines.length]) + "\n";
    const path = join(dir, "big.txt");
    writeFileSync(path, big);
    // Trained on these lines, the tokenizer has whitespace merges (" \n", "   "), so a bad cut changes ids.
    const wsTok = BpeTokenizer.train([big.slice(0, 10_000)], { vocabSize: 340, minFrequency: 1 });
    expect(wsTok.tokenToId("ĠĊ")).toBeDefined();
    const paths = tokenizeFiles({ inputs: [path], tokenizer: wsTok, outDir: join(dir, "out-big") });
    expect(paths).toHaveLength(1);
    const got = readShard(paths[0]!).tokens;
    const want = [...wsTok.encode(big), wsTok.eosId!];
    expect(got.length).toBe(want.length);
    expect(got.every((t, i) => t === want[i])).toBe(true);
  });

  it("refuses a directory that already holds shards, a tokenizer without EOS and missing files", () => {
    const outDir = join(dir, "out-twice");
    tokenizeFiles({ inputs: files.slice(0, 1), tokenizer: tok, outDir });
    expect(() => tokenizeFiles({ inputs: files.slice(0, 1), tokenizer: tok, outDir })).toThrow(/already holds shards/);
    const noEos = BpeTokenizer.train(texts, { vocabSize: 300, specialTokens: [] });
    expect(() => tokenizeFiles({ inputs: files, tokenizer: noEos, outDir: join(dir, "x") })).toThrow(
      /no end-of-text token/,
    );
    expect(() => tokenizeFiles({ inputs: [join(dir, "missing.txt")], tokenizer: tok, outDir: join(dir, "y") })).toThrow(
      ArgumentError,
    );
    expect(() => tokenizeFiles({ inputs: [], tokenizer: tok, outDir: join(dir, "z") })).toThrow(
      /at least one text file/,
    );
  });
});

describe("slmkit tokenize", () => {
  it("trains a tokenizer on the inputs, saves it and writes shards", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const out = join(dir, "cli-train");
    const code = await tokenizeCommand([
      "--train-tokenizer",
      "--vocab-size",
      "600",
      "--out",
      out,
      "--shard-tokens",
      "5000",
      ...files,
    ]);
    expect(code).toBe(0);
    const trained = BpeTokenizer.load(join(out, "tokenizer.json"));
    expect(trained.toJSON()).toEqual(tok.toJSON()); // same inputs, same options: the same tokenizer
    const shards = readdirSync(out)
      .filter((f) => f.endsWith(".bin"))
      .sort()
      .map((f) => join(out, f));
    expect(allTokens(shards)).toEqual(texts.flatMap((t) => [...tok.encode(t), tok.eosId!]));
    expect(log.mock.calls.flat().join("\n")).toMatch(/shard\(s\) in/);
  });

  it("uses a given tokenizer.json", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const tokPath = join(dir, "given.json");
    tok.save(tokPath);
    const out = join(dir, "cli-given");
    expect(await tokenizeCommand(["--tokenizer", tokPath, "--out", out, files[0]!])).toBe(0);
    expect(existsSync(join(out, "tokenizer.json"))).toBe(false);
    expect(allTokens([join(out, "shard-00000.bin")])).toEqual([...tok.encode(texts[0]!), tok.eosId!]);
  });

  it("prints help, and answers usage mistakes with 2 and failures with 1", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(await tokenizeCommand(["--help"])).toBe(0);
    expect(log.mock.calls[0]![0]).toMatch(/slmkit tokenize \[options\] FILE/);
    expect(await tokenizeCommand(["--out", dir])).toBe(2);
    expect(await tokenizeCommand(["--out", dir, files[0]!])).toBe(2); // neither --tokenizer nor --train-tokenizer
    expect(await tokenizeCommand(["--tokenizer", "t.json", "--train-tokenizer", "--out", dir, files[0]!])).toBe(2);
    expect(await tokenizeCommand(["--bogus"])).toBe(2);
    // A missing tokenizer or an --out under a file is refused before any work (2), naming the flag.
    expect(await tokenizeCommand(["--tokenizer", join(dir, "nope.json"), "--out", join(dir, "o"), files[0]!])).toBe(2);
    expect(err.mock.calls.at(-1)![0]).toMatch(/--tokenizer .*nope.json: no such file/);
    expect(await tokenizeCommand(["--train-tokenizer", "--out", join(files[0]!, "sub"), files[0]!])).toBe(2);
    expect(err.mock.calls.at(-1)![0]).toMatch(/--out .*sub: .* is a file, not a folder/);
  });
});

describe("State of the Union corpus", () => {
  it("loads all addresses, sorted by year, and filters a year range", () => {
    const all = loadSotu();
    expect(all.length).toBeGreaterThan(200);
    expect(all[0]!.year).toBe(1790);
    expect(all[0]!.name).toBe("George Washington");
    expect(all.every((a, i) => i === 0 || all[i - 1]!.year <= a.year)).toBe(true);
    expect(all.reduce((n, a) => n + a.text.length, 0)).toBeGreaterThan(10_000_000);
    const some = loadSotu({ from: 1900, to: 1910 });
    expect(some.map((a) => a.year)).toEqual([1900, 1901, 1902, 1903, 1904, 1905, 1906, 1907, 1908, 1909, 1910]);
    expect(sotuTexts({ from: 1900, to: 1910 })).toEqual(some.map((a) => a.text));
    expect(() => loadSotu({ from: 2000, to: 1990 })).toThrow(/need from <= to/);
  });
});
