// AVX-512 build of the vectorised float maths (vec_math_impl.h over 16-lane vectors).
#include "vec_math_impl.h"

namespace slmkit {

const vec_math_table& vec_math_avx512() { return vec_math_table_for<f32x16>(); }

}  // namespace slmkit
