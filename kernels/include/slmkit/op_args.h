// Plain argument structs shared by the CPU and CUDA kernel families. No N-API types here.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace slmkit {

// Numeric codes match DTYPE_CODES in src/tensor/dtype.ts.
enum class DType : int32_t { f32 = 0, bf16 = 1, i32 = 2, boolean = 3 };

inline int64_t dtype_size(DType d) {
  switch (d) {
    case DType::f32: return 4;
    case DType::bf16: return 2;
    case DType::i32: return 4;
    case DType::boolean: return 1;
  }
  return 0;
}

inline const char* dtype_name(DType d) {
  switch (d) {
    case DType::f32: return "f32";
    case DType::bf16: return "bf16";
    case DType::i32: return "i32";
    case DType::boolean: return "bool";
  }
  return "?";
}

constexpr int kMaxDims = 8;

// A strided view of one tensor. `data` already points at the view's first element; strides are in
// elements (not bytes), never negative, and 0 along broadcast dimensions.
struct TensorView {
  void* data;
  DType dtype;
  int32_t ndim;
  int64_t shape[kMaxDims];
  int64_t strides[kMaxDims];

  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < ndim; ++i) n *= shape[i];
    return n;
  }
  bool is_contiguous() const {
    int64_t expected = 1;
    for (int i = ndim - 1; i >= 0; --i) {
      if (shape[i] != 1 && strides[i] != expected) return false;
      expected *= shape[i];
    }
    return true;
  }
  template <typename T> T* ptr() const { return static_cast<T*>(data); }
};

// Everything one kernel call receives. Arrays are owned by the caller for the duration of the call.
// Inputs, outputs and attributes come in the order of the kernel's signature (below), which is the order
// of its entry in src/ops/table.ts; their meaning is in native/KERNELS.md.
struct OpArgs {
  const TensorView* inputs;
  int32_t num_inputs;
  const TensorView* outputs;  // pre-allocated by the caller; written by the kernel
  int32_t num_outputs;
  const double* attrs;
  int32_t num_attrs;
  void* stream;  // cudaStream_t on the CUDA backend, nullptr on the CPU
};

// Thrown by kernels for arguments they cannot handle; the addon turns it into a JS error.
struct KernelError : std::runtime_error {
  explicit KernelError(const std::string& what) : std::runtime_error(what) {}
};

// The names of a kernel's inputs, outputs and attributes, in call order: the native twin of its entry in
// the TypeScript op table (a test asserts that both agree). Names ending in "...", after the fixed ones,
// stand for lists of any length (adamw_step, global_norm). Each family's contract header defines its
// signatures once.
struct KernelSignature {
  const char* name;
  std::vector<const char*> inputs, outputs, attrs;
};

using KernelFn = void (*)(const OpArgs&);

// Kernel registration: each op-family file registers its kernels with their signatures at load time.
// The registry keeps the pointer; signatures are namespace-scope constants that outlive it.
void register_kernel(const KernelSignature* signature, KernelFn fn);

struct KernelRegistrar {
  KernelRegistrar(std::initializer_list<std::pair<const KernelSignature*, KernelFn>> kernels) {
    for (auto& k : kernels) register_kernel(k.first, k.second);
  }
};

}  // namespace slmkit

#define SLMKIT_CONCAT_INNER(a, b) a##b
#define SLMKIT_CONCAT(a, b) SLMKIT_CONCAT_INNER(a, b)
// Usage at namespace scope: SLMKIT_REGISTER_KERNELS({{&kRmsnormForward, rmsnorm_forward}, ...});
#define SLMKIT_REGISTER_KERNELS(...) \
  static ::slmkit::KernelRegistrar SLMKIT_CONCAT(slmkit_registrar_, __LINE__)(__VA_ARGS__)
