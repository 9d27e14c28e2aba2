// Which SIMD instruction set the CPU kernels use, decided once at load time.
#pragma once

namespace slmkit {

enum class Isa { baseline = 0, avx2 = 1, avx512 = 2 };

// The best ISA this CPU and OS support, lowered by SLMKIT_CPU_ISA=baseline|avx2|avx512 when set
// (a request above what the CPU supports falls back to the best supported one).
Isa active_isa();
// The best ISA this CPU supports, whatever the override says.
Isa best_isa();
// Switches the ISA used from now on (clamped to best_isa()); tests use it to cover every code path.
void set_active_isa(Isa isa);
const char* isa_name(Isa isa);

}  // namespace slmkit
