// Argument decoding and checking at the N-API boundary. No maths here.
#include "boundary.h"

#include <cmath>
#include <string>

#include "registry.h"

namespace slmkit {
namespace {

constexpr double kMaxExact = 9007199254740992.0;  // 2^53

bool is_index(double v) { return v >= 0 && v < kMaxExact && std::floor(v) == v; }

[[noreturn]] void fail(Napi::Env env, const std::string& message) { throw Napi::Error::New(env, message); }

}  // namespace

namespace {

struct Slot {
  StorageBlock block;
  void (*release)(void*) = nullptr;
  uint32_t generation = 0;
};

constexpr double kSlotCount = 16777216.0;  // 2^24 slots; the generation fills the higher bits

std::vector<Slot>& slots() {
  // One table per JS thread (each worker_thread has its own JS heap and handles); never destroyed, since
  // finalizers may still free storage while the process exits.
  thread_local std::vector<Slot>* table = new std::vector<Slot>();
  return *table;
}

std::vector<uint32_t>& free_slots() {
  thread_local std::vector<uint32_t>* list = new std::vector<uint32_t>();
  return *list;
}

// The slot of a live handle, or nullptr.
Slot* slot_of(double handle) {
  if (!is_index(handle)) return nullptr;
  double index = std::fmod(handle, kSlotCount);
  double generation = std::floor(handle / kSlotCount);
  auto& table = slots();
  if (index >= static_cast<double>(table.size())) return nullptr;
  Slot& slot = table[static_cast<size_t>(index)];
  if (!slot.block.ptr || static_cast<double>(slot.generation) != generation) return nullptr;
  return &slot;
}

}  // namespace

Napi::Value make_storage(Napi::Env env, const Allocator& alloc, size_t bytes) {
  void* ptr = alloc.allocate(bytes);
  if (!ptr) throw Napi::Error::New(env, "out of memory: could not allocate " + std::to_string(bytes) + " bytes");
  return wrap_storage(env, ptr, bytes, alloc.release);
}

Napi::Value wrap_storage(Napi::Env env, void* ptr, size_t bytes, void (*release)(void*)) {
  auto& table = slots();
  uint32_t index;
  if (!free_slots().empty()) {
    index = free_slots().back();
    free_slots().pop_back();
  } else {
    if (table.size() >= static_cast<size_t>(kSlotCount)) {
      release(ptr);
      throw Napi::Error::New(env, "out of storage handles: more than 2^24 live allocations");
    }
    index = static_cast<uint32_t>(table.size());
    table.emplace_back();
  }
  Slot& slot = table[index];
  slot.block = StorageBlock{ptr, bytes};
  slot.release = release;
  slot.generation = (slot.generation + 1) & 0x1fffffffu;  // keeps the handle below 2^53
  return Napi::Number::New(env, static_cast<double>(slot.generation) * kSlotCount + index);
}

StorageBlock storage_of_handle(Napi::Env env, double handle, const char* what) {
  Slot* slot = slot_of(handle);
  if (!slot) throw Napi::Error::New(env, std::string(what) + ": not a live storage handle (freed or never allocated)");
  return slot->block;
}

StorageBlock storage_of(const Napi::Value& value, const char* what) {
  if (!value.IsNumber()) throw Napi::TypeError::New(value.Env(), std::string(what) + ": expected a storage handle");
  return storage_of_handle(value.Env(), value.As<Napi::Number>().DoubleValue(), what);
}

void free_storage(const Napi::Value& value, const Allocator& alloc) {
  if (!value.IsNumber()) throw Napi::TypeError::New(value.Env(), "free: expected a storage handle");
  Slot* slot = slot_of(value.As<Napi::Number>().DoubleValue());
  if (!slot) return;
  (slot->release ? slot->release : alloc.release)(slot->block.ptr);
  slot->block = StorageBlock{};
  free_slots().push_back(static_cast<uint32_t>(slot - slots().data()));
}

size_t checked_size(const Napi::Value& value, const char* what) {
  if (!value.IsNumber()) throw Napi::TypeError::New(value.Env(), std::string(what) + " must be a number");
  const double d = value.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 1099511627776.0 || d != static_cast<double>(static_cast<int64_t>(d)))
    throw Napi::RangeError::New(value.Env(), std::string(what) + " must be a whole number of bytes below 1 TiB");
  return static_cast<size_t>(d);
}

StorageRange checked_range(const Napi::CallbackInfo& info, const char* fn, size_t bytes) {
  const StorageBlock block = storage_of(info[0], fn);
  const size_t offset = checked_size(info[1], (std::string(fn) + ": byteOffset").c_str());
  // Both are below 2^40, so the sum cannot wrap.
  if (offset + bytes > block.bytes)
    throw Napi::RangeError::New(info.Env(), std::string(fn) + ": range reaches past the end of the storage (" +
                                                std::to_string(block.bytes) + " bytes)");
  return StorageRange{block, offset};
}

OpArgs DecodedCall::args(void* stream) const {
  return OpArgs{
      inputs.data(), static_cast<int32_t>(inputs.size()), outputs.data(), static_cast<int32_t>(outputs.size()),
      attrs.data(),  static_cast<int32_t>(attrs.size()),  stream};
}

const DecodedCall& decode_call(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 2 || !info[0].IsNumber() || !info[1].IsTypedArray())
    throw Napi::TypeError::New(env, "run(kernelId, buffer): wrong argument types");
  // Reused across calls (one per JS thread) so the hot path allocates nothing once the vectors have
  // grown; kernels never call back into JS, so one call is finished before the next is decoded.
  thread_local DecodedCall call;
  call.inputs.clear();
  call.outputs.clear();
  call.attrs.clear();
  int kernel = info[0].As<Napi::Number>().Int32Value();
  if (kernel < 0 || kernel >= kernel_count()) fail(env, "run: unknown kernel id " + std::to_string(kernel));
  call.kernel = kernel;
  const std::string& name = kernel_name(kernel);

  auto buffer = info[1].As<Napi::TypedArray>();
  if (buffer.TypedArrayType() != napi_float64_array)
    throw Napi::TypeError::New(env, name + ": buffer must be a Float64Array");
  auto values = buffer.As<Napi::Float64Array>();
  const double* d = values.Data();
  size_t len = values.ElementLength();
  size_t pos = 0;
  auto next = [&](const char* what) -> double {
    if (pos >= len) fail(env, name + ": descriptor too short reading " + what);
    return d[pos++];
  };
  double n_in = next("input count"), n_out = next("output count"), n_attrs = next("attribute count");
  if (!is_index(n_in) || !is_index(n_out) || !is_index(n_attrs) || n_in + n_out > 4096 || n_attrs > len)
    fail(env, name + ": invalid descriptor counts");
  for (size_t i = 0; i < static_cast<size_t>(n_attrs); ++i) call.attrs.push_back(next("attributes"));
  size_t total = static_cast<size_t>(n_in + n_out);
  for (size_t t = 0; t < total; ++t) {
    std::string label;
    auto where = [&]() -> const std::string& {
      if (label.empty())
        label = name + (t < n_in ? ": input " + std::to_string(t)
                                 : ": output " + std::to_string(t - static_cast<size_t>(n_in)));
      return label;
    };
    double handle = next("handle");
    Slot* slot = slot_of(handle);
    if (!slot) fail(env, where() + " is not a live storage handle (freed or never allocated)");
    TensorView view{};
    double dtype = next("dtype"), ndim = next("ndim"), offset = next("offset");
    if (!is_index(dtype) || dtype > 3) fail(env, where() + ": invalid dtype code");
    if (!is_index(ndim) || ndim > kMaxDims) fail(env, where() + ": rank must be at most " + std::to_string(kMaxDims));
    if (!is_index(offset)) fail(env, where() + ": invalid offset");
    view.dtype = static_cast<DType>(static_cast<int>(dtype));
    view.ndim = static_cast<int32_t>(ndim);
    double numel = 1, last = offset;
    for (int i = 0; i < view.ndim; ++i) {
      double s = next("shape");
      if (!is_index(s)) fail(env, where() + ": invalid size in shape");
      view.shape[i] = static_cast<int64_t>(s);
      numel *= s;
    }
    for (int i = 0; i < view.ndim; ++i) {
      double st = next("strides");
      if (!is_index(st)) fail(env, where() + ": invalid stride");
      view.strides[i] = static_cast<int64_t>(st);
      if (view.shape[i] > 0) last += (view.shape[i] - 1) * st;
    }
    double item = static_cast<double>(dtype_size(view.dtype));
    if (numel > 0 && (last + 1) * item > static_cast<double>(slot->block.bytes))
      fail(env,
           where() + ": view reaches past the end of its storage (" + std::to_string(slot->block.bytes) + " bytes)");
    view.data = static_cast<char*>(slot->block.ptr) + static_cast<size_t>(offset * item);
    (t < n_in ? call.inputs : call.outputs).push_back(view);
  }
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

void export_functions(Napi::Env env, Napi::Object exports,
                      std::initializer_list<std::pair<const char*, AddonFunction>> functions) {
  for (const auto& f : functions) exports.Set(f.first, Napi::Function::New(env, f.second));
  exports.Set("kernelNames", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                auto names = kernel_names();
                auto out = Napi::Array::New(info.Env(), names.size());
                for (size_t i = 0; i < names.size(); ++i) out.Set(static_cast<uint32_t>(i), names[i]);
                return out;
              }));
  // { name: { inputs, outputs, attrs } } for every registered kernel: the test that holds the op table and
  // the contract headers to the same names and order reads this.
  exports.Set("kernelSignatures", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                Napi::Env env = info.Env();
                auto names = [&](const std::vector<const char*>& list) {
                  auto out = Napi::Array::New(env, list.size());
                  for (size_t i = 0; i < list.size(); ++i) out.Set(static_cast<uint32_t>(i), list[i]);
                  return out;
                };
                auto out = Napi::Object::New(env);
                for (int i = 0; i < kernel_count(); ++i) {
                  const KernelSignature& s = kernel_signature(i);
                  auto entry = Napi::Object::New(env);
                  entry.Set("inputs", names(s.inputs));
                  entry.Set("outputs", names(s.outputs));
                  entry.Set("attrs", names(s.attrs));
                  out.Set(s.name, entry);
                }
                return out;
              }));
  exports.Set("kernelId", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                if (info.Length() != 1 || !info[0].IsString())
                  throw Napi::TypeError::New(info.Env(), "kernelId(name): name must be a string");
                return Napi::Number::New(info.Env(), find_kernel(info[0].As<Napi::String>().Utf8Value()));
              }));
}

}  // namespace slmkit
