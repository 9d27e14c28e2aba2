// Which tensor-core attention kernels the current GPU runs, for cuda.deviceProperties(): tests assert the
// wgmma path is really taken on Hopper (a silent fallback to mma.sync would pass every correctness test).
#pragma once

namespace slmkit {

// True when the bf16 prefill forward and the backward run the wgmma + TMA kernels: an sm_90 device with
// this build's sm_90a module and a driver that has cuTensorMapEncodeTiled, unless SLMKIT_CUDA_PRE_HOPPER=1
// (which runs the mma.sync kernels there, as on GPUs before Hopper).
bool attention_wgmma_available();

}  // namespace slmkit
