// MiniCPM.forward's outputHiddenStates: what each recorded tensor is, and that asking changes nothing else.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { SMALL_MINICPM } from "./small_config.js";

const CONFIG: S.MiniCPMConfigInput = {
  ...SMALL_MINICPM,
  vocab_size: 61,
  num_hidden_layers: 3,
  max_position_embeddings: 32,
};

const close = (a: S.Tensor, b: S.Tensor): void => {
  const [x, y] = [Array.from(a.dataSync() as Float32Array), Array.from(b.dataSync() as Float32Array)];
  expect(x.length).toBe(y.length);
  x.forEach((v, i) => expect(Math.abs(v - y[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(y[i]!))));
};

describe("MiniCPM outputHiddenStates", () => {
  it("returns the scaled embedding, each layer's output and the final norm; logits are unchanged", () => {
    const before = S.memory().numTensors;
    const model = new S.MiniCPM(CONFIG, { seed: 3 });
    const ids = S.tensor([[4, 8, 15, 16, 23, 42]], { dtype: "i32" });
    S.tidy(() => {
      const plain = model.forward(ids);
      const out = model.forward(ids, { outputHiddenStates: true });
      const hs = out.hiddenStates!;
      expect(hs.length).toBe(3 + 2);
      for (const h of hs) expect([h.dtype, ...h.shape]).toEqual(["f32", 1, 6, 32]);
      expect(Array.from(out.logits.dataSync())).toEqual(Array.from(plain.logits.dataSync()));
      close(hs[0]!, S.mul(S.embedding(model.model.embedTokens.weight, ids), 12));
      close(hs[4]!, S.rmsNorm(hs[3]!, model.model.norm.weight, 1e-5));
      // The LM head sees the final norm divided by m = 32 / 8 and reuses the embedding.
      close(out.logits, S.matmul(S.div(hs[4]!, 4), S.transpose(model.model.embedTokens.weight, 0, 1)));
      expect(plain.hiddenStates).toBeUndefined();
    });
    ids.dispose();
    model.dispose();
    expect(S.memory().numTensors).toBe(before);
  });
});
