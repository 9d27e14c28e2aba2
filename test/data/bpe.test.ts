import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ArgumentError, BpeTokenizer, sotuTexts } from "../../src/index.js";
import { referenceEncode, referenceTrain } from "./reference_bpe.js";

const FIXTURE = join(import.meta.dirname, "fixtures", "gpt2_tiny_tokenizer.json");
const tmp = mkdtempSync(join(tmpdir(), "slmkit-bpe-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SMALL_CORPUS = [
  "The cat sat on the mat. The cat ate the rat!",
  "aaaaaaa abababab aaa ab ab abab bababa", // overlapping and repeated pairs
  "Numbers 12345 and 2024, 1999; it's, we're, they'll  spaces   and\ttabs\n\nnewlines",
  "naïve café — Größe ünd Übermaß; 東京 東京都; emoji 🙂🙂 🚀 👩‍👩‍👧",
];

/** Deterministic pseudo-random strings over several Unicode blocks, lone surrogates included. */
function randomUnicode(seed: number, length: number): string {
  let s = seed >>> 0;
  const rand = (n: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
  const blocks: [number, number][] = [
    [0x20, 0x7e],
    [0x09, 0x0d],
    [0xa0, 0x24f],
    [0x300, 0x36f],
    [0x400, 0x4ff],
    [0x4e00, 0x4fff],
    [0x1f300, 0x1f64f],
    [0x1f900, 0x1f9ff],
    [0xd800, 0xdfff],
    [0xfff0, 0xffff],
    [0x10000, 0x10fff],
  ];
  let out = "";
  for (let i = 0; i < length; i++) {
    const [a, b] = blocks[rand(blocks.length)]!;
    const cp = a + rand(b - a + 1);
    out += cp >= 0xd800 && cp <= 0xdfff ? String.fromCharCode(cp) : String.fromCodePoint(cp);
  }
  return out;
}

/** `s` with every lone surrogate replaced by U+FFFD (String.prototype.toWellFormed, not in our ES2022 lib). */
const wellFormed = (s: string): string =>
  s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");

describe("BpeTokenizer.train", () => {
  it.each([
    ["small corpus, minFrequency 1 (many ties)", SMALL_CORPUS, 350, 1],
    ["small corpus merged until no pair is left", SMALL_CORPUS, 1000, 1],
    ["small corpus, minFrequency 3", SMALL_CORPUS, 420, 3],
    ["SOTU 1790-1795", sotuTexts({ from: 1790, to: 1795 }), 700, 2],
    ["SOTU 1790-1795, minFrequency 20", sotuTexts({ from: 1790, to: 1795 }), 2000, 20],
  ])("gives the merges and ids of the naive reference: %s", (_name, texts, vocabSize, minFrequency) => {
    const specials = ["<|endoftext|>", "<pad>"];
    const tok = BpeTokenizer.train(texts, { vocabSize, minFrequency, specialTokens: specials });
    const ref = referenceTrain(texts, vocabSize, minFrequency, specials);
    expect(ref.merges.length).toBeGreaterThan(10);
    const json = tok.toJSON();
    expect(json.model.merges).toEqual(ref.merges.map(([a, b]) => `${a} ${b}`));
    expect(tok.vocabSize).toBe(ref.vocab.length);
    for (let id = 0; id < ref.vocab.length; id++) expect(tok.idToToken(id)).toBe(ref.vocab[id]);
    if (vocabSize === 350 || vocabSize === 700) expect(tok.vocabSize).toBe(vocabSize);
  });

  it("encodes unseen text exactly as training would segment it", () => {
    const train = [...sotuTexts({ from: 1790, to: 1793 }), ...SMALL_CORPUS];
    const tok = BpeTokenizer.train(train, { vocabSize: 600, specialTokens: [] });
    const ref = referenceTrain(train, 600, 2, []);
    // Runs of one letter make overlapping candidates ("aaa": merge the left pair first, as training does).
    const runs = " aaaaaaaaa aaaa bababababab abababa Mississippi lll eeee 0000000";
    const text = sotuTexts({ from: 1800, to: 1800 })[0]!.slice(0, 3000) + SMALL_CORPUS.join("\n") + runs;
    expect(tok.encode(text)).toEqual(referenceEncode(ref, text));
  });

  it("stops at minFrequency before reaching vocabSize", () => {
    const tok = BpeTokenizer.train(["ab ab ab cd"], { vocabSize: 1000, minFrequency: 3 });
    // "ab" x3 and " a" x2... only pairs seen >= 3 times merge: (a,b) once, nothing else reaches 3.
    expect(tok.toJSON().model.merges).toEqual(["a b"]);
    expect(tok.vocabSize).toBe(1 + 256 + 1);
  });

  it("puts special tokens first and the 256 bytes in GPT-2's order", () => {
    const tok = BpeTokenizer.train(["x"], { vocabSize: 300 });
    expect(tok.eosId).toBe(0);
    expect(tok.idToToken(0)).toBe("<|endoftext|>");
    expect(tok.idToToken(1)).toBe("!"); // GPT-2 id 0
    expect(tok.tokenToId("Ġ")).toBe(1 + 220); // the space byte: GPT-2 id 220
    expect(tok.tokenToId("Ċ")).toBe(1 + 198); // newline: GPT-2 id 198
  });

  it("rejects bad options with ArgumentError", () => {
    expect(() => BpeTokenizer.train(["a"], { vocabSize: 100 })).toThrow(/vocabSize must be a whole number from 257/);
    expect(() => BpeTokenizer.train(["a"], { vocabSize: 300, minFrequency: 0 })).toThrow(ArgumentError);
    expect(() => BpeTokenizer.train(["a"], { vocabSize: 300, specialTokens: ["<a>", "<a>"] })).toThrow(/distinct/);
    expect(() => BpeTokenizer.train([42 as unknown as string], { vocabSize: 300 })).toThrow(/texts must be strings/);
  });
});

describe("encode / decode", () => {
  const tok = BpeTokenizer.train([...SMALL_CORPUS, ...sotuTexts({ from: 1790, to: 1791 })], {
    vocabSize: 800,
    specialTokens: ["<|endoftext|>", "<|pad|>"],
  });

  it("round-trips arbitrary Unicode; lone surrogates come back as U+FFFD", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const s = randomUnicode(seed, 1 + ((seed * 37) % 400));
      expect(tok.decode(tok.encode(s))).toBe(wellFormed(s));
    }
    for (const s of [
      "",
      " ",
      "   \n\n\t ",
      "🙂",
      "👩‍👩‍👧 family",
      "a\u0301",
      "\uD83D",
      "x\uDC00y",
      "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
      "\0\x01\x7f",
    ]) {
      expect(tok.decode(tok.encode(s))).toBe(wellFormed(s));
    }
  });

  it("handles a megabyte-long piece (linear-log merging, not quadratic)", () => {
    const s = " ".repeat(1 << 20) + "x" + "ab".repeat(1 << 18);
    expect(tok.decode(tok.encode(s))).toBe(s);
  });

  it("recognises special tokens in text and never splits them", () => {
    const eos = tok.eosId!;
    const pad = tok.tokenToId("<|pad|>")!;
    const ids = tok.encode("The cat<|endoftext|><|pad|> sat<|endoftext|>");
    expect(ids.filter((i) => i === eos)).toHaveLength(2);
    expect(ids.filter((i) => i === pad)).toHaveLength(1);
    expect(ids.at(-1)).toBe(eos);
    expect(ids.slice(0, ids.indexOf(eos))).toEqual(tok.encode("The cat"));
    expect(tok.decode(ids)).toBe("The cat<|endoftext|><|pad|> sat<|endoftext|>");
    // An incomplete special token is ordinary text.
    expect(tok.encode("<|endoftext").includes(eos)).toBe(false);
    expect(tok.specialTokens).toEqual(["<|endoftext|>", "<|pad|>"]);
  });

  it("decodes byte sequences that are not UTF-8 to U+FFFD instead of throwing", () => {
    expect(tok.decode([tok.tokenToId("ÿ")!])).toBe("\uFFFD"); // the lone byte 0xFF
    // GPT-2's byte characters: printable Latin-1 bytes stand for themselves, the others are U+0100 + their rank.
    const printable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
    const remapped = [...Array(256).keys()].filter((b) => !printable(b));
    const byteToken = (b: number): number =>
      tok.tokenToId(String.fromCharCode(printable(b) ? b : 0x100 + remapped.indexOf(b)))!;
    const bytes = [0xf0, 0x9f, 0x99, 0x82].map(byteToken); // 🙂 byte by byte
    expect(tok.decode(bytes)).toBe("🙂");
    expect(tok.decode(bytes.slice(0, 2))).toBe("\uFFFD");
    expect(tok.decode([...bytes.slice(0, 3), tok.tokenToId("A")!])).toBe("\uFFFDA");
  });

  it("rejects ids outside the vocabulary", () => {
    expect(() => tok.decode([0, tok.vocabSize])).toThrow(/ids\[1\] = 800 is not a token id/);
    expect(() => tok.decode([-1])).toThrow(ArgumentError);
  });

  it("gives repeated words the same ids (cache) and matches piecewise encoding", () => {
    const text = "the the the theory thermal the";
    const ids = tok.encode(text);
    expect(tok.encode(text)).toEqual(ids);
    const pieces = ["the", " the", " the", " theory", " thermal", " the"].map((p) => tok.encode(p));
    expect(ids).toEqual(pieces.flat());
  });
});

describe("tokenizer.json", () => {
  it("round-trips through toJSON / fromJSON and save / load", () => {
    const tok = BpeTokenizer.train(SMALL_CORPUS, {
      vocabSize: 400,
      minFrequency: 1,
      specialTokens: ["<|endoftext|>", "<s>"],
    });
    const again = BpeTokenizer.fromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
    expect(again.toJSON()).toEqual(tok.toJSON());
    const path = join(tmp, "tok.json");
    tok.save(path);
    expect(readdirSync(tmp)).toEqual(["tok.json"]); // no temporary file left behind
    const loaded = BpeTokenizer.load(path);
    const text = SMALL_CORPUS.join("<|endoftext|>") + randomUnicode(7, 300);
    expect(loaded.encode(text)).toEqual(tok.encode(text));
    expect(loaded.eosId).toBe(tok.eosId);
    const json = JSON.parse(readFileSync(path, "utf8"));
    expect(json.model.type).toBe("BPE");
    expect(json.pre_tokenizer.type).toBe("ByteLevel");
    expect(json.decoder.type).toBe("ByteLevel");
    expect(
      json.added_tokens.map((t: { content: string; id: number; special: boolean }) => [t.content, t.id, t.special]),
    ).toEqual([
      ["<|endoftext|>", 0, true],
      ["<s>", 1, true],
    ]);
    expect(Object.keys(json.model.vocab)).toHaveLength(tok.vocabSize);
  });

  describe("a hand-written GPT-2-style file", () => {
    const json = JSON.parse(readFileSync(FIXTURE, "utf8"));
    const tok = BpeTokenizer.load(FIXTURE);
    // Ids worked out by hand: GPT-2 byte ids ("t" 83, "h" 71, "c" 66, "s" 82, "Ġ" 220, "Ċ" 198), then
    // merges 256 "Ġt", 257 "he", 258 "Ġthe", 259 "in", 260 "Ġc", 261 "at", 262 "Ġcat", and 263 <|endoftext|>.
    const cases: [string, number[]][] = [
      ["the cat", [83, 257, 262]],
      ["in the<|endoftext|>", [259, 258, 263]],
      ["cats", [66, 261, 82]],
      [" the\n", [258, 198]],
      // U+0120 is UTF-8 C4 A0: 0xC4 is printable, after 94 ASCII and 12 Latin-1 bytes: 106 + (0xC4 - 0xAE) = 128;
      // 0xA0 is the 67th remapped byte (after 0x00..0x20 and 0x7F..0x9F): 188 + 66 = 254.
      ["Ġ", [128, 254]],
    ];
    it.each(cases)("encodes %j", (text, ids) => {
      expect(tok.encode(text)).toEqual(ids);
      expect(tok.decode(ids)).toBe(text);
    });

    it("accepts merges written as [left, right] pairs (tokenizers >= 0.20)", () => {
      const pairs = { ...json, model: { ...json.model, merges: json.model.merges.map((m: string) => m.split(" ")) } };
      expect(BpeTokenizer.fromJSON(pairs).encode("the cat in the cats")).toEqual(tok.encode("the cat in the cats"));
    });

    it("honours add_prefix_space", () => {
      const spaced = BpeTokenizer.fromJSON({
        ...json,
        pre_tokenizer: { ...json.pre_tokenizer, add_prefix_space: true },
      });
      expect(spaced.encode("the cat")).toEqual([258, 262]);
    });

    it("refuses what it cannot encode faithfully, naming the field", () => {
      const bad =
        (patch: object): (() => BpeTokenizer) =>
        () =>
          BpeTokenizer.fromJSON({ ...json, ...patch });
      expect(bad({ model: { ...json.model, type: "WordPiece" } })).toThrow(/model.type must be "BPE"/);
      expect(bad({ normalizer: { type: "NFC" } })).toThrow(/normalizers are not supported/);
      expect(bad({ pre_tokenizer: { type: "Whitespace" } })).toThrow(/pre_tokenizer must be/);
      expect(bad({ model: { ...json.model, merges: ["Ġ zz"] } })).toThrow(/model.merges\[0\] "Ġ zz" uses "zz"/);
      expect(bad({ model: { ...json.model, vocab: { a: 0 }, merges: [] } })).toThrow(/lacks the byte-level token/);
      expect(() => BpeTokenizer.fromJSON([])).toThrow(ArgumentError);
      expect(() => BpeTokenizer.load(join(tmp, "missing.json"))).toThrow(/cannot read/);
    });

    it("bounds ids: huge or negative ids are refused at once, and load names the file", () => {
      const started = performance.now();
      const vocab = json.model.vocab as Record<string, number>;
      const added = (json.added_tokens ?? []) as object[];
      const bad =
        (patch: object): (() => BpeTokenizer) =>
        () =>
          BpeTokenizer.fromJSON({ ...json, ...patch });
      expect(bad({ model: { ...json.model, vocab: { ...vocab, huge: 2 ** 31 } } })).toThrow(
        /model.vocab\["huge"\] must be an integer id in \[0, \d+\).*2147483648/,
      );
      expect(bad({ added_tokens: [...added, { id: -1, content: "<neg>" }] })).toThrow(
        /added_tokens\[\d+\].id must be an integer id .* got -1/,
      );
      expect(bad({ added_tokens: [...added, { id: 2 ** 31, content: "<big>" }] })).toThrow(/added_tokens\[\d+\].id/);
      expect(bad({ added_tokens: [...added, { id: "7", content: "<str>" }] })).toThrow(ArgumentError);
      expect(performance.now() - started).toBeLessThan(1000);
      // A gap of a few ids (a vocabulary padded for the GPU) is still fine.
      expect(
        BpeTokenizer.fromJSON({
          ...json,
          added_tokens: [...added, { id: Object.keys(vocab).length + 100, content: "<pad>" }],
        }).vocabSize,
      ).toBe(Object.keys(vocab).length + 101);
      const file = join(tmp, "huge-id.json");
      writeFileSync(file, JSON.stringify({ ...json, model: { ...json.model, vocab: { ...vocab, huge: 2 ** 31 } } }));
      expect(() => BpeTokenizer.load(file)).toThrow(`BpeTokenizer.load: ${file}: model.vocab["huge"]`);
    });
  });
});
