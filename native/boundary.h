// The N-API side of both addons: storage handles and decoding of kernel calls into plain OpArgs.
#pragma once
#include <napi.h>

#include <vector>

#include "slmkit/op_args.h"

namespace slmkit {

// How an addon allocates and frees its memory.
struct Allocator {
  void* (*allocate)(size_t bytes);
  void (*release)(void* ptr);
};

// One live allocation behind a JS storage handle.
struct StorageBlock {
  void* ptr = nullptr;
  size_t bytes = 0;
};

// Storage handles are plain numbers (a slot index and a generation), not JS objects: creating and
// freeing them costs no garbage-collector work, and a stale handle (freed, then its slot reused) is
// recognised by its generation and rejected. Lifetime is owned by the TypeScript side, whose
// FinalizationRegistry frees handles of tensors that were never disposed.
Napi::Value make_storage(Napi::Env env, const Allocator& alloc, size_t bytes);
// Same, for memory the addon allocated itself (the CUDA addon, which reports its own allocation errors).
Napi::Value wrap_storage(Napi::Env env, void* ptr, size_t bytes, void (*release)(void*));
// The block behind a handle; throws a JS error for anything that is not a live handle.
StorageBlock storage_of(const Napi::Value& value, const char* what);
StorageBlock storage_of_handle(Napi::Env env, double handle, const char* what);
// Frees the block now; freeing a stale handle is a no-op.
void free_storage(const Napi::Value& value, const Allocator& alloc);

// A decoded kernel call: views pointing into storage, validated to lie inside their blocks.
struct DecodedCall {
  int kernel = -1;
  std::vector<TensorView> inputs, outputs;
  std::vector<double> attrs;
  OpArgs args(void* stream) const;
};

// Decodes run(kernelId, buffer). buffer (Float64Array) holds n_in, n_out, n_attrs, the attrs, then per
// tensor: handle, dtype, ndim, offset (elements), shape[ndim], strides[ndim]; values past the last
// tensor are ignored, so callers may reuse one scratch buffer. Throws a JS error on any inconsistency.
DecodedCall decode_call(const Napi::CallbackInfo& info);

// Runs a decoded call, converting KernelError and std::exception into JS errors.
void run_kernel(Napi::Env env, const DecodedCall& call, void* stream);

// Registers the functions shared by both addons: kernelNames, kernelId.
void export_registry(Napi::Env env, Napi::Object exports);

}  // namespace slmkit
