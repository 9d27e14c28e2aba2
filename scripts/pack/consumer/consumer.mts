// Type-checked as an ES module against the installed package's dist/index.d.ts (never run).
import { AdamW, MiniCPM, randint, type Tensor, cuda, cpuInfo, type CpuIsa } from "slmkit";

const model = new MiniCPM(
  { vocab_size: 64, hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 4, intermediate_size: 64 },
  { seed: 0 },
);
const ids: Tensor<"i32"> = randint(0, 64, [1, 8]);
const loss: Tensor<"f32"> = model.loss(ids, ids);
new AdamW(model.parameterGroups()).step(1e-3);
const isa: CpuIsa = cpuInfo().isa;
const why: string | undefined = cuda.status().reason;
// @ts-expect-error: indices must be i32, so a float tensor is a type error
model.loss(loss, ids);
export { isa, why };
