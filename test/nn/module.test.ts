// Module bookkeeping (names, order, state dicts, modes) and the basic layers against float64 references.
import { describe, expect, it } from "vitest";
import * as S from "../../src/index.js";

class Block extends S.Module {
  readonly proj = this.registerModule("proj", new S.Linear(4, 3, { bias: true }));
  readonly norm = this.registerModule("norm", new S.RMSNorm(3));
}

class Net extends S.Module {
  readonly embed = this.registerModule("embed", new S.Embedding(10, 4));
  readonly blocks = this.registerModule("blocks", new S.ModuleList([new Block(), new Block()]));
  readonly scale = this.registerParameter("scale", S.ones([3]));
}

const names = [
  "embed.weight",
  "blocks.0.proj.weight",
  "blocks.0.proj.bias",
  "blocks.0.norm.weight",
  "blocks.1.proj.weight",
  "blocks.1.proj.bias",
  "blocks.1.norm.weight",
  "scale",
];

describe("Module", () => {
  it("names parameters with dotted paths in registration order", () => {
    const net = new Net();
    expect(net.namedParameters().map(([n]) => n)).toEqual(names);
    expect(net.parameters().every((p) => p.requiresGrad && p.dtype === "f32")).toBe(true);
    expect(net.numParameters()).toBe(40 + 2 * (12 + 3 + 3) + 3);
    net.dispose();
  });

  it("stateDict holds the parameters themselves", () => {
    const net = new Net();
    const sd = net.stateDict();
    expect(Object.keys(sd)).toEqual(names);
    expect(sd["blocks.1.proj.weight"]).toBe(net.blocks.at(1).proj.weight);
    net.dispose();
  });

  it("loadStateDict copies values in and keeps the parameter objects", () => {
    S.manualSeed(3);
    const a = new Net();
    const b = new Net();
    const before = b.parameters();
    b.loadStateDict(a.stateDict());
    expect(b.parameters()).toEqual(before);
    for (const [n, p] of b.namedParameters())
      expect(Array.from(p.dataSync()), n).toEqual(Array.from(a.stateDict()[n]!.dataSync()));
    // a copy, not shared storage: changing a does not change b
    S.initConstant(a.scale, 5);
    expect(Array.from(b.scale.dataSync())).toEqual([1, 1, 1]);
    a.dispose();
    b.dispose();
  });

  it("loadStateDict names missing, unexpected and mismatched keys", () => {
    const net = new Net();
    const sd = { ...net.stateDict() };
    delete (sd as Record<string, S.Tensor>)["scale"];
    expect(() => net.loadStateDict(sd)).toThrow(/missing keys: scale/);
    const extra = S.zeros([2]);
    expect(() => net.loadStateDict({ ...net.stateDict(), "blocks.2.proj.weight": extra })).toThrow(
      /unexpected keys: blocks\.2\.proj\.weight/,
    );
    const wrong = S.zeros([4, 4]);
    expect(() => net.loadStateDict({ ...net.stateDict(), "blocks.0.proj.weight": wrong })).toThrow(S.ShapeError);
    expect(() => net.loadStateDict({ ...net.stateDict(), "blocks.0.proj.weight": wrong })).toThrow(
      /"blocks\.0\.proj\.weight".*\[3, 4\].*\[4, 4\]/,
    );
    // non-strict: extra and missing keys are skipped, the rest loads
    const seven = S.full([3], 7);
    net.loadStateDict({ scale: seven, other: extra }, { strict: false });
    expect(Array.from(net.scale.dataSync())).toEqual([7, 7, 7]);
    for (const t of [extra, wrong, seven]) t.dispose();
    net.dispose();
  });

  it("train() and eval() reach every descendant", () => {
    const net = new Net();
    expect(net.training).toBe(true);
    net.eval();
    expect([net.training, net.blocks.training, net.blocks.at(0).norm.training]).toEqual([false, false, false]);
    net.train();
    expect(net.blocks.at(1).proj.training).toBe(true);
    net.dispose();
  });

  it("rejects bad names and duplicate registration", () => {
    class Bad extends S.Module {
      constructor(name: string) {
        super();
        this.registerParameter("w", S.ones([1]));
        this.registerParameter(name, S.ones([1]));
      }
    }
    expect(() => new Bad("w")).toThrow(/already registered/);
    expect(() => new Bad("a.b")).toThrow(S.ArgumentError);
  });

  it("dispose frees every parameter", () => {
    const before = S.memory().numTensors;
    const net = new Net();
    net.dispose();
    expect(S.memory().numTensors).toBe(before);
  });
});

describe("layers", () => {
  it("Linear computes x Wᵀ + b with W in [out, in] layout", () => {
    const lin = new S.Linear(3, 2, { bias: true });
    const w = S.tensor([
      [1, 2, 3],
      [-1, 0.5, 2],
    ]);
    const b = S.tensor([0.25, -1]);
    lin.loadStateDict({ weight: w, bias: b });
    const x = S.tensor([
      [
        [1, 0, -1],
        [2, 1, 0.5],
      ],
    ]);
    const y = lin.forward(x);
    expect(y.toArray()).toEqual([
      [
        [1 - 3 + 0.25, -1 - 2 - 1],
        [2 + 2 + 1.5 + 0.25, -2 + 0.5 + 1 - 1],
      ],
    ]);
    expect(() => lin.forward(S.zeros([2, 4]))).toThrow(/Linear\.forward.*\[2, 4\]/);
    for (const t of [w, b, x, y]) t.dispose();
    lin.dispose();
  });

  it("Linear has no bias by default and starts N(0, 1/in)", () => {
    S.manualSeed(11);
    const lin = new S.Linear(512, 256);
    expect(lin.namedParameters().map(([n]) => n)).toEqual(["weight"]);
    const v = lin.weight.dataSync();
    const std = Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length);
    // 131072 samples: the sample std has relative standard error 1/sqrt(2n) = 0.2%; allow 5 of them
    expect(Math.abs(std / (1 / Math.sqrt(512)) - 1)).toBeLessThan(0.01);
    lin.dispose();
  });

  it("Embedding looks up rows; RMSNorm starts at 1 and normalises", () => {
    const emb = new S.Embedding(5, 2);
    const table = S.tensor([
      [0, 0],
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ]);
    emb.loadStateDict({ weight: table });
    const ids = S.tensor([[4, 1]], { dtype: "i32" });
    const rows = emb.forward(ids);
    expect(rows.toArray()).toEqual([
      [
        [7, 8],
        [1, 2],
      ],
    ]);
    expect(() => emb.forward(S.tensor([1]) as unknown as S.Tensor<"i32">)).toThrow(S.DTypeError);
    const norm = new S.RMSNorm(2, { eps: 0 });
    expect(Array.from(norm.weight.dataSync())).toEqual([1, 1]);
    const y = norm.forward(rows).dataSync();
    const r = Math.sqrt((49 + 64) / 2);
    expect(y[0]).toBeCloseTo(7 / r, 6);
    expect(y[1]).toBeCloseTo(8 / r, 6);
    for (const t of [table, ids, rows]) t.dispose();
    emb.dispose();
    norm.dispose();
  });
});
