// CPUID-based ISA detection with an environment override so tests can cover every code path.
#include "cpu_features.h"

#include <cstdlib>
#include <cstring>

namespace slmkit {
namespace {

Isa detect() {
  __builtin_cpu_init();
  // __builtin_cpu_supports also checks that the OS saves the wider registers (XGETBV).
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
    return Isa::avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::avx2;
  return Isa::baseline;
}

Isa choose() {
  Isa best = detect();
  const char* env = std::getenv("SLMKIT_CPU_ISA");
  if (!env) return best;
  Isa wanted = best;
  if (std::strcmp(env, "baseline") == 0) wanted = Isa::baseline;
  else if (std::strcmp(env, "avx2") == 0) wanted = Isa::avx2;
  else if (std::strcmp(env, "avx512") == 0) wanted = Isa::avx512;
  return wanted < best ? wanted : best;
}

}  // namespace

Isa active_isa() {
  static const Isa isa = choose();
  return isa;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::avx512: return "avx512";
    case Isa::avx2: return "avx2";
    default: return "baseline";
  }
}

}  // namespace slmkit
