// The N-API side of both addons: storage handles and decoding of kernel calls into plain OpArgs.
#pragma once
#include <napi.h>

#include <initializer_list>
#include <utility>
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

// A byte count or byte offset argument: a whole number in [0, 1 TiB]. Throws a JS TypeError or RangeError
// that starts with `what` (e.g. "alloc: bytes").
size_t checked_size(const Napi::Value& value, const char* what);

// The bytes [offset, offset + bytes) of a block, as named by read/write(handle, byteOffset, ...).
struct StorageRange {
  StorageBlock block;
  size_t offset;
  char* ptr() const { return static_cast<char*>(block.ptr) + offset; }
};
// Reads handle and byteOffset from info[0] and info[1] and checks that `bytes` from there stay inside the
// block; errors start with fn ("read", "write", ...).
StorageRange checked_range(const Napi::CallbackInfo& info, const char* fn, size_t bytes);

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
// The result is valid until the next decode_call.
const DecodedCall& decode_call(const Napi::CallbackInfo& info);

// Runs a decoded call, converting KernelError and std::exception into JS errors.
void run_kernel(Napi::Env env, const DecodedCall& call, void* stream);

// Sets exports[name] = fn for each pair, then the functions shared by both addons: kernelNames, kernelId.
using AddonFunction = Napi::Value (*)(const Napi::CallbackInfo&);
void export_functions(Napi::Env env, Napi::Object exports,
                      std::initializer_list<std::pair<const char*, AddonFunction>> functions);

}  // namespace slmkit
