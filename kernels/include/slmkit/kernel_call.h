// One kernel call seen through its signature: inputs, outputs and attributes looked up by the names of the
// op table, with the checks every contract header uses. Device-neutral: no CUDA or N-API types.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>

#include "slmkit/checks.h"
#include "slmkit/op_args.h"

namespace slmkit {

class KernelCall {
 public:
  // Checks the counts against the signature: exact without lists; each "name..." list (after the fixed
  // names) takes any number of tensors or attributes, and its contract header checks how they pair up.
  KernelCall(const OpArgs& args, const KernelSignature& signature) : a_(args), s_(signature) {
    check_count("inputs", a_.num_inputs, s_.inputs);
    check_count("outputs", a_.num_outputs, s_.outputs);
    check_count("attributes", a_.num_attrs, s_.attrs);
  }

  const char* kernel() const { return s_.name; }
  const OpArgs& args() const { return a_; }

  const TensorView& in(const char* name) const { return a_.inputs[position(name, s_.inputs, "input")]; }
  const TensorView& out(const char* name) const { return a_.outputs[position(name, s_.outputs, "output")]; }

  // An attribute as sent, and the checked readings of it.
  double attr(const char* name) const { return a_.attrs[position(name, s_.attrs, "attribute")]; }
  double finite(const char* name) const {
    const double v = attr(name);
    if (!std::isfinite(v)) fail(std::string(name) + " must be finite, got " + std::to_string(v));
    return v;
  }
  // A whole number of magnitude at most 2^53.
  int64_t whole(const char* name) const {
    const double v = finite(name);
    if (v != std::floor(v) || std::fabs(v) > 9007199254740992.0)
      fail(std::string(name) + " must be a whole number, got " + std::to_string(v));
    return static_cast<int64_t>(v);
  }
  bool flag(const char* name) const {
    const double v = attr(name);
    if (v != 0 && v != 1) fail(std::string(name) + " must be 0 or 1, got " + std::to_string(v));
    return v == 1;
  }

  [[noreturn]] void fail(const std::string& what) const { kernel_fail(s_.name, what); }

  // Tensor checks by name; messages name the kernel, the tensor and its shape.
  void dense(const char* name, int ndim) const { check_dense(s_.name, name, in_or_out(name), ndim); }
  void floating(const char* name) const { check_float(s_.name, name, in_or_out(name)); }
  void dtype(const char* name, DType want) const { check_dtype(s_.name, name, in_or_out(name), want); }
  void dtype(const char* name, std::initializer_list<DType> allowed) const {
    check_dtype(s_.name, name, in_or_out(name), allowed);
  }
  void contiguous(const char* name) const { check_contiguous(s_.name, name, in_or_out(name)); }
  void shape(const char* name, std::initializer_list<int64_t> dims) const {
    check_shape(s_.name, name, in_or_out(name), dims);
  }
  void shape(const char* name, std::initializer_list<int64_t> dims, DType want) const {
    check_shape(s_.name, name, in_or_out(name), dims, want);
  }
  // name: contiguous, with ref's shape and dtype.
  void like(const char* name, const char* ref) const {
    check_like(s_.name, name, in_or_out(name), ref, in_or_out(ref));
  }
  // name: ref's shape and dtype (same), or ref's shape (shape_of), any strides.
  void same(const char* name, const char* ref) const {
    check_same(s_.name, name, in_or_out(name), ref, in_or_out(ref));
  }
  void shape_of(const char* name, const char* ref) const {
    check_shape_of(s_.name, name, in_or_out(name), ref, in_or_out(ref));
  }

 private:
  // An input or an output of that name (names are unique within a signature).
  const TensorView& in_or_out(const char* name) const {
    for (size_t i = 0; i < s_.inputs.size(); ++i)
      if (std::strcmp(s_.inputs[i], name) == 0) return a_.inputs[i];
    return out(name);
  }

  static bool variadic(const char* name) {
    const size_t n = std::strlen(name);
    return n >= 3 && std::strcmp(name + n - 3, "...") == 0;
  }

  void check_count(const char* what, int32_t got, const std::vector<const char*>& names) const {
    int32_t fixed = 0;
    for (const char* name : names) fixed += variadic(name) ? 0 : 1;
    const bool open = fixed < static_cast<int32_t>(names.size());
    if (open ? got >= fixed : got == fixed) return;
    fail("expected " + std::string(open ? "at least " : "") + std::to_string(fixed) + " " + what + ", got " +
         std::to_string(got));
  }

  // Position of a fixed (non-list) name. A name missing from the signature is a bug in the contract
  // header, reported like any other fault rather than read out of bounds.
  size_t position(const char* name, const std::vector<const char*>& names, const char* kind) const {
    for (size_t i = 0; i < names.size(); ++i)
      if (std::strcmp(names[i], name) == 0) return i;
    fail(std::string("no ") + kind + " named " + name + " in the kernel's signature");
  }

  const OpArgs& a_;
  const KernelSignature& s_;
};

}  // namespace slmkit
