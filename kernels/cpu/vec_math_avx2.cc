// AVX2 + FMA build of the vectorised float maths (vec_math_impl.h over 8-lane vectors).
#include "vec_math_impl.h"

namespace slmkit {

const vec_math_table& vec_math_avx2() { return vec_math_table_for<f32x8>(); }

}  // namespace slmkit
