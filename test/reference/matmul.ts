// torch.matmul semantics in float64: 1-D operands are promoted then squeezed; batch dims broadcast.
import { broadcastShapes, broadcastTo, numel, type Ref, ref } from "./ndarray.js";

export function matmul(a: Ref, b: Ref): Ref {
  if (a.shape.length === 0 || b.shape.length === 0) throw new Error("matmul: 0-d operand");
  const aVec = a.shape.length === 1;
  const bVec = b.shape.length === 1;
  const A = aVec ? { shape: [1, a.shape[0]!], data: a.data } : a;
  const B = bVec ? { shape: [b.shape[0]!, 1], data: b.data } : b;
  const M = A.shape[A.shape.length - 2]!;
  const K = A.shape[A.shape.length - 1]!;
  const K2 = B.shape[B.shape.length - 2]!;
  const N = B.shape[B.shape.length - 1]!;
  if (K !== K2) throw new Error(`matmul: inner sizes ${K} and ${K2} differ`);
  const batch = broadcastShapes(A.shape.slice(0, -2), B.shape.slice(0, -2));
  const Ab = broadcastTo(A, [...batch, M, K]);
  const Bb = broadcastTo(B, [...batch, K, N]);
  const nb = numel(batch);
  const out = ref([...batch, M, N]);
  for (let bt = 0; bt < nb; bt++) {
    const ao = bt * M * K;
    const bo = bt * K * N;
    const oo = bt * M * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += Ab.data[ao + i * K + k]! * Bb.data[bo + k * N + j]!;
        out.data[oo + i * N + j] = s;
      }
    }
  }
  const shape = [...batch];
  if (!aVec) shape.push(M);
  if (!bVec) shape.push(N);
  return { shape, data: out.data };
}
