// CUDA random streams against the CPU's: rand and randint bit-exact, randn within the ulps of
// logf/cosf, for odd sizes, successive calls (offsets) and a seed above 2^32.
import { describe, expect, it } from "vitest";
import { manualSeed, rand, randint, randn, type Tensor } from "../../src/index.js";
import { expectClose } from "../helpers/expect.js";
import { elementwiseTol } from "../helpers/tolerance.js";
import { FLOAT_DTYPES, toRef } from "../helpers/tensors.js";
import { gpuStatus } from "./gpu.js";

// The same draws (same seed, same sequence of calls) on the CPU and on CUDA.
function drawBoth(seed: number, draw: (device: "cpu" | "cuda") => Tensor[]): { cpu: Tensor[]; cuda: Tensor[] } {
  manualSeed(seed);
  const cpu = draw("cpu");
  manualSeed(seed);
  const cuda = draw("cuda").map((t) => t.to("cpu"));
  return { cpu, cuda };
}

describe.skipIf(!gpuStatus.available)("CUDA random streams", () => {
  for (const dtype of FLOAT_DTYPES) {
    it(`rand ${dtype} is bit-exact with the CPU over odd sizes and successive calls`, () => {
      const r = drawBoth(1234, (device) => [
        rand([7], { dtype, device }),
        rand([1000003], { dtype, device, low: -2, high: 5 }),
        rand([3, 5], { dtype, device }),
      ]);
      for (let i = 0; i < 3; i++)
        expect(Array.from(r.cuda[i]!.dataSync()), `call ${i}`).toEqual(Array.from(r.cpu[i]!.dataSync()));
    });

    it(`randn ${dtype} matches the CPU within the ulps of logf/cosf`, () => {
      // A seed above 2^32 exercises the high key word.
      const r = drawBoth(2 ** 40 + 17, (device) => [
        randn([9], { dtype, device }),
        randn([500001], { dtype, device, mean: 1, std: 2 }),
      ]);
      for (let i = 0; i < 2; i++) {
        const want = toRef(r.cpu[i]!);
        expectClose(toRef(r.cuda[i]!), want, elementwiseTol(dtype, want, 2), `randn call ${i}`);
      }
    });
  }

  it("randint is bit-exact, including a negative low and the full i32 range", () => {
    const r = drawBoth(99, (device) => [
      randint(0, 50257, [100003], { device }),
      randint(-7, 3, [5], { device }),
      randint(-(2 ** 31), 2 ** 31, [1001], { device }),
    ]);
    for (let i = 0; i < 3; i++)
      expect(Array.from(r.cuda[i]!.dataSync()), `call ${i}`).toEqual(Array.from(r.cpu[i]!.dataSync()));
  });
});
