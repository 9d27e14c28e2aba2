// The MiniCPM golden fixture (scripts/fixtures/minicpm_golden.py: a 2-layer MiniCPM with GQA, μP scalings
// with m = 4 and tied embeddings, run by a PyTorch port of the Hugging Face modeling code) and one test
// suite over it, run on the CPU (test/models/minicpm_golden.test.ts) and on CUDA (test/cuda/minicpm.test.ts)
// in both compute dtypes: logits, loss and every parameter gradient against the float64 reference.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as S from "../../src/index.js";
import { unitRoundoff } from "../reference/index.js";

interface Stored {
  shape: number[];
  f32?: string;
  f64?: string;
  f64_as_f32?: string;
  f32_vs_f64_max_abs?: number;
  max_abs?: number;
}
const fixture = JSON.parse(readFileSync(new URL("../fixtures/minicpm_golden.json", import.meta.url), "utf8")) as {
  config: S.MiniCPMConfigInput;
  input_ids: number[][];
  targets: number[][];
  weights: Record<string, Stored>;
  logits: Stored;
  loss: { f64: number; f32: number };
  grads: Record<string, Stored>;
};

const decode = (b64: string, bytes: 4 | 8): Float64Array => {
  const buf = Buffer.from(b64, "base64");
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return Float64Array.from({ length: buf.byteLength / bytes }, (_, i) =>
    bytes === 4 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true),
  );
};

/**
 * bf16 compute rounds activations to bf16 (unit roundoff u = 2^-8) at every matmul input and output, after
 * RoPE, attention and SwiGLU. On the longest forward path that is 5 roundings per layer in attention
 * (input cast, q/k projection, RoPE, attention output, o_proj) and 4 in the MLP (input cast, gate/up,
 * SwiGLU, down_proj), plus the LM head's input cast and output. Each relative error of at most u reaches
 * the output at most once along the path, so we allow that many u times the output's magnitude; the
 * backward pass rounds its gradients at as many points again, hence twice that for the gradients.
 */
const FORWARD_ROUNDINGS = 9 * fixture.config.num_hidden_layers + 2;

/**
 * f32: the f32 PyTorch run differs from the f64 reference by `f32_vs_f64_max_abs` (different summation
 * orders in f32); slmkit's fused kernels sum in yet other orders, so we allow 8x that difference, plus 32
 * f32 unit roundoffs of the largest magnitude for outputs where PyTorch happens to be exact by chance.
 */
function tolerance(s: Stored, dtype: S.ComputeDType, roundings: number): number {
  if (dtype === "bf16") return roundings * unitRoundoff.bf16 * s.max_abs!;
  return 8 * s.f32_vs_f64_max_abs! + 32 * unitRoundoff.f32 * s.max_abs!;
}

function maxAbsDiff(got: ArrayLike<number>, want: Float64Array): number {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  return worst;
}

/** Defines the golden-fixture tests for a model on `device` computing in `dtype` (built in beforeAll, so a
 * skipped CUDA suite touches no GPU). */
export function goldenSuite(device: S.Device, dtype: S.ComputeDType): void {
  describe(`MiniCPM against PyTorch (golden fixture), ${device}, ${dtype} compute`, () => {
    let model: S.MiniCPM;
    let logits: S.Tensor<"f32">;
    let loss: S.Tensor<"f32">;
    let logitsErr: number;
    const owned: S.Tensor[] = [];
    beforeAll(() => {
      model = new S.MiniCPM({ ...fixture.config, use_mup: true }, { device, computeDType: dtype });
      // Loaded after construction: loadStateDict must re-derive the bf16 shadows from the loaded masters.
      const stateDict = Object.fromEntries(
        Object.entries(fixture.weights).map(([k, w]) => [
          k,
          S.tensor(new Float32Array(decode(w.f32!, 4)), { shape: w.shape }),
        ]),
      );
      model.loadStateDict(stateDict);
      const ids = S.tensor(fixture.input_ids, { dtype: "i32", device });
      const targets = S.tensor(fixture.targets, { dtype: "i32", device });
      const out = model.forward(ids, { targets });
      logits = out.logits;
      loss = out.loss!;
      loss.backward();
      logitsErr = maxAbsDiff(logits.dataSync(), decode(fixture.logits.f64!, 8));
      owned.push(...Object.values(stateDict), ids, targets, logits, loss);
    });
    afterAll(() => {
      for (const t of owned) t.dispose();
      model?.dispose();
    });

    it("has the fixture's parameter names and shapes, f32 masters on the device", () => {
      expect(model.namedParameters().map(([n, p]) => [n, [...p.shape]])).toEqual(
        Object.entries(fixture.weights).map(([n, w]) => [n, w.shape]),
      );
      for (const [, p] of model.namedParameters()) expect([p.dtype, p.device]).toEqual(["f32", device]);
      expect(model.computeDType).toBe(dtype);
    });

    it("logits match", () => {
      expect([...logits.shape]).toEqual(fixture.logits.shape);
      expect([logits.dtype, logits.device]).toEqual(["f32", device]);
      expect(logitsErr).toBeLessThanOrEqual(tolerance(fixture.logits, dtype, FORWARD_ROUNDINGS));
    });

    it("loss matches", () => {
      // bf16: lse and the target logit each move by at most the logits' error (the log-sum-exp is
      // 1-Lipschitz in the max norm), plus the f32 evaluation.
      const f32Tol = 8 * Math.abs(fixture.loss.f32 - fixture.loss.f64) + 32 * unitRoundoff.f32 * fixture.loss.f64;
      const tol = dtype === "bf16" ? 2 * logitsErr + 32 * unitRoundoff.f32 * fixture.loss.f64 : f32Tol;
      expect(Math.abs(loss.item() - fixture.loss.f64)).toBeLessThanOrEqual(tol);
    });

    for (const [name, g] of Object.entries(fixture.grads)) {
      it(`gradient of ${name} matches (f32, in the master's .grad)`, () => {
        const p = model.stateDict()[name]!;
        expect(p.grad, name).toBeDefined();
        expect(p.grad!.dtype).toBe("f32");
        expect(maxAbsDiff(p.grad!.dataSync(), decode(g.f64_as_f32!, 4))).toBeLessThanOrEqual(
          tolerance(g, dtype, 2 * FORWARD_ROUNDINGS),
        );
      });
    }
  });
}
