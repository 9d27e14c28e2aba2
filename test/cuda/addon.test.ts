import { describe, expect, it } from "vitest";
import { arange, BackendError, cuda, full, memory, randn, tensor } from "../../src/index.js";
import { cudaKernelNames } from "../../src/backend/cuda.js";

const status = cuda.status();
if (!status.available) console.warn(`[test/cuda] CUDA is not available here, GPU tests skipped: ${status.reason}`);

describe("CUDA addon without a GPU", () => {
  it("loads (or explains why not) and reports a reason when CUDA is unavailable", () => {
    if (status.available) return;
    expect(typeof status.reason).toBe("string");
    expect(status.reason!.length).toBeGreaterThan(0);
    expect(() => full([2], 1, { device: "cuda" })).toThrow(/cuda/i);
  });

  it("the addon registers its kernels even with no GPU", () => {
    const names = cudaKernelNames();
    if (names === undefined) {
      console.warn("[test/cuda] CUDA addon not built: run npm run build:cuda");
      return;
    }
    expect(names).toContain("copy");
  });
});

describe.skipIf(!status.available)("CUDA device round trips", () => {
  it("moves every dtype to the GPU and back unchanged", () => {
    const cases = [
      tensor([
        [1.5, -2, 3],
        [4, 5.25, -6],
      ]),
      tensor([1, 2, 3], { dtype: "bf16" }),
      tensor(new Int32Array([7, -8, 9])),
      tensor([true, false, true]),
    ];
    for (const t of cases) {
      const onGpu = t.to("cuda");
      expect(onGpu.device).toBe("cuda");
      expect(onGpu.to("cpu").toArray()).toEqual(t.toArray());
    }
  });

  it("copies strided views and fills on the GPU", async () => {
    const x = randn([5, 7]);
    const g = x.to("cuda");
    expect(g.transpose(0, 1).contiguous().to("cpu").toArray()).toEqual(x.transpose(0, 1).contiguous().toArray());
    expect(Array.from(await full([3], 2.5, { device: "cuda" }).data())).toEqual([2.5, 2.5, 2.5]);
    expect(arange(5, undefined, 1, { device: "cuda" }).toArray()).toEqual([0, 1, 2, 3, 4]);
  });

  it("counts GPU memory separately and frees it", () => {
    const before = memory().devices.cuda;
    const t = full([1024], 1, { device: "cuda" });
    expect(memory().devices.cuda.numBytes).toBe(before.numBytes + 4096);
    t.dispose();
    expect(memory().devices.cuda).toEqual(before);
  });

  it("a kernel the CUDA build lacks is a loud error, not a CPU fallback", () => {
    const a = full([2], 1, { device: "cuda" });
    const names = cudaKernelNames() ?? [];
    if (names.includes("add")) return;
    expect(() => a.add(a)).toThrow(BackendError);
    expect(() => a.add(a)).toThrow(/no CUDA kernel add/);
  });
});
