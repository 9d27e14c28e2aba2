// Which tensor-core attention kernels the current GPU runs, for cuda.deviceProperties(): tests assert the
// wgmma path is really taken on Hopper (a silent fallback to mma.sync would pass every correctness test).
#pragma once

namespace slmkit {

// True when the current device runs the wgmma + TMA attention kernels (sm_90 with this build's sm_90a
// module and a driver that has cuTensorMapEncodeTiled). Environment switches are not considered.
bool attention_wgmma_available();

}  // namespace slmkit
