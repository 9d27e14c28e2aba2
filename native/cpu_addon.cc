// The CPU addon: storage in 64-byte-aligned host memory, synchronous kernel calls.
#include <napi.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "../kernels/cpu/cpu_features.h"
#include "../kernels/cpu/parallel.h"
#include "boundary.h"
#include "host_cache.h"

namespace slmkit {
namespace {

// 64-byte-aligned blocks (AVX-512 loads) from a cache that keeps large freed blocks for reuse.
const Allocator kHostAllocator{host_cache_allocate, host_cache_release};

double checked_size(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 1099511627776.0 || d != static_cast<double>(static_cast<int64_t>(d)))
    throw Napi::RangeError::New(v.Env(), std::string(what) + " must be a whole number of bytes below 1 TiB");
  return d;
}

Napi::Value Alloc(const Napi::CallbackInfo& info) {
  if (info.Length() != 1) throw Napi::TypeError::New(info.Env(), "alloc(bytes): one argument expected");
  return make_storage(info.Env(), kHostAllocator, static_cast<size_t>(checked_size(info[0], "alloc: bytes")));
}

Napi::Value Free(const Napi::CallbackInfo& info) {
  if (info.Length() != 1) throw Napi::TypeError::New(info.Env(), "free(handle): one argument expected");
  free_storage(info[0], kHostAllocator);
  return info.Env().Undefined();
}

// write(handle, byteOffset, typedArray)
Napi::Value Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 3 || !info[2].IsTypedArray()) throw Napi::TypeError::New(env, "write(handle, byteOffset, typedArray)");
  StorageBlock block = storage_of(info[0], "write");
  size_t offset = static_cast<size_t>(checked_size(info[1], "write: byteOffset"));
  auto src = info[2].As<Napi::TypedArray>();
  size_t n = src.ByteLength();
  if (offset + n > block.bytes) throw Napi::RangeError::New(env, "write: data reaches past the end of the storage");
  auto* base = static_cast<const char*>(src.ArrayBuffer().Data()) + src.ByteOffset();
  std::memcpy(static_cast<char*>(block.ptr) + offset, base, n);
  return env.Undefined();
}

// read(handle, byteOffset, bytes) -> ArrayBuffer (a copy)
Napi::Value Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 3) throw Napi::TypeError::New(env, "read(handle, byteOffset, bytes)");
  StorageBlock block = storage_of(info[0], "read");
  size_t offset = static_cast<size_t>(checked_size(info[1], "read: byteOffset"));
  size_t n = static_cast<size_t>(checked_size(info[2], "read: bytes"));
  if (offset + n > block.bytes) throw Napi::RangeError::New(env, "read: range reaches past the end of the storage");
  auto out = Napi::ArrayBuffer::New(env, n);
  std::memcpy(out.Data(), static_cast<char*>(block.ptr) + offset, n);
  return out;
}

Napi::Value Run(const Napi::CallbackInfo& info) {
  DecodedCall call = decode_call(info);
  run_kernel(info.Env(), call, nullptr);
  return info.Env().Undefined();
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto out = Napi::Object::New(env);
  out.Set("isa", isa_name(active_isa()));
  out.Set("bestIsa", isa_name(best_isa()));
  out.Set("threads", num_threads());
  out.Set("cachedBytes", static_cast<double>(host_cache_bytes()));
  return out;
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  if (info.Length() != 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "setThreads(n): n must be a number");
  int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1 || n > 1024) throw Napi::RangeError::New(info.Env(), "setThreads: n must be between 1 and 1024");
  set_num_threads(n);
  return info.Env().Undefined();
}

// setIsa("baseline" | "avx2" | "avx512"): switches the SIMD kernels at run time (clamped to what the CPU has).
Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info.Length() == 1 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  if (name == "baseline") set_active_isa(Isa::baseline);
  else if (name == "avx2") set_active_isa(Isa::avx2);
  else if (name == "avx512") set_active_isa(Isa::avx512);
  else throw Napi::TypeError::New(env, "setIsa(name): name must be \"baseline\", \"avx2\" or \"avx512\"");
  return Napi::String::New(env, isa_name(active_isa()));
}

Napi::Value EmptyCache(const Napi::CallbackInfo& info) {
  host_cache_trim();
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("alloc", Napi::Function::New(env, Alloc));
  exports.Set("free", Napi::Function::New(env, Free));
  exports.Set("write", Napi::Function::New(env, Write));
  exports.Set("read", Napi::Function::New(env, Read));
  exports.Set("run", Napi::Function::New(env, Run));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa));
  exports.Set("emptyCache", Napi::Function::New(env, EmptyCache));
  export_registry(env, exports);
  return exports;
}

}  // namespace
}  // namespace slmkit

static Napi::Object InitCpuAddon(Napi::Env env, Napi::Object exports) { return slmkit::Init(env, exports); }

NODE_API_MODULE(slmkit_cpu, InitCpuAddon)
