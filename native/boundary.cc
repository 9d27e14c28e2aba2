// Argument decoding and checking at the N-API boundary. No maths here.
#include "boundary.h"

#include <cmath>
#include <string>

#include "registry.h"

namespace slmkit {
namespace {

constexpr double kMaxExact = 9007199254740992.0;  // 2^53

bool is_index(double v) { return v >= 0 && v < kMaxExact && std::floor(v) == v; }

[[noreturn]] void fail(Napi::Env env, const std::string& message) {
  throw Napi::Error::New(env, message);
}

}  // namespace

Napi::Value make_storage(Napi::Env env, const Allocator& alloc, size_t bytes) {
  void* ptr = alloc.allocate(bytes);
  if (!ptr) throw Napi::Error::New(env, "out of memory: could not allocate " + std::to_string(bytes) + " bytes");
  return wrap_storage(env, ptr, bytes, alloc.release);
}

Napi::Value wrap_storage(Napi::Env env, void* ptr, size_t bytes, void (*release)(void*)) {
  auto* block = new StorageBlock{ptr, bytes};
  return Napi::External<StorageBlock>::New(env, block, [release](Napi::Env, StorageBlock* b) {
    if (b->ptr) release(b->ptr);
    delete b;
  });
}

StorageBlock* storage_of(const Napi::Value& value, const char* what) {
  if (!value.IsExternal()) throw Napi::TypeError::New(value.Env(), std::string(what) + ": expected a storage handle");
  auto* block = value.As<Napi::External<StorageBlock>>().Data();
  if (!block || !block->ptr) throw Napi::Error::New(value.Env(), std::string(what) + ": storage was already freed");
  return block;
}

void free_storage(const Napi::Value& value, const Allocator& alloc) {
  if (!value.IsExternal()) throw Napi::TypeError::New(value.Env(), "free: expected a storage handle");
  auto* block = value.As<Napi::External<StorageBlock>>().Data();
  if (block && block->ptr) {
    alloc.release(block->ptr);
    block->ptr = nullptr;
  }
}

OpArgs DecodedCall::args(void* stream) const {
  return OpArgs{inputs.data(), static_cast<int32_t>(inputs.size()), outputs.data(),
                static_cast<int32_t>(outputs.size()), attrs.data(), static_cast<int32_t>(attrs.size()), stream};
}

DecodedCall decode_call(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 4 || !info[0].IsNumber() || !info[1].IsArray() || !info[2].IsTypedArray() ||
      !info[3].IsTypedArray())
    throw Napi::TypeError::New(env, "run(kernelId, handles, desc, attrs): wrong argument types");
  DecodedCall call;
  int kernel = info[0].As<Napi::Number>().Int32Value();
  if (kernel < 0 || kernel >= kernel_count())
    fail(env, "run: unknown kernel id " + std::to_string(kernel));
  call.kernel = kernel;
  const std::string& name = kernel_name(kernel);

  auto handles = info[1].As<Napi::Array>();
  auto desc_ta = info[2].As<Napi::TypedArray>();
  auto attrs_ta = info[3].As<Napi::TypedArray>();
  if (desc_ta.TypedArrayType() != napi_float64_array || attrs_ta.TypedArrayType() != napi_float64_array)
    throw Napi::TypeError::New(env, name + ": desc and attrs must be Float64Arrays");
  auto desc = desc_ta.As<Napi::Float64Array>();
  auto attrs = attrs_ta.As<Napi::Float64Array>();
  const double* d = desc.Data();
  size_t len = desc.ElementLength();
  size_t pos = 0;
  auto next = [&](const char* what) -> double {
    if (pos >= len) fail(env, name + ": descriptor too short reading " + what);
    return d[pos++];
  };
  double n_in = next("input count"), n_out = next("output count");
  if (!is_index(n_in) || !is_index(n_out) || n_in + n_out != handles.Length())
    fail(env, name + ": descriptor counts do not match the " + std::to_string(handles.Length()) + " handles");
  size_t total = static_cast<size_t>(n_in + n_out);
  for (size_t t = 0; t < total; ++t) {
    std::string label = name + (t < n_in ? ": input " + std::to_string(t) : ": output " + std::to_string(t - n_in));
    StorageBlock* block = storage_of(handles.Get(static_cast<uint32_t>(t)), label.c_str());
    TensorView view{};
    double dtype = next("dtype"), ndim = next("ndim"), offset = next("offset");
    if (!is_index(dtype) || dtype > 3) fail(env, label + ": invalid dtype code");
    if (!is_index(ndim) || ndim > kMaxDims) fail(env, label + ": rank must be at most " + std::to_string(kMaxDims));
    if (!is_index(offset)) fail(env, label + ": invalid offset");
    view.dtype = static_cast<DType>(static_cast<int>(dtype));
    view.ndim = static_cast<int32_t>(ndim);
    double numel = 1, last = offset;
    for (int i = 0; i < view.ndim; ++i) {
      double s = next("shape");
      if (!is_index(s)) fail(env, label + ": invalid size in shape");
      view.shape[i] = static_cast<int64_t>(s);
      numel *= s;
    }
    for (int i = 0; i < view.ndim; ++i) {
      double st = next("strides");
      if (!is_index(st)) fail(env, label + ": invalid stride");
      view.strides[i] = static_cast<int64_t>(st);
      if (view.shape[i] > 0) last += (view.shape[i] - 1) * st;
    }
    double item = static_cast<double>(dtype_size(view.dtype));
    if (numel > 0 && (last + 1) * item > static_cast<double>(block->bytes))
      fail(env, label + ": view reaches past the end of its storage (" + std::to_string(block->bytes) + " bytes)");
    view.data = static_cast<char*>(block->ptr) + static_cast<size_t>(offset * item);
    (t < n_in ? call.inputs : call.outputs).push_back(view);
  }
  if (pos != len) fail(env, name + ": descriptor has trailing values");
  call.attrs.assign(attrs.Data(), attrs.Data() + attrs.ElementLength());
  return call;
}

void run_kernel(Napi::Env env, const DecodedCall& call, void* stream) {
  try {
    kernel_at(call.kernel)(call.args(stream));
  } catch (const KernelError& e) {
    throw Napi::Error::New(env, e.what());
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, kernel_name(call.kernel) + ": out of memory");
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, kernel_name(call.kernel) + ": " + e.what());
  }
}

void export_registry(Napi::Env env, Napi::Object exports) {
  exports.Set("kernelNames", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    auto names = kernel_names();
    auto out = Napi::Array::New(info.Env(), names.size());
    for (size_t i = 0; i < names.size(); ++i) out.Set(static_cast<uint32_t>(i), names[i]);
    return out;
  }));
  exports.Set("kernelId", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    if (info.Length() != 1 || !info[0].IsString()) throw Napi::TypeError::New(info.Env(), "kernelId(name): name must be a string");
    return Napi::Number::New(info.Env(), find_kernel(info[0].As<Napi::String>().Utf8Value()));
  }));
}

}  // namespace slmkit
