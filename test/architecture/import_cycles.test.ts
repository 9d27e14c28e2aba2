// Imports in src/ point one way (DESIGN.md: layers import downward only), so no module needs another
// that needs it back at run time.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { cycles, importEdges } from "./import_graph.js";

const edges = importEdges(fileURLToPath(new URL("../../src", import.meta.url)));

describe("src/ import graph", () => {
  it("has no import cycle at run time", () => {
    expect(cycles(edges.filter((e) => !e.typeOnly))).toEqual([]);
  });

  it("has no type-level cycle but Tensor.gradFn <-> GradNode.inputs, which graph.ts imports as a type only", () => {
    expect(cycles(edges)).toEqual([["tensor/graph.ts", "tensor/tensor.ts"]]);
  });
});
