import { ArgumentError, ShapeError } from "../errors.js";
import { shadowOf } from "../nn/shadow.js";
import { adamwStep, globalNorm } from "../ops/adamw.js";
import { zeros } from "../ops/creation.js";
import { item, toDevice } from "../ops/readback.js";
import { clone } from "../ops/views.js";
import { formatShape, sameShape } from "../tensor/shape.js";
import { keep } from "../tensor/scope.js";
import { Tensor } from "../tensor/tensor.js";
import type { ParameterGroup } from "./param_group.js";

export interface AdamWOptions {
  /** Default [0.9, 0.95] (MiniCPM, PanGu-π Pro). */
  betas?: readonly [number, number];
  /** Default 1e-8. */
  eps?: number;
}

/** What `stateDict()` returns and `loadStateDict()` takes. */
export interface AdamWStateDict {
  meta: {
    /** Calls of `step()` so far. */
    step: number;
    betas: [number, number];
    eps: number;
    groups: { name: string; lrMultiplier: number; weightDecay: number; paramNames: string[]; paramSteps: number[] }[];
  };
  /** `${paramName}.exp_avg` and `${paramName}.exp_avg_sq` for every parameter that has been updated. */
  tensors: Record<string, Tensor<"f32">>;
}

/** Moments of one parameter and how many updates it has had (its bias-correction step, as torch counts it). */
interface Moments {
  expAvg: Tensor<"f32">;
  expAvgSq: Tensor<"f32">;
  step: number;
}

interface Slot {
  param: Tensor<"f32">;
  name: string;
  group: ParameterGroup;
  moments: Moments | undefined;
}

function checkGroups(groups: readonly ParameterGroup[]): void {
  if (!Array.isArray(groups) || groups.length === 0)
    throw new ArgumentError("AdamW: groups must be a non-empty array of ParameterGroup");
  const seen = new Set<Tensor>();
  groups.forEach((g, gi) => {
    const where = `AdamW: group ${gi} (${String(g?.name)})`;
    if (typeof g !== "object" || g === null || typeof g.name !== "string" || !Array.isArray(g.params))
      throw new ArgumentError(`${where}: expected { name, params, lrMultiplier, weightDecay }`);
    for (const [key, v] of [
      ["lrMultiplier", g.lrMultiplier],
      ["weightDecay", g.weightDecay],
    ] as const) {
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
        throw new ArgumentError(`${where}: ${key} must be a finite number >= 0, got ${String(v)}`);
    }
    if (g.paramNames !== undefined && (!Array.isArray(g.paramNames) || g.paramNames.length !== g.params.length)) {
      throw new ArgumentError(
        `${where}: paramNames must hold one name per parameter (${g.params.length}), got ${Array.isArray(g.paramNames) ? g.paramNames.length : typeof g.paramNames}`,
      );
    }
    (g.params as readonly unknown[]).forEach((p, i) => {
      if (!(p instanceof Tensor) || p.dtype !== "f32")
        throw new ArgumentError(
          `${where}: parameter ${i} must be an f32 Tensor, got ${p instanceof Tensor ? p.dtype : typeof p}`,
        );
      if (seen.has(p))
        throw new ArgumentError(
          `${where}: parameter ${i} is already in a group; each parameter belongs to exactly one`,
        );
      seen.add(p);
    });
  });
}

/**
 * AdamW (decoupled weight decay, as torch.optim.AdamW) over parameter groups. Every step updates all
 * parameters that have a gradient with one call of the fused multi-tensor kernel; the learning rate of a
 * parameter is the scheduled rate times its group's `lrMultiplier`. Moments are fp32. Parameters without a
 * gradient are skipped and keep their own step count, as in PyTorch. A parameter with a bf16 shadow
 * (mixed precision, see Module.setComputeDType) has its shadow rewritten from the updated master in the
 * same kernel pass.
 *
 * @example
 * const opt = new AdamW(defaultParameterGroups(model.namedParameters(), { weightDecay: 0.1 }));
 * backward(loss);
 * const { norm } = opt.clipGradNorm(1.0);
 * opt.step(schedule.at(opt.stepCount));
 * opt.zeroGrad();
 */
export class AdamW {
  readonly groups: readonly ParameterGroup[];
  readonly betas: readonly [number, number];
  readonly eps: number;
  private readonly slots: Slot[];
  private steps = 0;
  /** The factor of the last clipGradNorm, applied (and reset) by the next step. */
  private pendingClip = 1;

  constructor(groups: readonly ParameterGroup[], options: AdamWOptions = {}) {
    checkGroups(groups);
    const betas = options.betas ?? [0.9, 0.95];
    if (!Array.isArray(betas) || betas.length !== 2 || !betas.every((b) => typeof b === "number" && b >= 0 && b < 1)) {
      throw new ArgumentError(`AdamW: betas must be two numbers in [0, 1), got ${JSON.stringify(betas)}`);
    }
    const eps = options.eps ?? 1e-8;
    if (typeof eps !== "number" || !Number.isFinite(eps) || eps < 0)
      throw new ArgumentError(`AdamW: eps must be a finite number >= 0, got ${String(eps)}`);
    this.groups = groups;
    this.betas = [betas[0], betas[1]];
    this.eps = eps;
    this.slots = groups.flatMap((group) =>
      group.params.map((param, i) => ({
        param,
        group,
        name: group.paramNames?.[i] ?? `${group.name}.${i}`,
        moments: undefined,
      })),
    );
    const names = new Set<string>();
    for (const s of this.slots) {
      if (names.has(s.name))
        throw new ArgumentError(`AdamW: parameter name "${s.name}" is used twice; names key the saved state`);
      names.add(s.name);
    }
  }

  /** Calls of `step()` so far (the step of the schedule to use next). */
  get stepCount(): number {
    return this.steps;
  }

  /**
   * Computes the global L2 norm of all gradients (one fused op) and returns it with the clip factor
   * min(1, maxNorm / (norm + 1e-6)) of torch's clip_grad_norm_. The gradients are not rewritten: the
   * factor is folded into the next `step()`'s gradScale.
   */
  clipGradNorm(maxNorm: number): { norm: number; scale: number } {
    if (typeof maxNorm !== "number" || !(maxNorm > 0) || !Number.isFinite(maxNorm))
      throw new ArgumentError(`AdamW.clipGradNorm: maxNorm must be a finite number > 0, got ${String(maxNorm)}`);
    const grads = this.slots.flatMap((s) => (s.param.grad ? [s.param.grad] : []));
    if (grads.length === 0) return { norm: 0, scale: 1 };
    const normTensor = globalNorm(grads);
    const norm = item(normTensor);
    normTensor.dispose();
    this.pendingClip = Math.min(1, maxNorm / (norm + 1e-6));
    return { norm, scale: this.pendingClip };
  }

  /**
   * One AdamW update of every parameter that has a gradient, at learning rate `lr` × group.lrMultiplier.
   * `gradScale` multiplies the gradients (e.g. 1/accumulation steps); a pending clip factor multiplies it.
   */
  step(lr: number, options: { gradScale?: number } = {}): void {
    if (typeof lr !== "number" || !Number.isFinite(lr) || lr < 0)
      throw new ArgumentError(`AdamW.step: lr must be a finite number >= 0, got ${String(lr)}`);
    const userScale = options.gradScale ?? 1;
    if (typeof userScale !== "number" || !Number.isFinite(userScale))
      throw new ArgumentError(`AdamW.step: gradScale must be a finite number, got ${String(userScale)}`);
    const gradScale = userScale * this.pendingClip;
    this.pendingClip = 1;
    // Parameters skipped on earlier steps have fewer updates (bias correction); one kernel call per distinct
    // count, which is a single call unless some parameter once had no gradient.
    const byStep = new Map<number, Slot[]>();
    for (const s of this.slots) {
      if (s.param.grad === undefined) continue;
      s.moments ??= {
        expAvg: keep(zeros(s.param.shape, { device: s.param.device })),
        expAvgSq: keep(zeros(s.param.shape, { device: s.param.device })),
        step: 0,
      };
      const next = s.moments.step + 1;
      byStep.set(next, [...(byStep.get(next) ?? []), s]);
    }
    for (const [step, slots] of byStep) {
      adamwStep({
        params: slots.map((s) => s.param),
        grads: slots.map((s) => s.param.grad!),
        expAvg: slots.map((s) => s.moments!.expAvg),
        expAvgSq: slots.map((s) => s.moments!.expAvgSq),
        lr: slots.map((s) => lr * s.group.lrMultiplier),
        weightDecay: slots.map((s) => s.group.weightDecay),
        beta1: this.betas[0],
        beta2: this.betas[1],
        eps: this.eps,
        step,
        gradScale,
        copies: slots.map((s) => shadowOf(s.param)),
      });
      for (const s of slots) s.moments!.step = step;
    }
    this.steps++;
  }

  /** Disposes and clears every parameter's gradient. */
  zeroGrad(): void {
    for (const s of this.slots) s.param.zeroGrad();
  }

  /** A copy of the optimiser state (the caller owns the tensors). */
  stateDict(): AdamWStateDict {
    const tensors: Record<string, Tensor<"f32">> = {};
    for (const s of this.slots) {
      if (!s.moments) continue;
      tensors[`${s.name}.exp_avg`] = clone(s.moments.expAvg);
      tensors[`${s.name}.exp_avg_sq`] = clone(s.moments.expAvgSq);
    }
    const groups = this.groups.map((g) => {
      const slots = this.slots.filter((s) => s.group === g);
      return {
        name: g.name,
        lrMultiplier: g.lrMultiplier,
        weightDecay: g.weightDecay,
        paramNames: slots.map((s) => s.name),
        paramSteps: slots.map((s) => s.moments?.step ?? 0),
      };
    });
    return { meta: { step: this.steps, betas: [this.betas[0], this.betas[1]], eps: this.eps, groups }, tensors };
  }

  /** Restores a `stateDict()` (copying its tensors to the parameters' devices). Groups must match by name and parameter names. */
  loadStateDict(sd: AdamWStateDict): void {
    const fail = (why: string): never => {
      throw new ArgumentError(`AdamW.loadStateDict: ${why}`);
    };
    if (typeof sd !== "object" || sd === null || typeof sd.meta !== "object" || typeof sd.tensors !== "object")
      fail("expected { meta, tensors } from stateDict()");
    const { meta } = sd;
    if (!Number.isInteger(meta.step) || meta.step < 0)
      fail(`meta.step must be a whole number >= 0, got ${String(meta.step)}`);
    if (meta.betas?.[0] !== this.betas[0] || meta.betas?.[1] !== this.betas[1] || meta.eps !== this.eps) {
      fail(
        `saved betas ${JSON.stringify(meta.betas)} / eps ${String(meta.eps)} differ from this optimiser's ${JSON.stringify(this.betas)} / ${this.eps}`,
      );
    }
    if (!Array.isArray(meta.groups) || meta.groups.length !== this.groups.length)
      fail(`saved state has ${meta.groups?.length} groups, this optimiser ${this.groups.length}`);
    const loaded: Moments[] = [];
    const slots = this.groups.flatMap((g, gi) => {
      const saved = meta.groups[gi]!;
      const mine = this.slots.filter((s) => s.group === g);
      if (saved.name !== g.name) fail(`group ${gi} is "${saved.name}" in the saved state, "${g.name}" here`);
      const names = mine.map((s) => s.name);
      if (JSON.stringify(saved.paramNames) !== JSON.stringify(names))
        fail(`group "${g.name}" saved parameters [${saved.paramNames}] differ from [${names}]`);
      return mine.map((s, i) => ({ s, step: saved.paramSteps?.[i] }));
    });
    const next = slots.map(({ s, step }) => {
      if (!Number.isInteger(step) || step! < 0)
        fail(`parameter "${s.name}" has no valid saved step count (${String(step)})`);
      if (step === 0) return undefined;
      const pick = (suffix: string): Tensor<"f32"> => {
        const t = sd.tensors[`${s.name}.${suffix}`];
        if (!(t instanceof Tensor)) return fail(`tensor "${s.name}.${suffix}" is missing`);
        if (t.dtype !== "f32") fail(`tensor "${s.name}.${suffix}" has dtype ${t.dtype}, expected f32`);
        if (!sameShape(t.shape, s.param.shape))
          throw new ShapeError(
            `AdamW.loadStateDict: tensor "${s.name}.${suffix}" has shape ${formatShape(t.shape)}, parameter ${formatShape(s.param.shape)}`,
          );
        const moved = toDevice(t, s.param.device);
        return keep(moved === t ? clone(t) : moved);
      };
      const m: Moments = { expAvg: pick("exp_avg"), expAvgSq: pick("exp_avg_sq"), step: step! };
      loaded.push(m);
      return m;
    });
    // Only now that everything checked out is the old state replaced.
    slots.forEach(({ s }, i) => {
      s.moments?.expAvg.dispose();
      s.moments?.expAvgSq.dispose();
      s.moments = next[i];
    });
    this.steps = meta.step;
    this.pendingClip = 1;
  }

  /** Frees the moment tensors (the parameters belong to the caller). */
  dispose(): void {
    for (const s of this.slots) {
      s.moments?.expAvg.dispose();
      s.moments?.expAvgSq.dispose();
      s.moments = undefined;
    }
  }
}
