// MiniCPM: parameter counts, presets, config checks, μP groups and init, state dicts, loss, memory and
// generation with the KV cache.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { SMALL_MINICPM as SMALL } from "./small_config.js";

describe("parameter counts", () => {
  it("matches the releases' non-embedding counts exactly", () => {
    expect(S.MiniCPM.countParameters("minicpm-2b", { embedding: false })).toBe(2_442_057_984);
    expect(S.MiniCPM.countParameters("minicpm-1b", { embedding: false })).toBe(1_247_442_432);
    expect(S.MiniCPM.countParameters("minicpm-2b")).toBe(2_442_057_984 + 122_753 * 2304);
  });

  for (const tie of [true, false]) {
    it(`counting agrees with the allocated tensors (tie_word_embeddings ${tie})`, () => {
      const config = { ...SMALL, tie_word_embeddings: tie };
      const model = new S.MiniCPM(config);
      for (const embedding of [true, false])
        expect(model.numParameters({ embedding })).toBe(S.MiniCPM.countParameters(config, { embedding }));
      expect(model.numParameters({ embedding: true }) - model.numParameters({ embedding: false })).toBe(
        97 * 32 * (tie ? 1 : 2),
      );
      model.dispose();
    });
  }
});

describe("presets and config", () => {
  it("wind-tunnel shapes follow PAPERS.md (head dim 64, ffn 2.5 C)", () => {
    const shapes: Record<string, [number, number]> = {
      "9m": [320, 8],
      "30m": [512, 12],
      "70m": [640, 14],
      "0.1b": [768, 16],
      "0.17b": [896, 18],
      "0.2b": [1024, 20],
      "0.5b": [1344, 24],
    };
    for (const [name, [C, L]] of Object.entries(shapes)) {
      const p = S.MiniCPM.presets[name as S.MiniCPMPresetName];
      expect(
        [p.hidden_size, p.num_hidden_layers, p.hidden_size / p.num_attention_heads, p.intermediate_size, p.vocab_size],
        name,
      ).toEqual([C, L, 64, 2.5 * C, 122753]);
    }
    const p1 = S.MiniCPM.presets["minicpm-1b"];
    expect([
      p1.num_attention_heads,
      p1.num_key_value_heads,
      p1.scale_emb,
      p1.scale_depth,
      p1.dim_model_base,
      p1.initializer_range,
    ]).toEqual([24, 8, 12, 1.4, 256, 0.1]);
  });

  it("rejects bad configs with the field named", () => {
    expect(() => new S.MiniCPM({ ...SMALL, num_key_value_heads: 3 })).toThrow(
      /num_key_value_heads \(3\) must divide num_attention_heads \(4\)/,
    );
    expect(() => new S.MiniCPM({ ...SMALL, hidden_size: 30 })).toThrow(/hidden_size \(30\)/);
    expect(() => new S.MiniCPM({ ...SMALL, vocab_size: 0 })).toThrow(/vocab_size must be a whole number > 0/);
    expect(() => new S.MiniCPM({ ...SMALL, scale_emb: -1 })).toThrow(/scale_emb/);
    expect(() => new S.MiniCPM({ ...SMALL, use_mup: "yes" as unknown as boolean })).toThrow(
      /use_mup must be true or false/,
    );
    expect(() => new S.MiniCPM("minicpm-3b" as S.MiniCPMPresetName)).toThrow(/unknown preset "minicpm-3b"/);
    expect(() => new S.MiniCPM(SMALL, { init: "xavier" as "mup" })).toThrow(/init must be/);
  });
});

describe("μP", () => {
  it("parameter groups: 2-D weights at lr/m with decay, norms at lr without", () => {
    const model = new S.MiniCPM(SMALL);
    const groups = model.parameterGroups({ weightDecay: 0.05 });
    expect(groups.map((g) => [g.name, g.lrMultiplier, g.weightDecay])).toEqual([
      ["matrices", 1 / 4, 0.05],
      ["norms", 1, 0],
    ]);
    const all = groups.flatMap((g) => g.paramNames!);
    expect(new Set(all)).toEqual(new Set(Object.keys(model.stateDict())));
    expect(all.length).toBe(model.parameters().length);
    for (const g of groups) g.params.forEach((p, i) => expect(model.stateDict()[g.paramNames![i]!]).toBe(p));
    expect(groups[0]!.paramNames).toContain("model.embed_tokens.weight");
    expect(groups[1]!.paramNames).toEqual([
      "model.layers.0.input_layernorm.weight",
      "model.layers.0.post_attention_layernorm.weight",
      "model.layers.1.input_layernorm.weight",
      "model.layers.1.post_attention_layernorm.weight",
      "model.norm.weight",
    ]);
    expect(model.parameterGroups()[0]!.weightDecay).toBe(0.1);
    model.dispose();
  });

  it("the embedding switch and use_mup change the multipliers", () => {
    const exempt = new S.MiniCPM({ ...SMALL, mup_embedding_lr_scaled: false });
    const g = exempt.parameterGroups();
    expect(g.map((x) => [x.name, x.lrMultiplier, x.weightDecay])).toEqual([
      ["matrices", 0.25, 0.1],
      ["embedding", 1, 0.1],
      ["norms", 1, 0],
    ]);
    expect(g[1]!.paramNames).toEqual(["model.embed_tokens.weight"]);
    exempt.dispose();
    const plain = new S.MiniCPM({ ...SMALL, use_mup: false });
    expect(plain.parameterGroups().map((x) => x.lrMultiplier)).toEqual([1, 1]);
    plain.dispose();
  });

  it("init: μP std initializer_range/sqrt(m), standard std initializer_range, norms 1", () => {
    // m = 256 / 16 = 16: μP std 0.1 / 4; the embedding [1024, 256] has n = 262144 samples
    const config = {
      ...SMALL,
      vocab_size: 1024,
      hidden_size: 256,
      num_hidden_layers: 1,
      num_attention_heads: 4,
      intermediate_size: 64,
      dim_model_base: 16,
    };
    for (const [init, sigma] of [
      ["mup", 0.025],
      ["standard", 0.1],
    ] as const) {
      const model = new S.MiniCPM(config, { init, seed: 4 });
      for (const [name, p] of model.namedParameters()) {
        const v = p.dataSync();
        if (p.ndim === 1) {
          expect(new Set(v), name).toEqual(new Set([1]));
          continue;
        }
        const n = v.length;
        const std = Math.sqrt(v.reduce((a, x) => a + x * x, 0) / n);
        // sample std: relative standard error 1/sqrt(2n); 5 of them
        expect(Math.abs(std / sigma - 1), `${init} ${name}`).toBeLessThan(5 / Math.sqrt(2 * n));
      }
      model.dispose();
    }
  });

  it("a seed fixes the weights", () => {
    const a = new S.MiniCPM(SMALL, { seed: 12 });
    const b = new S.MiniCPM(SMALL, { seed: 12 });
    const c = new S.MiniCPM(SMALL, { seed: 13 });
    const w = (m: S.MiniCPM) => Array.from(m.stateDict()["model.layers.1.mlp.up_proj.weight"]!.dataSync());
    expect(w(a)).toEqual(w(b));
    expect(w(a)).not.toEqual(w(c));
    for (const m of [a, b, c]) m.dispose();
  });
});

describe("state dict", () => {
  it("uses Hugging Face names; lm_head only when untied; round trip", () => {
    const tied = new S.MiniCPM(SMALL, { seed: 1 });
    const keys = Object.keys(tied.stateDict());
    expect(keys.slice(0, 4)).toEqual([
      "model.embed_tokens.weight",
      "model.layers.0.self_attn.q_proj.weight",
      "model.layers.0.self_attn.k_proj.weight",
      "model.layers.0.self_attn.v_proj.weight",
    ]);
    expect(keys).toContain("model.layers.1.mlp.down_proj.weight");
    expect(keys.at(-1)).toBe("model.norm.weight");
    const untied = new S.MiniCPM({ ...SMALL, tie_word_embeddings: false }, { seed: 2 });
    expect(Object.keys(untied.stateDict()).at(-1)).toBe("lm_head.weight");
    expect(() => tied.loadStateDict(untied.stateDict())).toThrow(/unexpected keys: lm_head\.weight/);
    const copy = new S.MiniCPM(SMALL, { seed: 3 });
    copy.loadStateDict(tied.stateDict());
    const ids = S.tensor([[1, 5, 9, 2]], { dtype: "i32" });
    const a = S.noGrad(() => tied.forward(ids).logits);
    const b = S.noGrad(() => copy.forward(ids).logits);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    for (const t of [ids, a, b]) t.dispose();
    for (const m of [tied, untied, copy]) m.dispose();
  });
});

describe("forward and loss", () => {
  it("loss() equals forward's loss; bad inputs are named", () => {
    const model = new S.MiniCPM(SMALL, { seed: 5 });
    const ids = S.randint(0, 97, [2, 9]);
    const targets = S.randint(0, 97, [2, 9]);
    const out = model.forward(ids, { targets });
    const loss = model.loss(ids, targets);
    expect(loss.item()).toBe(out.loss!.item());
    expect(() => model.forward(S.zeros([2, 3]) as unknown as S.Tensor<"i32">)).toThrow(
      /inputIds must be an i32 tensor/,
    );
    const short = S.randint(0, 97, [2, 4]);
    expect(() => model.forward(ids, { targets: short })).toThrow(/targets must match inputIds \[2, 9\]/);
    expect(() => model.forward(ids, { positionOffset: 60 })).toThrow(/max_position_embeddings \(64\)/);
    for (const t of [ids, targets, out.logits, out.loss!, loss, short]) t.dispose();
    model.dispose();
  });

  it("forward + backward + dispose leaks nothing", () => {
    const model = new S.MiniCPM(SMALL, { seed: 6 });
    const ids = S.randint(0, 97, [2, 8]);
    const targets = S.randint(0, 97, [2, 8]);
    const step = () => {
      const { logits, loss } = model.forward(ids, { targets });
      loss!.backward();
      logits.dispose();
      loss!.dispose();
      model.zeroGrad();
    };
    step();
    const before = S.memory();
    step();
    step();
    const after = S.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    const loss = model.loss(ids, targets);
    loss.backward();
    loss.dispose();
    expect(model.parameters().every((p) => p.grad !== undefined)).toBe(true);
    model.zeroGrad();
    expect(S.memory().numTensors).toBe(before.numTensors);
    for (const t of [ids, targets]) t.dispose();
    model.dispose();
  });
});

describe("generate", () => {
  /** Greedy decoding that reruns the whole sequence for every token (no cache). */
  function greedyFullRecompute(model: S.MiniCPM, prompt: number[], n: number): number[] {
    const seq = [...prompt];
    for (let i = 0; i < n; i++) {
      const next = S.tidy(() => {
        const { logits } = S.noGrad(() => model.forward(S.tensor([seq], { dtype: "i32" })));
        return S.argmax(S.narrow(logits, 1, seq.length - 1, 1).reshape([-1])).item();
      });
      seq.push(next);
    }
    return seq.slice(prompt.length);
  }

  it("with the KV cache equals full-recompute greedy decoding, and leaks nothing", () => {
    // untied and with large weights, so greedy decoding does not settle on one repeated token
    const model = new S.MiniCPM(
      { ...SMALL, tie_word_embeddings: false, initializer_range: 0.5 },
      { seed: 7, init: "standard" },
    );
    const prompt = [3, 14, 15, 92, 65];
    const want = greedyFullRecompute(model, prompt, 12);
    const before = S.memory();
    const got = model.generate(prompt, { maxNewTokens: 12, temperature: 0 });
    expect(S.memory().numTensors).toBe(before.numTensors);
    expect(S.memory().numBytes).toBe(before.numBytes);
    expect(got).toEqual(want);
    expect(new Set(got).size).toBeGreaterThan(1); // a degenerate constant output would prove little
    model.dispose();
  });

  it("seeded sampling is reproducible; stop tokens and onToken end it", () => {
    const model = new S.MiniCPM(SMALL, { seed: 8, init: "standard" });
    const opts = { maxNewTokens: 16, temperature: 1.5, topK: 40, topP: 0.95 };
    const a = model.generate([1, 2], { ...opts, seed: 42 });
    const b = model.generate([1, 2], { ...opts, seed: 42 });
    const c = model.generate([1, 2], { ...opts, seed: 43 });
    expect(a).toHaveLength(16);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    const stop = a[5]!;
    const stopped = model.generate([1, 2], { ...opts, seed: 42, stopTokens: [stop] });
    expect(stopped).toEqual(a.slice(0, a.indexOf(stop)));
    const seen: number[] = [];
    const early = model.generate([1, 2], {
      ...opts,
      seed: 42,
      onToken: (id) => {
        seen.push(id);
        return seen.length < 3 ? undefined : false;
      },
    });
    expect(early).toEqual(a.slice(0, 3));
    expect(seen).toEqual(early);
    expect(model.generate([1, 2], { maxNewTokens: 0 })).toEqual([]);
    model.dispose();
  });

  it("topK 1 is greedy; bad options are named", () => {
    const model = new S.MiniCPM(SMALL, { seed: 9, init: "standard" });
    expect(model.generate([4, 4], { maxNewTokens: 6, topK: 1, seed: 1 })).toEqual(
      model.generate([4, 4], { maxNewTokens: 6, temperature: 0 }),
    );
    expect(() => model.generate([], { maxNewTokens: 2 })).toThrow(/promptIds must be a non-empty array/);
    expect(() => model.generate([97], { maxNewTokens: 2 })).toThrow(/outside the vocabulary \[0, 97\)/);
    expect(() => model.generate([1], { maxNewTokens: 2, topP: 0 })).toThrow(/topP must be in \(0, 1\]/);
    expect(() => model.generate([1], { maxNewTokens: 2, temperature: -1 })).toThrow(/temperature/);
    expect(() => model.generate([1], { maxNewTokens: 100 })).toThrow(/max_position_embeddings \(64\)/);
    model.dispose();
  });
});
