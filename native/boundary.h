// The N-API side of both addons: storage handles and decoding of kernel calls into plain OpArgs.
#pragma once
#include <napi.h>

#include <vector>

#include "slmkit/op_args.h"

namespace slmkit {

// One device allocation. JS holds it as an External; `ptr` is null once freed.
struct StorageBlock {
  void* ptr = nullptr;
  size_t bytes = 0;
};

// How an addon allocates and frees its memory.
struct Allocator {
  void* (*allocate)(size_t bytes);
  void (*release)(void* ptr);
};

// Wraps a fresh allocation in an External whose finalizer frees it if JS never did.
Napi::Value make_storage(Napi::Env env, const Allocator& alloc, size_t bytes);
// Same, for memory the addon allocated itself (the CUDA addon, which reports its own allocation errors).
Napi::Value wrap_storage(Napi::Env env, void* ptr, size_t bytes, void (*release)(void*));
// The block behind a JS storage handle; throws a JS TypeError for anything else or a freed block.
StorageBlock* storage_of(const Napi::Value& value, const char* what);
// Frees the block now (idempotent).
void free_storage(const Napi::Value& value, const Allocator& alloc);

// A decoded kernel call: views pointing into storage, validated to lie inside their blocks.
struct DecodedCall {
  int kernel = -1;
  std::vector<TensorView> inputs, outputs;
  std::vector<double> attrs;
  OpArgs args(void* stream) const;
};

// Decodes run(kernelId, handles, desc, attrs). desc (Float64Array) holds n_in, n_out, then per tensor:
// dtype, ndim, offset (elements), shape[ndim], strides[ndim]. Throws a JS error on any inconsistency.
DecodedCall decode_call(const Napi::CallbackInfo& info);

// Runs a decoded call, converting KernelError and std::exception into JS errors.
void run_kernel(Napi::Env env, const DecodedCall& call, void* stream);

// Registers the functions shared by both addons: kernelNames, kernelId.
void export_registry(Napi::Env env, Napi::Object exports);

}  // namespace slmkit
