// Type-checked as CommonJS against the installed package's dist/index.d.cts (never run).
import slmkit = require("slmkit");

const t: slmkit.Tensor<"f32"> = slmkit.randn([2, 3]);
const s: slmkit.Tensor<"f32"> = slmkit.sum(t);
// @ts-expect-error: crossEntropy's targets must be an i32 tensor
slmkit.crossEntropy(t, t);
export = s;
