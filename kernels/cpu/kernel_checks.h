// Cheap argument re-checks shared by the CPU kernels; each failure is a KernelError naming the kernel.
#pragma once
#include <string>

#include "slmkit/op_args.h"

namespace slmkit {

inline std::string shape_str(const TensorView& v) {
  std::string s = "[";
  for (int i = 0; i < v.ndim; ++i) s += (i ? ", " : "") + std::to_string(v.shape[i]);
  return s + "] " + dtype_name(v.dtype);
}

[[noreturn]] inline void kernel_fail(const char* kernel, const std::string& what) {
  throw KernelError(std::string(kernel) + ": " + what);
}

inline void check_counts(const OpArgs& a, const char* kernel, int inputs, int outputs) {
  if (a.num_inputs != inputs || a.num_outputs != outputs)
    kernel_fail(kernel, "expected " + std::to_string(inputs) + " inputs and " + std::to_string(outputs) +
                            " outputs, got " + std::to_string(a.num_inputs) + " and " + std::to_string(a.num_outputs));
}

inline void check_attrs(const OpArgs& a, const char* kernel, int count) {
  if (a.num_attrs != count)
    kernel_fail(kernel, "expected " + std::to_string(count) + " attributes, got " + std::to_string(a.num_attrs));
}

inline bool same_shape(const TensorView& a, const TensorView& b) {
  if (a.ndim != b.ndim) return false;
  for (int i = 0; i < a.ndim; ++i)
    if (a.shape[i] != b.shape[i]) return false;
  return true;
}

inline void check_same_shape(const char* kernel, const char* what, const TensorView& a, const TensorView& b) {
  if (!same_shape(a, b)) kernel_fail(kernel, std::string(what) + " shapes differ, got " + shape_str(a) + " and " + shape_str(b));
}

inline void check_contiguous(const char* kernel, const char* what, const TensorView& v) {
  if (!v.is_contiguous()) kernel_fail(kernel, std::string(what) + " must be contiguous, got shape " + shape_str(v));
}

inline void check_ndim(const char* kernel, const char* what, const TensorView& v, int ndim) {
  if (v.ndim != ndim)
    kernel_fail(kernel, std::string(what) + " must have rank " + std::to_string(ndim) + ", got " + shape_str(v));
}

inline void check_dtype(const char* kernel, const char* what, const TensorView& v, bool ok, const char* allowed) {
  if (!ok) kernel_fail(kernel, std::string(what) + " must be " + allowed + ", got " + shape_str(v));
}

}  // namespace slmkit
