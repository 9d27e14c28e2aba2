import { ArgumentError, ShapeError } from "../errors.js";
import { keep } from "../tensor/scope.js";
import { formatShape, sameShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { copyInto } from "./copy.js";
import { attachShadow, detachShadow, syncShadow } from "./shadow.js";

/**
 * The dtype a module computes its matmuls (and attention) in. "bf16": fp32 master parameters with bf16
 * shadows that the forward pass reads, bf16 activations between the matmuls, f32 accumulation in the
 * kernels. "f32": everything in f32.
 */
export type ComputeDType = "f32" | "bf16";

/** Options of Module.loadStateDict(). */
export interface LoadStateDictOptions {
  /** Throw on missing and unexpected keys (default true). Shape mismatches always throw. */
  strict?: boolean;
}

/**
 * The base of every layer and model: it owns parameters and submodules, registered in the order the
 * constructor creates them, and names them with dotted paths ("layers.0.mlp.up_proj.weight") in that
 * order, so state dicts and optimiser groups are stable.
 *
 * @example
 * class Affine extends Module {
 *   readonly weight = this.registerParameter("weight", ones([4]));
 *   forward(x: Tensor<"f32">) { return x.mul(this.weight); }
 * }
 * const m = new Affine();
 * m.namedParameters(); // [["weight", Tensor [4]]]
 */
export abstract class Module {
  private readonly entries = new Map<string, Tensor<"f32"> | Module>();
  /** Own parameters that get a bf16 shadow when this module computes in bf16 (matmul weights). */
  private readonly shadowed = new Set<Tensor<"f32">>();
  private trainingFlag = true;
  private computeFlag: ComputeDType = "f32";

  /** True after train(), false after eval(). Layers with train-only behaviour read it. */
  get training(): boolean {
    return this.trainingFlag;
  }

  /** "f32" (default) or "bf16", set by setComputeDType(). Layers read it in forward(). */
  get computeDType(): ComputeDType {
    return this.computeFlag;
  }

  /**
   * Sets the compute dtype of this module and every descendant and returns this. "bf16" gives every
   * matmul weight a bf16 shadow (see src/nn/shadow.ts) that forward() reads and AdamW keeps in step with
   * the fp32 master; "f32" frees the shadows.
   *
   * @example
   * const mlp = new SwiGLUMLP(64, 160).setComputeDType("bf16");
   * mlp.forward(randn([2, 5, 64])); // bf16 [2, 5, 64]
   */
  setComputeDType(dtype: ComputeDType): this {
    if (dtype !== "f32" && dtype !== "bf16")
      throw new ArgumentError(`setComputeDType: dtype must be "f32" or "bf16", got ${String(dtype)}`);
    this.computeFlag = dtype;
    for (const p of this.shadowed) {
      if (dtype === "bf16") attachShadow(p);
      else detachShadow(p);
    }
    for (const [, child] of this.namedChildren()) child.setComputeDType(dtype);
    return this;
  }

  /**
   * Adopts `value` as a trainable parameter (requiresGrad on, kept out of tidy() scopes) and returns it.
   * `shadow`: the parameter is a matmul weight that gets a bf16 shadow under setComputeDType("bf16").
   */
  protected registerParameter(
    name: string,
    value: Tensor<"f32">,
    { shadow = false }: { shadow?: boolean } = {},
  ): Tensor<"f32"> {
    this.checkName(name);
    if (!(value instanceof Tensor) || value.dtype !== "f32")
      throw new ArgumentError(`Module.registerParameter: "${name}" must be an f32 Tensor`);
    value.requiresGrad = true;
    this.entries.set(name, keep(value));
    if (shadow) this.shadowed.add(value);
    return value;
  }

  /** Adopts `module` as a child whose parameters are named `name.<their name>`, and returns it. */
  protected registerModule<M extends Module>(name: string, module: M): M {
    this.checkName(name);
    if (!(module instanceof Module)) throw new ArgumentError(`Module.registerModule: "${name}" must be a Module`);
    this.entries.set(name, module);
    return module;
  }

  private checkName(name: string): void {
    if (typeof name !== "string" || name === "" || name.includes("."))
      throw new ArgumentError(
        `Module: a parameter or submodule name must be a non-empty string without dots, got "${String(name)}"`,
      );
    if (this.entries.has(name)) throw new ArgumentError(`Module: "${name}" is already registered`);
  }

  /** Every parameter with its dotted name, in registration order (depth first). */
  namedParameters(prefix = ""): [string, Tensor<"f32">][] {
    const out: [string, Tensor<"f32">][] = [];
    for (const [name, entry] of this.entries) {
      const full = prefix ? `${prefix}.${name}` : name;
      if (entry instanceof Module) out.push(...entry.namedParameters(full));
      else out.push([full, entry]);
    }
    return out;
  }

  /** Every parameter, in the order of namedParameters(). */
  parameters(): Tensor<"f32">[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Direct children with their names, in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.entries].filter((e): e is [string, Module] => e[1] instanceof Module);
  }

  /** Sets training mode on this module and every descendant; returns this. */
  train(mode = true): this {
    this.trainingFlag = mode;
    for (const [, child] of this.namedChildren()) child.train(mode);
    return this;
  }

  /** Same as train(false). */
  eval(): this {
    return this.train(false);
  }

  /** Parameters by name. The tensors are the parameters themselves, not copies. */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.namedParameters());
  }

  /**
   * Copies values from `stateDict` into the parameters (their identity is kept). Missing or unexpected keys
   * throw an ArgumentError listing them unless `strict` is false; a shape mismatch throws a ShapeError
   * naming the key and both shapes.
   */
  loadStateDict(stateDict: Record<string, Tensor>, { strict = true }: LoadStateDictOptions = {}): void {
    if (stateDict === null || typeof stateDict !== "object")
      throw new ArgumentError("loadStateDict: stateDict must be an object of tensors by name");
    const own = new Map(this.namedParameters());
    const given = Object.keys(stateDict);
    if (strict) {
      const missing = [...own.keys()].filter((k) => !(k in stateDict));
      const unexpected = given.filter((k) => !own.has(k));
      if (missing.length || unexpected.length) {
        const parts = [
          missing.length ? `missing keys: ${missing.join(", ")}` : "",
          unexpected.length ? `unexpected keys: ${unexpected.join(", ")}` : "",
        ];
        throw new ArgumentError(`loadStateDict: ${parts.filter(Boolean).join("; ")}`);
      }
    }
    for (const key of given) {
      const dst = own.get(key);
      const src = stateDict[key];
      if (!dst) continue;
      if (!(src instanceof Tensor)) throw new ArgumentError(`loadStateDict: "${key}" must be a Tensor`);
      if (!sameShape(dst.shape, src.shape))
        throw new ShapeError(
          `loadStateDict: shape mismatch for "${key}": the module has ${formatShape(dst.shape)}, the state dict ${formatShape(src.shape)}`,
        );
    }
    for (const key of given) {
      const dst = own.get(key);
      if (!dst) continue;
      copyInto(dst, stateDict[key]!, `loadStateDict "${key}"`);
      syncShadow(dst);
    }
  }

  /** The number of scalar parameters. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.numel, 0);
  }

  /** Disposes every parameter (its gradient and bf16 shadow too). The module cannot be used afterwards. */
  dispose(): void {
    for (const p of this.parameters()) {
      detachShadow(p);
      p.dispose();
    }
  }

  /** Drops the accumulated gradient of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }
}
