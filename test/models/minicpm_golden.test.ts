// A 2-layer MiniCPM (GQA, μP scalings with m = 4, tied embeddings) against the PyTorch fixture written by
// scripts/fixtures/minicpm_golden.py: logits, loss and every parameter gradient.
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import * as S from "../../src/index.js";

interface Stored { shape: number[]; f32?: string; f64?: string; f64_as_f32?: string; f32_vs_f64_max_abs?: number; max_abs?: number }
const fixture = JSON.parse(readFileSync(new URL("../fixtures/minicpm_golden.json", import.meta.url), "utf8")) as {
  config: S.MiniCPMConfigInput; input_ids: number[][]; targets: number[][];
  weights: Record<string, Stored>; logits: Stored; loss: { f64: number; f32: number }; grads: Record<string, Stored>;
};

const decode = (b64: string, bytes: 4 | 8): Float64Array => {
  const buf = Buffer.from(b64, "base64");
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return Float64Array.from({ length: buf.byteLength / bytes }, (_, i) => (bytes === 4 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true)));
};

/**
 * The tolerance of one output. The f32 PyTorch run differs from the f64 reference by `f32_vs_f64_max_abs`
 * (different summation orders in f32); slmkit's fused kernels sum in yet other orders, so we allow 8x
 * that difference, plus 32 f32 unit roundoffs of the largest magnitude for outputs where PyTorch happens to
 * be exact by chance.
 */
function tolerance(s: Stored): number {
  return 8 * s.f32_vs_f64_max_abs! + 32 * 2 ** -24 * s.max_abs!;
}

function maxAbsDiff(got: ArrayLike<number>, want: Float64Array): number {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  return worst;
}

describe("MiniCPM against PyTorch (golden fixture)", () => {
  const model = new S.MiniCPM({ ...fixture.config, use_mup: true });
  const stateDict = Object.fromEntries(Object.entries(fixture.weights).map(([k, w]) => [k, S.tensor(new Float32Array(decode(w.f32!, 4)), { shape: w.shape })]));
  model.loadStateDict(stateDict);
  const ids = S.tensor(fixture.input_ids, { dtype: "i32" });
  const targets = S.tensor(fixture.targets, { dtype: "i32" });
  const { logits, loss } = model.forward(ids, { targets });
  loss!.backward();
  afterAll(() => {
    for (const t of [...Object.values(stateDict), ids, targets, logits, loss!]) t.dispose();
    model.dispose();
  });

  it("has the fixture's parameter names and shapes", () => {
    expect(model.namedParameters().map(([n, p]) => [n, [...p.shape]])).toEqual(Object.entries(fixture.weights).map(([n, w]) => [n, w.shape]));
  });

  it("logits match", () => {
    expect([...logits.shape]).toEqual(fixture.logits.shape);
    expect(maxAbsDiff(logits.dataSync(), decode(fixture.logits.f64!, 8))).toBeLessThanOrEqual(tolerance(fixture.logits));
  });

  it("loss matches", () => {
    const tol = 8 * Math.abs(fixture.loss.f32 - fixture.loss.f64) + 32 * 2 ** -24 * fixture.loss.f64;
    expect(Math.abs(loss!.item() - fixture.loss.f64)).toBeLessThanOrEqual(tol);
  });

  for (const [name, g] of Object.entries(fixture.grads)) {
    it(`gradient of ${name} matches`, () => {
      const p = model.stateDict()[name]!;
      expect(p.grad, name).toBeDefined();
      expect(maxAbsDiff(p.grad!.dataSync(), decode(g.f64_as_f32!, 4))).toBeLessThanOrEqual(tolerance(g));
    });
  }
});
