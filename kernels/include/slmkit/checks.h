// Cheap argument checks shared by every kernel family on both devices; each failure is a KernelError that
// starts with "<kernel>: " and names the offending tensor (and its shape) or attribute.
#pragma once
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "slmkit/op_args.h"

namespace slmkit {

// "[2, 3] f32": a tensor's shape and dtype, as error messages show them.
inline std::string shape_str(const TensorView& v) {
  std::string s = "[";
  for (int i = 0; i < v.ndim; ++i) s += (i ? ", " : "") + std::to_string(v.shape[i]);
  return s + "] " + dtype_name(v.dtype);
}

[[noreturn]] inline void kernel_fail(const char* kernel, const std::string& what) {
  throw KernelError(std::string(kernel) + ": " + what);
}

inline bool same_shape(const TensorView& a, const TensorView& b) {
  if (a.ndim != b.ndim) return false;
  for (int i = 0; i < a.ndim; ++i)
    if (a.shape[i] != b.shape[i]) return false;
  return true;
}

inline void check_same_shape(const char* kernel, const char* what, const TensorView& a, const TensorView& b) {
  if (!same_shape(a, b))
    kernel_fail(kernel, std::string(what) + " shapes differ, got " + shape_str(a) + " and " + shape_str(b));
}

inline void check_contiguous(const char* kernel, const char* what, const TensorView& v) {
  if (v.is_contiguous()) return;
  std::string strides = "[";
  for (int i = 0; i < v.ndim; ++i) strides += (i ? ", " : "") + std::to_string(v.strides[i]);
  kernel_fail(kernel,
              std::string(what) + " must be contiguous, got shape " + shape_str(v) + " with strides " + strides + "]");
}

inline void check_ndim(const char* kernel, const char* what, const TensorView& v, int ndim) {
  if (v.ndim != ndim)
    kernel_fail(kernel, std::string(what) + " must have rank " + std::to_string(ndim) + ", got " + shape_str(v));
}

inline void check_dtype(const char* kernel, const char* what, const TensorView& v, bool ok, const char* allowed) {
  if (!ok) kernel_fail(kernel, std::string(what) + " must be " + allowed + ", got " + shape_str(v));
}

inline void check_dtype(const char* kernel, const char* what, const TensorView& v, DType want) {
  check_dtype(kernel, what, v, v.dtype == want, dtype_name(want));
}

// v's dtype must be one of `allowed`; the message lists them ("f32, bf16 or i32").
inline void check_dtype(const char* kernel, const char* what, const TensorView& v,
                        std::initializer_list<DType> allowed) {
  std::string names;
  bool ok = false;
  size_t i = 0;
  for (DType d : allowed) {
    ok = ok || v.dtype == d;
    names += std::string(i == 0 ? "" : i + 1 == allowed.size() ? " or " : ", ") + dtype_name(d);
    ++i;
  }
  check_dtype(kernel, what, v, ok, names.c_str());
}

// Rank and contiguity: the fused kernels index their tensors as dense row-major arrays.
inline void check_dense(const char* kernel, const char* what, const TensorView& v, int ndim) {
  check_ndim(kernel, what, v, ndim);
  check_contiguous(kernel, what, v);
}

// v must be contiguous with exactly the shape dims.
inline void check_shape(const char* kernel, const char* what, const TensorView& v,
                        std::initializer_list<int64_t> dims) {
  bool ok = v.ndim == static_cast<int32_t>(dims.size());
  int i = 0;
  std::string want = "[";
  for (int64_t d : dims) {
    if (ok && v.shape[i] != d) ok = false;
    want += (i ? ", " : "") + std::to_string(d);
    ++i;
  }
  if (!ok) kernel_fail(kernel, std::string(what) + " must have shape " + want + "], got " + shape_str(v));
  check_contiguous(kernel, what, v);
}

// Same, and of dtype want (row statistics such as rstd or lse, index tensors).
inline void check_shape(const char* kernel, const char* what, const TensorView& v, std::initializer_list<int64_t> dims,
                        DType want) {
  check_shape(kernel, what, v, dims);
  check_dtype(kernel, what, v, want);
}

// v must have ref's shape, any strides (an operand of an elementwise op, the other side of a copy).
inline void check_shape_of(const char* kernel, const char* what, const TensorView& v, const char* ref_what,
                           const TensorView& ref) {
  if (!same_shape(v, ref))
    kernel_fail(kernel, std::string(what) + " must have " + ref_what + "'s shape, got " + what + " " + shape_str(v) +
                            " and " + ref_what + " " + shape_str(ref));
}

// v must have ref's shape and dtype, any strides.
inline void check_same(const char* kernel, const char* what, const TensorView& v, const char* ref_what,
                       const TensorView& ref) {
  if (!same_shape(v, ref) || v.dtype != ref.dtype)
    kernel_fail(kernel, std::string(what) + " must have " + ref_what + "'s shape and dtype, got " + what + " " +
                            shape_str(v) + " and " + ref_what + " " + shape_str(ref));
}

// v must be contiguous with ref's shape and dtype (a gradient, an output, a second operand).
inline void check_like(const char* kernel, const char* what, const TensorView& v, const char* ref_what,
                       const TensorView& ref) {
  check_same(kernel, what, v, ref_what, ref);
  check_contiguous(kernel, what, v);
}

inline bool is_float(DType d) { return d == DType::f32 || d == DType::bf16; }
inline bool is_float_or_i32(DType d) { return is_float(d) || d == DType::i32; }

// The fused kernels' dtype rule: f32 or bf16.
inline void check_float(const char* kernel, const char* what, const TensorView& v) {
  check_dtype(kernel, what, v, is_float(v.dtype), "f32 or bf16");
}

}  // namespace slmkit
