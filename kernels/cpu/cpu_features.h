// Which SIMD instruction set the CPU kernels use, decided once at load time.
#pragma once

namespace slmkit {

enum class Isa { baseline = 0, avx2 = 1, avx512 = 2 };

// The best ISA this CPU and OS support, lowered by SLMKIT_CPU_ISA=baseline|avx2|avx512 when set
// (a request above what the CPU supports falls back to the best supported one).
Isa active_isa();
const char* isa_name(Isa isa);

}  // namespace slmkit
