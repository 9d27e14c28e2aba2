// Float64 reference implementations: the test oracle. Independent of src/ by construction.
export * from "./ndarray.js";
export { erf as erfScalar } from "./erf.js";
export * from "./elementwise.js";
export * from "./reduce.js";
export * from "./matmul.js";
export * from "./softmax.js";
export * from "./indexing.js";
export * as views from "./views.js";
export * from "./rmsnorm.js";
export * from "./attention.js";
export * from "./cross_entropy.js";
export * from "./rope.js";
export * from "./swiglu.js";
export * from "./adamw.js";
export * from "./bf16.js";
export * from "./gradcheck.js";
export * from "./random.js";
export * as philox from "./philox.js";
