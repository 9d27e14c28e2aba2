// CPUID-based ISA detection with an override (environment or run time) so tests can cover every path.
#include "cpu_features.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace slmkit {
namespace {

Isa detect() {
  __builtin_cpu_init();
  // __builtin_cpu_supports also checks that the OS saves the wider registers (XGETBV).
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq"))
    return Isa::avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::avx2;
  return Isa::baseline;
}

Isa clamp_to_best(Isa wanted) { return wanted < best_isa() ? wanted : best_isa(); }

Isa from_environment() {
  const char* env = std::getenv("SLMKIT_CPU_ISA");
  if (!env) return best_isa();
  if (std::strcmp(env, "baseline") == 0) return Isa::baseline;
  if (std::strcmp(env, "avx2") == 0) return clamp_to_best(Isa::avx2);
  return best_isa();
}

std::atomic<int>& current() {
  static std::atomic<int> isa{static_cast<int>(from_environment())};
  return isa;
}

}  // namespace

Isa best_isa() {
  static const Isa best = detect();
  return best;
}

Isa active_isa() { return static_cast<Isa>(current().load(std::memory_order_relaxed)); }

void set_active_isa(Isa isa) { current().store(static_cast<int>(clamp_to_best(isa)), std::memory_order_relaxed); }

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::avx512: return "avx512";
    case Isa::avx2: return "avx2";
    default: return "baseline";
  }
}

}  // namespace slmkit
