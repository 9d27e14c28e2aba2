import type { Device } from "../../backend/backend.js";
import { CausalSelfAttention } from "../../nn/attention.js";
import type { LayerKVCache } from "../../nn/kv_cache.js";
import { SwiGLUMLP } from "../../nn/mlp.js";
import { Module } from "../../nn/module.js";
import { RMSNorm } from "../../nn/rms_norm.js";
import { add, mul } from "../../ops/elementwise.js";
import { cast } from "../../ops/operands.js";
import type { FloatDType } from "../../tensor/dtype.js";
import { tidy } from "../../tensor/scope.js";
import type { Tensor } from "../../tensor/tensor.js";
import type { MiniCPMConfig } from "./config.js";

/**
 * One pre-norm MiniCPM block: h + s·attn(norm(h)), then h + s·mlp(norm(h)), with s = scale_depth / sqrt(L)
 * under μP (1 otherwise). Submodule names follow Hugging Face (self_attn, mlp, input_layernorm,
 * post_attention_layernorm). h is f32 whatever the compute dtype; a bf16 branch is widened before it is
 * scaled, so s is applied exactly (a bf16 copy of s would be off by up to 0.4%, a systematic bias).
 */
export class MiniCPMDecoderLayer extends Module {
  readonly selfAttn: CausalSelfAttention;
  readonly mlp: SwiGLUMLP;
  readonly inputLayernorm: RMSNorm;
  readonly postAttentionLayernorm: RMSNorm;
  private readonly residualScale: number;

  constructor(config: MiniCPMConfig, device: Device | undefined) {
    super();
    const C = config.hidden_size;
    // Weights start at zero here; the model initialises every parameter in one seeded pass.
    this.selfAttn = this.registerModule(
      "self_attn",
      new CausalSelfAttention({
        hiddenSize: C,
        numHeads: config.num_attention_heads,
        numKvHeads: config.num_key_value_heads,
        ropeTheta: config.rope_theta,
        device,
        std: 0,
      }),
    );
    this.mlp = this.registerModule("mlp", new SwiGLUMLP(C, config.intermediate_size, { device, std: 0 }));
    this.inputLayernorm = this.registerModule("input_layernorm", new RMSNorm(C, { eps: config.rms_norm_eps, device }));
    this.postAttentionLayernorm = this.registerModule(
      "post_attention_layernorm",
      new RMSNorm(C, { eps: config.rms_norm_eps, device }),
    );
    this.residualScale = config.use_mup ? config.scale_depth / Math.sqrt(config.num_hidden_layers) : 1;
  }

  /** h [B, T, C] -> [B, T, C]. */
  forward(h: Tensor<"f32">, opts: { positionOffset: number; cache?: LayerKVCache }): Tensor<"f32"> {
    return tidy(() => {
      const branch = (y: Tensor<FloatDType>) =>
        this.residualScale === 1 ? y : mul(cast(y, "f32"), this.residualScale);
      const afterAttn = add(h, branch(this.selfAttn.forward(this.inputLayernorm.forward(h), opts)));
      return add(afterAttn, branch(this.mlp.forward(this.postAttentionLayernorm.forward(afterAttn))));
    });
  }
}
