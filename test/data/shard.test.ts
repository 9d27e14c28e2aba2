import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ArgumentError, readShard, writeShard } from "../../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "slmkit-shard-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A shard file written by hand from the SHARDS.md table, independent of writeShard. */
function handMadeShard(fields: {
  magic?: string;
  version?: number;
  header?: number;
  width: number;
  vocab: number;
  count: number;
  tokens: number[];
}): Buffer {
  const header = Buffer.alloc(fields.header ?? 32);
  header.write(fields.magic ?? "SLMKTOKS", 0, "ascii");
  header.writeUInt32LE(fields.version ?? 1, 8);
  header.writeUInt32LE(fields.header ?? 32, 12);
  header.writeUInt32LE(fields.width, 16);
  header.writeUInt32LE(fields.vocab, 20);
  header.writeBigUInt64LE(BigInt(fields.count), 24);
  const body = Buffer.alloc(fields.tokens.length * fields.width);
  fields.tokens.forEach((t, i) => (fields.width === 2 ? body.writeUInt16LE(t, 2 * i) : body.writeUInt32LE(t, 4 * i)));
  return Buffer.concat([header, body]);
}

describe("token shards", () => {
  it("writes the documented header, little-endian, with u16 tokens up to a vocab of 65536", () => {
    const path = join(dir, "u16.bin");
    const tokens = [0, 1, 65535, 258, 7];
    writeShard(path, tokens, { vocabSize: 65536 });
    const bytes = readFileSync(path);
    expect(bytes.subarray(0, 32)).toEqual(
      handMadeShard({ width: 2, vocab: 65536, count: 5, tokens: [] }).subarray(0, 32),
    );
    expect(bytes).toEqual(handMadeShard({ width: 2, vocab: 65536, count: 5, tokens }));
    expect(statSync(path).size).toBe(32 + 2 * 5);
    const shard = readShard(path);
    expect(shard.tokens).toBeInstanceOf(Uint16Array);
    expect([...shard.tokens]).toEqual(tokens);
    expect(shard.vocabSize).toBe(65536);
  });

  it("switches to u32 tokens above a vocab of 65536", () => {
    const path = join(dir, "u32.bin");
    const tokens = Uint32Array.from([65536, 0, 100_000, 65535]);
    writeShard(path, tokens, { vocabSize: 65537 + 100_000 });
    expect(readFileSync(path)).toEqual(handMadeShard({ width: 4, vocab: 165_537, count: 4, tokens: [...tokens] }));
    const shard = readShard(path);
    expect(shard.tokens).toBeInstanceOf(Uint32Array);
    expect(shard.tokens).toEqual(tokens);
  });

  it("round-trips a large random shard and an empty one", () => {
    const tokens = new Uint32Array(300_001);
    let s = 12345;
    for (let i = 0; i < tokens.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      tokens[i] = s % 50257;
    }
    writeShard(join(dir, "big.bin"), tokens, { vocabSize: 50257 });
    expect(readShard(join(dir, "big.bin")).tokens).toEqual(Uint16Array.from(tokens));
    writeShard(join(dir, "empty.bin"), [], { vocabSize: 10 });
    expect(readShard(join(dir, "empty.bin")).tokens).toHaveLength(0);
  });

  it("writes atomically, leaving no temporary file", () => {
    const sub = mkdtempSync(join(dir, "atomic-"));
    writeShard(join(sub, "a.bin"), [1, 2, 3], { vocabSize: 4 });
    writeShard(join(sub, "a.bin"), [3, 2], { vocabSize: 4 }); // replaces the old file
    expect(readdirSync(sub)).toEqual(["a.bin"]);
    expect([...readShard(join(sub, "a.bin")).tokens]).toEqual([3, 2]);
  });

  it("refuses ids outside the vocabulary and bad vocab sizes", () => {
    expect(() => writeShard(join(dir, "x.bin"), [1, 2, 9], { vocabSize: 9 })).toThrow(
      /tokens\[2\] = 9 is not a token id below vocabSize 9/,
    );
    expect(() => writeShard(join(dir, "x.bin"), [1.5], { vocabSize: 9 })).toThrow(ArgumentError);
    expect(() => writeShard(join(dir, "x.bin"), [-1], { vocabSize: 9 })).toThrow(ArgumentError);
    expect(() => writeShard(join(dir, "x.bin"), [0], { vocabSize: 0 })).toThrow(/vocabSize must be/);
  });

  describe("corrupt or truncated files give errors naming the problem", () => {
    const cases: [string, Buffer, RegExp][] = [
      ["empty file", Buffer.alloc(0), /fewer than the 32-byte header \(truncated\)/],
      [
        "cut inside the header",
        handMadeShard({ width: 2, vocab: 10, count: 0, tokens: [] }).subarray(0, 20),
        /20 bytes, fewer than the 32-byte header/,
      ],
      [
        "wrong magic",
        handMadeShard({ magic: "NOTASHRD", width: 2, vocab: 10, count: 1, tokens: [1] }),
        /magic is "NOTASHRD"/,
      ],
      [
        "future version",
        handMadeShard({ version: 2, width: 2, vocab: 10, count: 1, tokens: [1] }),
        /version 2 is not supported/,
      ],
      ["width 3", handMadeShard({ width: 3, vocab: 10, count: 0, tokens: [] }), /token width 3 must be 2 or 4/],
      [
        "u16 with a large vocab",
        handMadeShard({ width: 2, vocab: 70_000, count: 0, tokens: [] }),
        /vocab size 70000 does not fit 16-bit/,
      ],
      [
        "truncated body",
        handMadeShard({ width: 2, vocab: 10, count: 4, tokens: [1, 2, 3] }),
        /promises 4 tokens \(40 bytes\) but the file has 38 bytes \(truncated\)/,
      ],
      [
        "trailing bytes",
        handMadeShard({ width: 4, vocab: 10, count: 1, tokens: [1, 2] }),
        /4 unexpected bytes after the 1 tokens/,
      ],
      [
        "token beyond the vocab",
        handMadeShard({ width: 2, vocab: 10, count: 3, tokens: [1, 10, 2] }),
        /token 1 is 10, not below vocab size 10/,
      ],
      ["zero vocab", handMadeShard({ width: 2, vocab: 0, count: 0, tokens: [] }), /vocab size is 0/],
    ];
    it.each(cases)("%s", (name, bytes, message) => {
      const path = join(dir, `${name.replace(/\W/g, "_")}.bin`);
      writeFileSync(path, bytes);
      expect(() => readShard(path)).toThrow(ArgumentError);
      expect(() => readShard(path)).toThrow(message);
      expect(() => readShard(path)).toThrow(path);
    });

    it("a missing file", () => {
      expect(() => readShard(join(dir, "nope.bin"))).toThrow(/readShard: cannot open .*nope.bin/);
    });
  });

  it("reads a header larger than 32 bytes (future fields), even one that misaligns the tokens", () => {
    const path = join(dir, "wide-header.bin");
    writeFileSync(path, handMadeShard({ header: 34, width: 4, vocab: 100_000, count: 2, tokens: [99_999, 5] }));
    expect([...readShard(path).tokens]).toEqual([99_999, 5]);
  });
});
