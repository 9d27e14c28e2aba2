// Byte-level BPE speed: train on ~10 MB of State of the Union text, then encode it.
// Run: npx tsx bench/tokenizer.ts [vocabSize]   (default 16384)
import { BpeTokenizer, sotuTexts } from "../src/index.js";

const vocabSize = Number(process.argv[2] ?? 16384);
const sotu = sotuTexts();
// The corpus is about 10.7 MB; repeat it if a smaller copy of the package ever ships less.
const texts: string[] = [];
let chars = 0;
while (chars < 10e6) {
  texts.push(...sotu);
  chars += sotu.reduce((n, t) => n + t.length, 0);
}
const megabytes = Buffer.byteLength(texts.join("")) / 1e6;

let t0 = performance.now();
const tok = BpeTokenizer.train(texts, { vocabSize });
const trainSeconds = (performance.now() - t0) / 1000;

t0 = performance.now();
let tokens = 0;
for (const t of texts) tokens += tok.encode(t).length;
const encodeSeconds = (performance.now() - t0) / 1000;

console.log(`corpus   ${megabytes.toFixed(1)} MB, ${texts.length} texts`);
console.log(
  `train    vocab ${tok.vocabSize} in ${trainSeconds.toFixed(2)} s (${(megabytes / trainSeconds).toFixed(1)} MB/s)`,
);
console.log(
  `encode   ${tokens} tokens in ${encodeSeconds.toFixed(2)} s (${(megabytes / encodeSeconds).toFixed(1)} MB/s, ${(Buffer.byteLength(texts.join("")) / tokens).toFixed(2)} bytes/token)`,
);
