import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ArgumentError,
  MixtureSampler,
  TokenSampler,
  writeShard,
  type Batch,
  type BatchSource,
} from "../../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "slmkit-sampler-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Tokens 0..n-1: every token says where it came from. */
const iota = (n: number, offset = 0): Uint32Array => Uint32Array.from({ length: n }, (_, i) => offset + i);

/** The first token of each row of a batch. */
const rowStarts = (b: Batch): number[] => Array.from({ length: b.batchSize }, (_, r) => b.inputs[r * b.seqLen]!);

/** Draws `rows` rows (whole batches) and returns their first tokens. */
function drawRows(s: BatchSource, batches: number): number[] {
  return Array.from({ length: batches }, () => rowStarts(s.next())).flat();
}

describe("TokenSampler", () => {
  const T = 7; // windows of 8 tokens
  const tokens = iota(8 * 100 + 5); // 100 windows and a 5-token tail

  it("reads windows of T + 1 consecutive tokens: targets are inputs shifted by one", () => {
    const s = new TokenSampler(tokens, { batchSize: 3, seqLen: T, seed: 1 });
    for (let k = 0; k < 5; k++) {
      const b = s.next();
      expect(b.inputs).toHaveLength(3 * T);
      expect(b.targets).toBeInstanceOf(Int32Array);
      for (let r = 0; r < 3; r++) {
        const start = b.inputs[r * T]!;
        expect(start % 8).toBe(0); // windows start at multiples of T + 1
        for (let t = 0; t < T; t++) {
          expect(b.inputs[r * T + t]).toBe(start + t);
          expect(b.targets[r * T + t]).toBe(start + t + 1);
        }
      }
    }
  });

  it("splits windows into disjoint train and validation sets that cover everything", () => {
    const opts = { batchSize: 1, seqLen: T, validFraction: 0.1 };
    const train = new TokenSampler(tokens, { ...opts, seed: 3 });
    const valid = new TokenSampler(tokens, { ...opts, seed: 4, split: "valid" });
    expect(valid.numWindows).toBe(10);
    expect(train.numWindows).toBe(90);
    const trainStarts = new Set(drawRows(train, 90));
    const validStarts = new Set(drawRows(valid, 10));
    expect(trainStarts.size).toBe(90);
    expect(validStarts.size).toBe(10);
    // No token is shared: windows do not overlap, not even in one boundary token.
    const tokensOf = (starts: Set<number>): Set<number> =>
      new Set([...starts].flatMap((s) => Array.from({ length: T + 1 }, (_, t) => s + t)));
    const trainTokens = tokensOf(trainStarts);
    for (const t of tokensOf(validStarts)) expect(trainTokens.has(t)).toBe(false);
    expect(new Set([...trainStarts, ...validStarts])).toEqual(new Set(Array.from({ length: 100 }, (_, w) => 8 * w)));
    // The split does not depend on the shuffle seed, only on splitSeed.
    const validOther = new Set(drawRows(new TokenSampler(tokens, { ...opts, seed: 99, split: "valid" }), 10));
    expect(validOther).toEqual(validStarts);
    const validMoved = new Set(drawRows(new TokenSampler(tokens, { ...opts, splitSeed: 5, split: "valid" }), 10));
    expect(validMoved).not.toEqual(validStarts);
  });

  it("visits every window once per epoch, in a new order each epoch", () => {
    const s = new TokenSampler(tokens, { batchSize: 10, seqLen: T, seed: 7 });
    const epoch0 = drawRows(s, 10);
    const epoch1 = drawRows(s, 10);
    expect([...epoch0].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, w) => 8 * w));
    expect([...epoch1].sort((a, b) => a - b)).toEqual([...epoch0].sort((a, b) => a - b));
    expect(epoch1).not.toEqual(epoch0);
  });

  it("is deterministic per seed and differs between seeds", () => {
    const a = drawRows(new TokenSampler(tokens, { batchSize: 4, seqLen: T, seed: 11 }), 30);
    const b = drawRows(new TokenSampler(tokens, { batchSize: 4, seqLen: T, seed: 11 }), 30);
    const c = drawRows(new TokenSampler(tokens, { batchSize: 4, seqLen: T, seed: 12 }), 30);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it("resumes bit for bit from a JSON state, across epoch boundaries", () => {
    const opts = { batchSize: 7, seqLen: T, seed: 5, validFraction: 0.2 };
    const original = new TokenSampler(tokens, opts);
    for (let k = 0; k < 13; k++) original.next(); // 91 rows: past the first epoch of 80 windows
    const saved = JSON.stringify(original.state());
    const resumed = new TokenSampler(tokens, opts);
    resumed.setState(JSON.parse(saved));
    for (let k = 0; k < 40; k++) {
      const x = original.next();
      const y = resumed.next();
      expect(y.inputs).toEqual(x.inputs);
      expect(y.targets).toEqual(x.targets);
    }
  });

  it("refuses a state from a different sampler", () => {
    const a = new TokenSampler(tokens, { batchSize: 2, seqLen: T, seed: 1 });
    const b = new TokenSampler(tokens, { batchSize: 2, seqLen: T, seed: 2 });
    expect(() => b.setState(a.state())).toThrow(/belongs to a different sampler/);
    expect(() => a.setState({ ...(a.state() as object), cursor: 1000 })).toThrow(/out of range/);
    expect(() => a.setState(null)).toThrow(ArgumentError);
  });

  it("keeps windows inside each sequence (shard) and reads shards from disk", () => {
    const seqs = [iota(8 * 3 + 2, 1000), iota(5, 2000), iota(8 * 4, 3000)]; // 3, 0 and 4 windows
    const paths = seqs.map((s, i) => {
      const p = join(dir, `s${i}.bin`);
      writeShard(p, s, { vocabSize: 4000 });
      return p;
    });
    for (const s of [
      new TokenSampler(seqs, { batchSize: 7, seqLen: T, seed: 2 }),
      TokenSampler.fromShards(paths, { batchSize: 7, seqLen: T, seed: 2 }),
    ]) {
      expect(s.numWindows).toBe(7);
      const b = s.next();
      const starts = rowStarts(b).sort((x, y) => x - y);
      expect(starts).toEqual([1000, 1008, 1016, 3000, 3008, 3016, 3024]);
      for (let r = 0; r < 7; r++) expect(b.targets[r * T + T - 1]).toBe(b.inputs[r * T]! + T);
    }
  });

  it("rejects bad options and too little data", () => {
    expect(() => new TokenSampler(tokens, { batchSize: 0, seqLen: T })).toThrow(/batchSize/);
    expect(() => new TokenSampler(tokens, { batchSize: 1, seqLen: 2.5 })).toThrow(/seqLen/);
    expect(() => new TokenSampler(tokens, { batchSize: 1, seqLen: T, validFraction: 1 })).toThrow(/validFraction/);
    expect(() => new TokenSampler(iota(7), { batchSize: 1, seqLen: T })).toThrow(
      /train split has no windows of 8 tokens/,
    );
    expect(() => new TokenSampler(tokens, { batchSize: 1, seqLen: T, split: "valid" })).toThrow(
      /valid split has no windows/,
    );
    expect(() => TokenSampler.fromShards([], { batchSize: 1, seqLen: T })).toThrow(/paths is empty/);
  });
});

describe("MixtureSampler", () => {
  const T = 3;
  const make = (offset: number, seed: number, batchSize = 5): TokenSampler =>
    new TokenSampler(iota(4 * 1000, offset), { batchSize, seqLen: T, seed });
  const sourceOf = (start: number): number => Math.floor(start / 100_000);

  it("draws rows from each source with the given weights (binomial tolerance)", () => {
    const rows = 20_000;
    const mix = new MixtureSampler(
      [
        { name: "new", source: make(0, 1), weight: 3 },
        { name: "replay", source: make(100_000, 2, 4), weight: 1 },
      ],
      { seed: 9, batchSize: 8 },
    );
    const starts = drawRows(mix, rows / 8);
    const replay = starts.filter((s) => sourceOf(s) === 1).length;
    // Rows are independent draws: replay ~ Binomial(20000, 0.25), sd = sqrt(n p (1 - p)) ≈ 61; allow 4 sd.
    const sd = Math.sqrt(rows * 0.25 * 0.75);
    expect(Math.abs(replay - rows * 0.25)).toBeLessThan(4 * sd);
  });

  it("takes each source's rows in that source's own order, none skipped", () => {
    const a = make(0, 1);
    const b = make(100_000, 2, 4);
    const mix = new MixtureSampler(
      [
        { name: "a", source: a, weight: 1 },
        { name: "b", source: b, weight: 1 },
      ],
      { seed: 3 },
    );
    const starts = drawRows(mix, 20); // batch size defaults to the first drawn batch's: 5 or 4
    const fromA = starts.filter((s) => sourceOf(s) === 0);
    const fromB = starts.filter((s) => sourceOf(s) === 1);
    const aAgain = drawRows(make(0, 1), Math.ceil(fromA.length / 5)).slice(0, fromA.length);
    const bAgain = drawRows(make(100_000, 2, 4), Math.ceil(fromB.length / 4)).slice(0, fromB.length);
    expect(fromA).toEqual(aAgain);
    expect(fromB).toEqual(bAgain);
  });

  it("is deterministic per seed and resumes bit for bit", () => {
    const build = (): MixtureSampler =>
      new MixtureSampler(
        [
          { name: "a", source: make(0, 1), weight: 0.7 },
          { name: "b", source: make(100_000, 2, 3), weight: 0.2 },
          { name: "c", source: make(200_000, 3, 2), weight: 0.1 },
        ],
        { seed: 4, batchSize: 6 },
      );
    const original = build();
    expect(drawRows(build(), 10)).toEqual(drawRows(original, 10));
    const saved = JSON.stringify(original.state()); // some sources hold a part-used batch here
    const resumed = build();
    resumed.setState(JSON.parse(saved));
    for (let k = 0; k < 50; k++) {
      const x = original.next();
      const y = resumed.next();
      expect(y.inputs).toEqual(x.inputs);
      expect(y.targets).toEqual(x.targets);
    }
    const other = new MixtureSampler(
      [
        { name: "a", source: make(0, 1), weight: 1 },
        { name: "b", source: make(100_000, 2), weight: 1 },
      ],
      { seed: 5 },
    );
    expect(drawRows(other, 20).map(sourceOf)).not.toEqual(
      drawRows(
        new MixtureSampler(
          [
            { name: "a", source: make(0, 1), weight: 1 },
            { name: "b", source: make(100_000, 2), weight: 1 },
          ],
          { seed: 6 },
        ),
        20,
      ).map(sourceOf),
    );
  });

  it("never draws from a zero-weight source", () => {
    const mix = new MixtureSampler(
      [
        { name: "a", source: make(0, 1), weight: 1 },
        { name: "off", source: make(100_000, 2), weight: 0 },
      ],
      { seed: 1 },
    );
    expect(drawRows(mix, 100).every((s) => sourceOf(s) === 0)).toBe(true);
  });

  it("rejects bad components, mismatched sources and foreign states", () => {
    const a = make(0, 1);
    expect(() => new MixtureSampler([], { seed: 0 })).toThrow(/at least one component/);
    expect(
      () =>
        new MixtureSampler(
          [
            { name: "a", source: a, weight: 1 },
            { name: "a", source: a, weight: 1 },
          ],
          { seed: 0 },
        ),
    ).toThrow(/unique/);
    expect(() => new MixtureSampler([{ name: "a", source: a, weight: -1 }], { seed: 0 })).toThrow(
      /weight must be a finite number >= 0/,
    );
    expect(() => new MixtureSampler([{ name: "a", source: a, weight: 0 }], { seed: 0 })).toThrow(
      /at least one must be positive/,
    );
    const longer = new TokenSampler(iota(1000), { batchSize: 2, seqLen: T + 1 });
    const mixed = new MixtureSampler(
      [
        { name: "a", source: make(0, 1), weight: 1 },
        { name: "b", source: longer, weight: 1 },
      ],
      { seed: 0 },
    );
    expect(() => drawRows(mixed, 5)).toThrow(/source (a|b) gives seqLen \d, the mixture has seqLen \d/);
    const mix = new MixtureSampler([{ name: "a", source: make(0, 1), weight: 1 }], { seed: 0 });
    expect(() =>
      mix.setState({ kind: "MixtureSampler", row: 0, components: [{ name: "z", state: null, used: null }] }),
    ).toThrow(/not the state of a mixture of \[a\]/);
  });
});
