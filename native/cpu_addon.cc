// The CPU addon: storage in 64-byte-aligned host memory, synchronous kernel calls.
#include <napi.h>

#include <cstdint>
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

Napi::Value Alloc(const Napi::CallbackInfo& info) {
  if (info.Length() != 1) throw Napi::TypeError::New(info.Env(), "alloc(bytes): one argument expected");
  return make_storage(info.Env(), kHostAllocator, checked_size(info[0], "alloc: bytes"));
}

Napi::Value Free(const Napi::CallbackInfo& info) {
  if (info.Length() != 1) throw Napi::TypeError::New(info.Env(), "free(handle): one argument expected");
  free_storage(info[0], kHostAllocator);
  return info.Env().Undefined();
}

// write(handle, byteOffset, typedArray)
Napi::Value Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 3 || !info[2].IsTypedArray())
    throw Napi::TypeError::New(env, "write(handle, byteOffset, typedArray)");
  auto src = info[2].As<Napi::TypedArray>();
  const size_t n = src.ByteLength();
  const StorageRange r = checked_range(info, "write", n);
  auto* base = static_cast<const char*>(src.ArrayBuffer().Data()) + src.ByteOffset();
  std::memcpy(r.ptr(), base, n);
  return env.Undefined();
}

// read(handle, byteOffset, bytes) -> ArrayBuffer (a copy)
Napi::Value Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 3) throw Napi::TypeError::New(env, "read(handle, byteOffset, bytes)");
  const size_t n = checked_size(info[2], "read: bytes");
  const StorageRange r = checked_range(info, "read", n);
  auto out = Napi::ArrayBuffer::New(env, n);
  std::memcpy(out.Data(), r.ptr(), n);
  return out;
}

Napi::Value Run(const Napi::CallbackInfo& info) {
  const DecodedCall& call = decode_call(info);
  run_kernel(info.Env(), call, nullptr);
  return info.Env().Undefined();
}

// The CPU features the kernels care about, as CPUID and the OS report them (for `slmkit doctor`).
Napi::Array cpu_features(Napi::Env env) {
  __builtin_cpu_init();
  auto out = Napi::Array::New(env);
  uint32_t n = 0;
  // __builtin_cpu_supports takes a string literal, hence one test per feature.
  if (__builtin_cpu_supports("sse4.2")) out.Set(n++, "sse4.2");
  if (__builtin_cpu_supports("avx")) out.Set(n++, "avx");
  if (__builtin_cpu_supports("avx2")) out.Set(n++, "avx2");
  if (__builtin_cpu_supports("fma")) out.Set(n++, "fma");
  if (__builtin_cpu_supports("f16c")) out.Set(n++, "f16c");
  if (__builtin_cpu_supports("avx512f")) out.Set(n++, "avx512f");
  if (__builtin_cpu_supports("avx512bw")) out.Set(n++, "avx512bw");
  if (__builtin_cpu_supports("avx512vl")) out.Set(n++, "avx512vl");
  if (__builtin_cpu_supports("avx512dq")) out.Set(n++, "avx512dq");
  if (__builtin_cpu_supports("avx512bf16")) out.Set(n++, "avx512bf16");
  return out;
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto out = Napi::Object::New(env);
  out.Set("features", cpu_features(env));
  out.Set("isa", isa_name(active_isa()));
  out.Set("bestIsa", isa_name(best_isa()));
  out.Set("threads", num_threads());
  out.Set("cachedBytes", static_cast<double>(host_cache_bytes()));
  return out;
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  if (info.Length() != 1 || !info[0].IsNumber())
    throw Napi::TypeError::New(info.Env(), "setThreads(n): n must be a number");
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
  export_functions(env, exports,
                   {{"alloc", Alloc},
                    {"free", Free},
                    {"write", Write},
                    {"read", Read},
                    {"run", Run},
                    {"info", Info},
                    {"setThreads", SetThreads},
                    {"setIsa", SetIsa},
                    {"emptyCache", EmptyCache}});
  return exports;
}

}  // namespace
}  // namespace slmkit

static Napi::Object InitCpuAddon(Napi::Env env, Napi::Object exports) { return slmkit::Init(env, exports); }

NODE_API_MODULE(slmkit_cpu, InitCpuAddon)
