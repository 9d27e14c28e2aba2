// AVX-512 build of the vectorised float maths (vec_math_impl.h over 16-lane vectors).
// GCC 12 reports the deliberately undefined pass-through operand inside avx512fintrin.h's unmasked
// intrinsics (_mm512_undefined_*) as uninitialised, once per inlined call site; that is a false positive.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "vec_math_impl.h"

namespace slmkit {

const vec_math_table& vec_math_avx512() { return vec_math_table_for<f32x16>(); }

}  // namespace slmkit
