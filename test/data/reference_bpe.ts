// A deliberately naive byte-level BPE, written from the GPT-2 description and independent of src/data:
// every merge recounts all pairs of the whole word table. It is slow and obviously correct, which is what
// an oracle for the incremental trainer should be.

/** GPT-2's bytes_to_unicode, written the way the original describes it (a list of "nice" bytes first). */
function gpt2ByteAlphabet(): { order: number[]; chars: Map<number, string> } {
  const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);
  const bs = [...range(0x21, 0x7e), ...range(0xa1, 0xac), ...range(0xae, 0xff)];
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  return { order: bs, chars: new Map(bs.map((b, i) => [b, String.fromCodePoint(cs[i]!)])) };
}

const ALPHABET = gpt2ByteAlphabet();
const PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export interface ReferenceBpe {
  vocab: string[];
  merges: [string, string][];
}

function bytesOf(piece: string): number[] {
  return [...Buffer.from(piece, "utf8")];
}

export function referenceTrain(
  texts: string[],
  vocabSize: number,
  minFrequency: number,
  specials: string[],
): ReferenceBpe {
  const vocab = [...specials, ...ALPHABET.order.map((b) => ALPHABET.chars.get(b)!)];
  const counts = new Map<string, number>();
  for (const t of texts) for (const m of t.matchAll(PATTERN)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
  const words = [...counts.keys()].map((w) => bytesOf(w).map((b) => vocab.indexOf(ALPHABET.chars.get(b)!)));
  const freqs = [...counts.values()];
  const merges: [string, string][] = [];
  while (vocab.length < vocabSize) {
    const pairCounts = new Map<string, number>();
    words.forEach((w, i) => {
      for (let j = 0; j + 1 < w.length; j++) {
        const key = `${w[j]},${w[j + 1]}`;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + freqs[i]!);
      }
    });
    let best: [number, number] | null = null;
    let bestCount = 0;
    for (const [key, c] of pairCounts) {
      const [a, b] = key.split(",").map(Number) as [number, number];
      if (c > bestCount || (c === bestCount && best !== null && (a < best[0] || (a === best[0] && b < best[1])))) {
        best = [a, b];
        bestCount = c;
      }
    }
    if (best === null || bestCount < minFrequency) break;
    const token = vocab[best[0]]! + vocab[best[1]]!;
    let id = vocab.indexOf(token);
    if (id < 0) id = vocab.push(token) - 1;
    merges.push([vocab[best[0]]!, vocab[best[1]]!]);
    for (let i = 0; i < words.length; i++) words[i] = mergeAll(words[i]!, best[0], best[1], id);
  }
  return { vocab, merges };
}

function mergeAll(w: number[], a: number, b: number, id: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < w.length; j++) {
    if (j + 1 < w.length && w[j] === a && w[j + 1] === b) {
      out.push(id);
      j++;
    } else out.push(w[j]!);
  }
  return out;
}

/** Encodes text with no special tokens the way training segments it: every merge, in order, on every piece. */
export function referenceEncode(bpe: ReferenceBpe, text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(PATTERN)) {
    let w = bytesOf(m[0]).map((b) => bpe.vocab.indexOf(ALPHABET.chars.get(b)!));
    for (const [x, y] of bpe.merges)
      w = mergeAll(w, bpe.vocab.indexOf(x), bpe.vocab.indexOf(y), bpe.vocab.indexOf(x + y));
    out.push(...w);
  }
  return out;
}
