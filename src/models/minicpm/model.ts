import type { Device } from "../../backend/backend.js";
import { ArgumentError, DTypeError, ShapeError } from "../../errors.js";
import { initMuP, initStandard } from "../../init/mup.js";
import { Embedding } from "../../nn/embedding.js";
import { KVCache } from "../../nn/kv_cache.js";
import { Linear } from "../../nn/linear.js";
import { type ComputeDType, Module } from "../../nn/module.js";
import { ModuleList } from "../../nn/module_list.js";
import { RMSNorm } from "../../nn/rms_norm.js";
import { attachShadow, computeWeight, detachShadow } from "../../nn/shadow.js";
import { crossEntropy } from "../../ops/cross_entropy.js";
import { div, mul } from "../../ops/elementwise.js";
import { matmul } from "../../ops/matmul.js";
import { cast } from "../../ops/operands.js";
import { reshape, transpose } from "../../ops/views.js";
import type { ParameterGroup } from "../../optim/param_group.js";
import type { FloatDType } from "../../tensor/dtype.js";
import { tidy } from "../../tensor/scope.js";
import { formatShape } from "../../tensor/shape.js";
import { expectTensor, type Tensor } from "../../tensor/tensor.js";
import { type MiniCPMConfig, type MiniCPMConfigInput, resolveMiniCPMConfig, widthMultiplier } from "./config.js";
import { countMiniCPMParameters, type CountOptions } from "./count.js";
import { MiniCPMDecoderLayer } from "./decoder_layer.js";
import { generateTokens, type GenerateOptions } from "./generate.js";
import { MINICPM_PRESETS, type MiniCPMPresetName } from "./presets.js";

/** Options of the MiniCPM constructor. */
export interface MiniCPMOptions {
  device?: Device;
  /** Seeds the initial weights (the global generator's state is restored afterwards). */
  seed?: number;
  /** "mup" (default): 2-D weights ~ N(0, (initializer_range / sqrt(m))²); "standard": N(0, initializer_range²). */
  init?: "mup" | "standard";
  /**
   * Mixed precision. "bf16" (the default on "cuda"): the matmuls, RoPE and attention compute in bf16
   * (f32 accumulation) from bf16 shadows of the f32 master weights, which AdamW refreshes in its fused
   * step; the residual stream, RMSNorm, the μP scalings and the loss stay f32. "f32" (the default on
   * "cpu"): everything in f32. Change it later with setComputeDType().
   */
  computeDType?: ComputeDType;
}

/** Options of MiniCPM.forward(). */
export interface MiniCPMForwardOptions {
  /** i32 [B, T]: targets[b, t] is the token that should follow inputIds[b, t]; -100 is ignored. */
  targets?: Tensor<"i32">;
  /** KV cache for incremental decoding (inference only, inside noGrad()). */
  cache?: KVCache;
  /** Position of the first token for RoPE. Default: the cache length, or 0. */
  positionOffset?: number;
  /** Also return the hidden states (Hugging Face's output_hidden_states), e.g. to watch activation sizes. */
  outputHiddenStates?: boolean;
}

/** What MiniCPM.forward() returns. */
export interface MiniCPMOutput {
  /** f32 [B, T, V] (under bf16 compute: the bf16 logits widened, as Hugging Face's logits.float()). */
  logits: Tensor<"f32">;
  /** Mean cross-entropy over the non-ignored targets (only when targets were given). */
  loss?: Tensor<"f32">;
  /**
   * With outputHiddenStates: L + 2 f32 [B, T, C] tensors, as Hugging Face orders them: the embedding output
   * (after scale_emb), each decoder layer's output, and the final RMSNorm's output (the LM head's input
   * before μP's division by m).
   */
  hiddenStates?: Tensor<"f32">[];
}

/** The decoder stack under the Hugging Face prefix "model": embed_tokens, layers, norm. */
class MiniCPMModel extends Module {
  readonly embedTokens: Embedding;
  readonly layers: ModuleList<MiniCPMDecoderLayer>;
  readonly norm: RMSNorm;

  constructor(config: MiniCPMConfig, device: Device | undefined) {
    super();
    this.embedTokens = this.registerModule(
      "embed_tokens",
      new Embedding(config.vocab_size, config.hidden_size, { device, std: 0 }),
    );
    this.layers = this.registerModule(
      "layers",
      new ModuleList(Array.from({ length: config.num_hidden_layers }, () => new MiniCPMDecoderLayer(config, device))),
    );
    this.norm = this.registerModule("norm", new RMSNorm(config.hidden_size, { eps: config.rms_norm_eps, device }));
  }
}

/**
 * MiniCPM (Hu et al. 2024): a Llama-style decoder with μP scalings, grouped-query attention and tied
 * embeddings. Parameter names are those of Hugging Face checkpoints (model.embed_tokens.weight,
 * model.layers.N.self_attn.q_proj.weight, ..., lm_head.weight only when untied). On "cuda" it computes in
 * bf16 with f32 master weights by default (see MiniCPMOptions.computeDType).
 *
 * @example
 * const model = new MiniCPM("tiny", { seed: 0 });
 * const ids = randint(0, 2048, [2, 16]);
 * const { logits, loss } = model.forward(ids, { targets: randint(0, 2048, [2, 16]) });
 * loss!.backward();
 * const groups = model.parameterGroups({ weightDecay: 0.1 }); // μP lr multipliers for the optimiser
 * const text = model.generate([1, 2, 3], { maxNewTokens: 8, temperature: 0 });
 */
export class MiniCPM extends Module {
  /** Named configurations: the two releases, the wind-tunnel proxies and a CPU demo size. */
  static readonly presets = MINICPM_PRESETS;

  /**
   * Parameters of a configuration without allocating it. Non-embedding counts are 2,442,057,984
   * (minicpm-2b) and 1,247,442,432 (minicpm-1b).
   *
   * @example
   * MiniCPM.countParameters("minicpm-2b", { embedding: false }); // 2442057984
   */
  static countParameters(config: MiniCPMConfigInput | MiniCPMPresetName, opts: CountOptions = {}): number {
    return countMiniCPMParameters(configOf(config), opts);
  }

  readonly config: MiniCPMConfig;
  readonly device: Device;
  readonly model: MiniCPMModel;
  readonly lmHead: Linear | undefined;

  constructor(config: MiniCPMConfigInput | MiniCPMPresetName, opts: MiniCPMOptions = {}) {
    super();
    this.config = configOf(config);
    this.device = opts.device ?? "cpu";
    const init = opts.init ?? "mup";
    if (init !== "mup" && init !== "standard")
      throw new ArgumentError(`MiniCPM: init must be "mup" or "standard", got ${String(init)}`);
    this.model = this.registerModule("model", new MiniCPMModel(this.config, this.device));
    this.lmHead = this.config.tie_word_embeddings
      ? undefined
      : this.registerModule(
          "lm_head",
          new Linear(this.config.hidden_size, this.config.vocab_size, { device: this.device, std: 0 }),
        );
    const range = this.config.initializer_range;
    if (init === "mup")
      initMuP(this, { initializerRange: range, widthMultiplier: widthMultiplier(this.config), seed: opts.seed });
    else initStandard(this, { initializerRange: range, seed: opts.seed });
    // Shadows are made from the initialised masters.
    this.setComputeDType(opts.computeDType ?? (this.device === "cuda" ? "bf16" : "f32"));
  }

  /** As Module.setComputeDType; a tied embedding also gets a bf16 shadow, for the LM head's matmul. */
  override setComputeDType(dtype: ComputeDType): this {
    super.setComputeDType(dtype);
    if (this.config.tie_word_embeddings) {
      if (dtype === "bf16") attachShadow(this.model.embedTokens.weight);
      else detachShadow(this.model.embedTokens.weight);
    }
    return this;
  }

  /**
   * Logits (f32 [B, T, V]) for i32 token ids [B, T] and, with targets, the mean cross-entropy loss.
   * μP: the embedding output is multiplied by scale_emb, each residual branch by scale_depth / sqrt(L), and
   * the final hidden state divided by m = hidden_size / dim_model_base before the LM head.
   */
  forward(inputIds: Tensor<"i32">, opts: MiniCPMForwardOptions = {}): MiniCPMOutput {
    const { targets, cache, outputHiddenStates = false } = opts;
    const positionOffset = this.checkInputs("forward", inputIds, opts);
    return tidy(() => {
      const { logits, hiddenStates } = this.run(inputIds, positionOffset, cache, outputHiddenStates);
      const loss = targets ? this.crossEntropyOf(logits, targets) : undefined;
      return { logits: cast(logits, "f32"), ...(loss ? { loss } : {}), ...(hiddenStates ? { hiddenStates } : {}) };
    });
  }

  /** Logits [B, T, V] in the compute dtype and, when asked, the hidden states (see MiniCPMOutput). */
  private run(
    inputIds: Tensor<"i32">,
    positionOffset: number,
    cache: KVCache | undefined,
    withHiddenStates: boolean,
  ): { logits: Tensor<FloatDType>; hiddenStates?: Tensor<"f32">[] } {
    const { use_mup: mup, scale_emb: scaleEmb } = this.config;
    return tidy(() => {
      const hiddenStates: Tensor<"f32">[] = [];
      // The residual stream h stays f32: each layer adds a branch scaled by scale_depth / sqrt(L) (0.05 to
      // 0.25), which bf16's 8-bit mantissa would round away against a larger h.
      const embedded = this.model.embedTokens.forward(inputIds);
      let h = mup ? mul(embedded, scaleEmb) : embedded;
      if (withHiddenStates) hiddenStates.push(h);
      let i = 0;
      for (const layer of this.model.layers) {
        h = layer.forward(h, { positionOffset, cache: cache?.layers[i++] });
        if (withHiddenStates) hiddenStates.push(h);
      }
      const normed = this.model.norm.forward(h);
      if (withHiddenStates) hiddenStates.push(cast(normed, "f32"));
      const headInput = mup ? div(normed, widthMultiplier(this.config)) : normed;
      const logits = this.lmHead
        ? this.lmHead.forward(headInput)
        : matmul(
            cast(headInput, this.computeDType) as Tensor<FloatDType>,
            transpose(computeWeight(this.model.embedTokens.weight), 0, 1),
          );
      return { logits, ...(withHiddenStates ? { hiddenStates } : {}) };
    });
  }

  /**
   * Mean cross-entropy in f32. bf16 logits go to the kernel as they are: it widens them exactly and takes
   * the log-sum-exp in f32, so the loss equals that of the f32-widened logits (Hugging Face's
   * logits.float()) without a B·T·V f32 copy, and the logits' gradient is bf16 like the matmul below it.
   */
  private crossEntropyOf(logits: Tensor<FloatDType>, targets: Tensor<"i32">): Tensor<"f32"> {
    const [B, T, V] = logits.shape as [number, number, number];
    return tidy(() => crossEntropy(reshape(logits, [B * T, V]), reshape(targets, [B * T])));
  }

  /**
   * The mean cross-entropy loss only: the logits are released as soon as the loss exists (the backward
   * pass keeps what it needs).
   *
   * @example
   * const loss = model.loss(ids, targets); loss.backward(); loss.dispose();
   */
  loss(inputIds: Tensor<"i32">, targets: Tensor<"i32">): Tensor<"f32"> {
    if (targets === undefined) throw new ArgumentError("MiniCPM.loss: targets are required");
    this.checkInputs("loss", inputIds, { targets });
    return tidy(() => this.crossEntropyOf(this.run(inputIds, 0, undefined, false).logits, targets));
  }

  /**
   * Optimiser groups with μP learning-rate multipliers: 2-D weights train at lr / m with weight decay
   * (the tied embedding too unless mup_embedding_lr_scaled is false, then at lr), norm weights at lr
   * without decay. Without use_mup every multiplier is 1. `paramNames` are the Hugging Face names.
   *
   * @example
   * const groups = model.parameterGroups({ weightDecay: 0.1 });
   * // [{ name: "matrices", lrMultiplier: 1/m, weightDecay: 0.1, ... }, { name: "norms", lrMultiplier: 1, weightDecay: 0, ... }]
   */
  parameterGroups({ weightDecay = 0.1 }: { weightDecay?: number } = {}): ParameterGroup[] {
    if (typeof weightDecay !== "number" || !(weightDecay >= 0) || !Number.isFinite(weightDecay))
      throw new ArgumentError(
        `MiniCPM.parameterGroups: weightDecay must be a finite number >= 0, got ${String(weightDecay)}`,
      );
    const matrixLr = this.config.use_mup ? 1 / widthMultiplier(this.config) : 1;
    const groups = {
      matrices: { lrMultiplier: matrixLr, weightDecay, params: [] as Tensor<"f32">[], names: [] as string[] },
      embedding: { lrMultiplier: 1, weightDecay, params: [] as Tensor<"f32">[], names: [] as string[] },
      norms: { lrMultiplier: 1, weightDecay: 0, params: [] as Tensor<"f32">[], names: [] as string[] },
    };
    for (const [name, p] of this.namedParameters()) {
      const isEmbedding = name === "model.embed_tokens.weight";
      const group =
        p.ndim < 2
          ? groups.norms
          : isEmbedding && !this.config.mup_embedding_lr_scaled
            ? groups.embedding
            : groups.matrices;
      group.params.push(p);
      group.names.push(name);
    }
    return Object.entries(groups)
      .filter(([, g]) => g.params.length > 0)
      .map(([name, g]) => ({
        name,
        params: g.params,
        lrMultiplier: g.lrMultiplier,
        weightDecay: g.weightDecay,
        paramNames: g.names,
      }));
  }

  /**
   * Parameters held by this model (real tensors). With `embedding: false` the embedding (and an untied LM
   * head) is left out, as in the paper's non-embedding counts.
   */
  override numParameters({ embedding = true }: CountOptions = {}): number {
    return this.namedParameters()
      .filter(([name]) => embedding || (name !== "model.embed_tokens.weight" && name !== "lm_head.weight"))
      .reduce((n, [, p]) => n + p.numel, 0);
  }

  /**
   * Continues `promptIds` by up to `maxNewTokens` tokens and returns the new ones (the prompt is not
   * repeated; a stop token ends generation and is not returned). The prompt runs once and fills a KV
   * cache; each new token then costs one single-position forward pass. Sampling is greedy at temperature 0,
   * else softmax sampling with optional topK/topP, reproducible with `seed`. `onToken` sees each new token
   * and can return false to stop.
   *
   * @example
   * model.generate([1, 42, 7], { maxNewTokens: 20, temperature: 0.8, topP: 0.9, seed: 1, onToken: (id) => process.stdout.write(`${id} `) });
   */
  generate(promptIds: readonly number[], opts: GenerateOptions): number[] {
    return generateTokens(this, promptIds, opts);
  }

  /** Validates forward()/loss() arguments and returns the RoPE position offset. */
  private checkInputs(
    fn: string,
    inputIds: Tensor<"i32">,
    { targets, cache, positionOffset: offset }: MiniCPMForwardOptions,
  ): number {
    const { B, T } = this.checkIds(fn, "inputIds", inputIds);
    if (targets !== undefined) {
      this.checkIds(fn, "targets", targets);
      if (targets.shape[0] !== B || targets.shape[1] !== T)
        throw new ShapeError(
          `MiniCPM.${fn}: targets must match inputIds ${formatShape(inputIds.shape)}, got ${formatShape(targets.shape)}`,
        );
    }
    if (cache !== undefined && (!(cache instanceof KVCache) || cache.layers.length !== this.config.num_hidden_layers)) {
      throw new ArgumentError(`MiniCPM.${fn}: cache must be a KVCache of ${this.config.num_hidden_layers} layers`);
    }
    const positionOffset = offset ?? cache?.length ?? 0;
    if (!Number.isInteger(positionOffset) || positionOffset < 0)
      throw new ArgumentError(
        `MiniCPM.${fn}: positionOffset must be a whole number >= 0, got ${String(positionOffset)}`,
      );
    if (positionOffset + T > this.config.max_position_embeddings) {
      throw new ArgumentError(
        `MiniCPM.${fn}: positions up to ${positionOffset + T} exceed max_position_embeddings (${this.config.max_position_embeddings})`,
      );
    }
    return positionOffset;
  }

  private checkIds(fn: string, arg: string, ids: Tensor<"i32">): { B: number; T: number } {
    expectTensor(`MiniCPM.${fn}`, arg, ids);
    if (ids.dtype !== "i32") throw new DTypeError(`MiniCPM.${fn}: ${arg} must be an i32 tensor, got ${ids.dtype}`);
    if (ids.ndim !== 2 || ids.shape[1] === 0)
      throw new ShapeError(`MiniCPM.${fn}: ${arg} must be [B, T] with T >= 1, got ${formatShape(ids.shape)}`);
    return { B: ids.shape[0]!, T: ids.shape[1]! };
  }
}

function configOf(config: MiniCPMConfigInput | MiniCPMPresetName): MiniCPMConfig {
  if (typeof config === "string") {
    const preset = (MINICPM_PRESETS as Record<string, MiniCPMConfig>)[config];
    if (!preset)
      throw new ArgumentError(
        `MiniCPM: unknown preset "${config}"; choose one of ${Object.keys(MINICPM_PRESETS).join(", ")}`,
      );
    return preset;
  }
  return resolveMiniCPMConfig(config);
}
