// MiniCPM's config.json: a saved config reads back as the same model, a non-μP model saves the constants
// that make Hugging Face's always-on μP scalings exact no-ops, and fields slmkit does not implement are refused.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { SMALL_MINICPM } from "./small_config.js";

const SMALL: S.MiniCPMConfigInput = { ...SMALL_MINICPM, num_hidden_layers: 3 };

/** Writes the config as `slmkit train` would and parses it back as a Hugging Face loader sees it. */
function saveAndRead(config: S.MiniCPMConfig): Record<string, unknown> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slmkit-hf-config-"));
  try {
    S.writeJsonAtomic(path.join(dir, "config.json"), S.miniCPMHFConfig(config));
    return JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")) as Record<string, unknown>;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The logits of `config` with `weights` loaded, as plain numbers. */
function logitsWith(config: S.MiniCPMConfigInput, weights: S.MiniCPM): number[] {
  const model = new S.MiniCPM(config);
  model.loadStateDict(weights.stateDict());
  const ids = S.tensor([[3, 14, 15, 92, 65, 35]], { dtype: "i32" });
  const logits = S.noGrad(() => model.forward(ids).logits);
  const out = Array.from(logits.dataSync());
  for (const t of [ids, logits]) t.dispose();
  model.dispose();
  return out;
}

describe("miniCPMHFConfig", () => {
  it("use_mup false: Hugging Face's scale_emb, scale_depth/sqrt(L) and hidden/dim_model_base are exact ones", () => {
    const original = new S.MiniCPM({ ...SMALL, use_mup: false }, { seed: 7, init: "standard" });
    const saved = saveAndRead(original.config);
    // Hugging Face's MiniCPM multiplies by these three numbers whatever the config says; float64 as in Python.
    expect(saved.scale_emb).toBe(1);
    expect((saved.scale_depth as number) / Math.sqrt(saved.num_hidden_layers as number)).toBe(1);
    expect((saved.hidden_size as number) / (saved.dim_model_base as number)).toBe(1);
    expect(saved).toMatchObject({
      architectures: ["MiniCPMForCausalLM"],
      model_type: "minicpm",
      use_mup: false,
      rope_scaling: null,
      hidden_act: "silu",
    });

    const want = logitsWith(original.config, original);
    // Read back by slmkit: the same logits bit for bit, and the same (μP-free) learning-rate multipliers.
    expect(logitsWith(saved as unknown as S.MiniCPMConfigInput, original)).toEqual(want);
    const reread = new S.MiniCPM(saved as unknown as S.MiniCPMConfigInput);
    expect(reread.parameterGroups().map((g) => g.lrMultiplier)).toEqual(
      original.parameterGroups().map((g) => g.lrMultiplier),
    );
    reread.dispose();
    // As Hugging Face computes it: every μP scaling applied with the saved constants.
    expect(logitsWith({ ...(saved as unknown as S.MiniCPMConfigInput), use_mup: true }, original)).toEqual(want);
    // The scalings are not no-ops with the original constants: the check above has teeth.
    expect(logitsWith({ ...original.config, use_mup: true }, original)).not.toEqual(want);
    original.dispose();
  });

  it("use_mup true: the μP constants are saved as they are and read back to the same logits", () => {
    const original = new S.MiniCPM({ ...SMALL, scale_emb: 12, scale_depth: 1.4 }, { seed: 8 });
    const saved = saveAndRead(original.config);
    expect([saved.scale_emb, saved.scale_depth, saved.dim_model_base, saved.use_mup]).toEqual([12, 1.4, 8, true]);
    expect(S.resolveMiniCPMConfig(saved as unknown as S.MiniCPMConfigInput)).toEqual(original.config);
    expect(logitsWith(saved as unknown as S.MiniCPMConfigInput, original)).toEqual(
      logitsWith(original.config, original),
    );
    original.dispose();
  });
});

describe("reading a config.json", () => {
  // The fields of a released MiniCPM-2B config.json (tokens ids, dtype, auto_map, ...) plus head_dim.
  const released = {
    _name_or_path: "openbmb/MiniCPM-2B",
    architectures: ["MiniCPMForCausalLM"],
    auto_map: {
      AutoConfig: "configuration_minicpm.MiniCPMConfig",
      AutoModelForCausalLM: "modeling_minicpm.MiniCPMForCausalLM",
    },
    bos_token_id: 1,
    eos_token_id: 2,
    pad_token_id: null,
    hidden_act: "silu",
    initializer_range: 0.1,
    max_position_embeddings: 4096,
    model_type: "minicpm",
    rope_scaling: null,
    attention_bias: false,
    attention_dropout: 0.0,
    pretraining_tp: 1,
    torch_dtype: "bfloat16",
    transformers_version: "4.36.0",
    use_cache: true,
    scale_emb: 12,
    dim_model_base: 256,
    scale_depth: 1.4,
    rms_norm_eps: 1e-5,
    rope_theta: 10000.0,
    tie_word_embeddings: true,
    head_dim: 64,
    vocab_size: 122753,
    hidden_size: 2304,
    num_hidden_layers: 40,
    num_attention_heads: 36,
    num_key_value_heads: 36,
    intermediate_size: 5760,
  };

  it("accepts metadata and switches at the implemented value", () => {
    expect(S.resolveMiniCPMConfig(released)).toEqual(S.MiniCPM.presets["minicpm-2b"]);
  });

  it("refuses fields that change the model, naming them", () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { rope_scaling: { type: "linear", factor: 2.0 } },
        /rope_scaling \{"type":"linear","factor":2\} changes the model/,
      ],
      [{ rope_scaling: { type: "dynamic", factor: 4.0 } }, /rope_scaling/],
      [{ hidden_act: "gelu" }, /hidden_act "gelu" changes the model and slmkit implements only "silu"/],
      [{ attention_bias: true }, /attention_bias true/],
      [{ attention_dropout: 0.1 }, /attention_dropout 0\.1/],
      [{ head_dim: 128 }, /head_dim 128 must be hidden_size \/ num_attention_heads \(64\)/],
      [{ num_experts: 8 }, /unknown field "num_experts" \(8\)/],
      [{ sliding_window: 1024 }, /unknown field "sliding_window"/],
    ];
    for (const [extra, message] of cases) {
      expect(() => S.resolveMiniCPMConfig({ ...released, ...extra } as S.MiniCPMConfigInput)).toThrow(message);
      expect(() => new S.MiniCPM({ ...SMALL, ...extra } as S.MiniCPMConfigInput)).toThrow(S.ArgumentError);
    }
  });
});
