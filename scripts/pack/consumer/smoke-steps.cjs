// The checks smoke.mjs and smoke.cjs run, given the slmkit module each loaded.
"use strict";

function fail(message) {
  console.error(`smoke: FAIL ${message}`);
  process.exit(1);
}

function runSmoke(S, device, flavour) {
  if (device === "cuda" && !S.cuda.isAvailable()) fail(`CUDA unavailable: ${S.cuda.status().reason}`);
  S.manualSeed(1);
  // matmul of awkward sizes against a float64 product of the same inputs
  const a = S.randn([5, 7], { device });
  const b = S.randn([7, 3], { device });
  const got = S.matmul(a, b).to("cpu").toArray();
  const [av, bv] = [a.to("cpu").toArray(), b.to("cpu").toArray()];
  let worst = 0;
  for (let i = 0; i < 5; i++) {
    for (let j = 0; j < 3; j++) {
      let want = 0;
      for (let k = 0; k < 7; k++) want += av[i][k] * bv[k][j];
      worst = Math.max(worst, Math.abs(got[i][j] - want));
    }
  }
  // f32 on the CPU; on CUDA the GEMM may use TF32/bf16 tensor cores: 7 products of N(0,1) values stay within 3e-2
  const tolerance = device === "cuda" ? 3e-2 : 1e-5;
  if (!(worst <= tolerance)) fail(`${device} matmul differs from float64 by ${worst}`);
  console.log(`smoke ${flavour} ${device}: matmul 5x7 @ 7x3 max error ${worst.toExponential(2)}`);

  const config = {
    vocab_size: 64,
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    intermediate_size: 64,
    dim_model_base: 8,
    max_position_embeddings: 32,
  };
  const model = new S.MiniCPM(config, { seed: 0, device });
  const optimizer = new S.AdamW(model.parameterGroups({ weightDecay: 0.1 }));
  const ids = S.randint(0, 64, [2, 16], { device });
  const targets = S.randint(0, 64, [2, 16], { device });
  const before = S.memory().numTensors;
  const loss0 = model.loss(ids, targets);
  const first = loss0.item();
  loss0.backward();
  loss0.dispose();
  optimizer.step(1e-2);
  optimizer.zeroGrad();
  const loss1 = model.loss(ids, targets);
  const second = loss1.item();
  loss1.dispose();
  if (!Number.isFinite(first) || !Number.isFinite(second)) fail(`${device} loss not finite: ${first} -> ${second}`);
  if (!(second < first))
    fail(`${device} loss did not fall after one AdamW step on the same batch: ${first} -> ${second}`);
  console.log(
    `smoke ${flavour} ${device}: tiny MiniCPM, one AdamW step, loss ${first.toFixed(4)} -> ${second.toFixed(4)}`,
  );
  for (const t of [a, b, ids, targets]) t.dispose();
  if (S.memory().numTensors < before - 4) fail("memory() went below its starting count");
  model.dispose();
}

module.exports = { runSmoke };
