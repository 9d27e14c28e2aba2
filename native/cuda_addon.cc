// The CUDA addon: device discovery, stream-ordered cached device memory, copies, async readback, kernel calls.
#include <cuda_runtime.h>
#include <napi.h>

#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "../kernels/cuda/attention_select.h"
#include "../kernels/cuda/cublaslt_loader.h"
#include "boundary.h"

namespace slmkit {
namespace {

std::string error_text(cudaError_t err) { return std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err); }

// 13000 -> "13.0", the form CUDA versions are written in.
std::string version_text(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

// A failed runtime call also sets the thread's "last error", which the next launch check would report
// as its own; clear it so each error is reported once, by the call that caused it.
cudaError_t take(cudaError_t err) {
  if (err != cudaSuccess) cudaGetLastError();
  return err;
}

// The one device this addon drives (the first visible one), discovered once per process on first use:
// loading the addon touches no CUDA API, so it loads anywhere.
struct Device {
  bool available = false;
  std::string reason;  // why not, when !available
  int index = 0;
  cudaDeviceProp props{};
  int driver_version = 0;
  int runtime_version = 0;
  cudaStream_t stream = nullptr;  // every copy and kernel of the addon runs on it, so they run in call order
  cudaMemPool_t pool = nullptr;
};

Device discover() {
  Device d;
  auto unavailable = [&d](const std::string& why) {
    d.reason = why;
    return d;
  };
  cudaError_t err = take(cudaRuntimeGetVersion(&d.runtime_version));
  if (err != cudaSuccess) return unavailable("cudaRuntimeGetVersion failed: " + error_text(err));
  // The static runtime opens libcuda.so.1 itself; cudaDriverGetVersion gives 0 when it could not, which
  // tells "no driver" apart from "driver too old" (the runtime reports both as an insufficient driver).
  err = take(cudaDriverGetVersion(&d.driver_version));
  if (err != cudaSuccess) return unavailable("cudaDriverGetVersion failed: " + error_text(err));
  int count = 0;
  err = take(cudaGetDeviceCount(&count));
  if (err != cudaSuccess) {
    std::string runtime_says = " (the CUDA runtime reports " + error_text(err) + ")";
    if (d.driver_version == 0)
      return unavailable("no NVIDIA driver found: libcuda.so.1 could not be loaded" + runtime_says +
                         "; install the NVIDIA driver (CUDA " + version_text(d.runtime_version) +
                         " needs 580 or newer) or use the CPU backend");
    // Within one major version a driver runs newer runtimes (minor-version compatibility); across majors not.
    if (d.driver_version / 1000 < d.runtime_version / 1000)
      return unavailable("the NVIDIA driver supports CUDA " + version_text(d.driver_version) +
                         " but this addon was built with CUDA " + version_text(d.runtime_version) + runtime_says +
                         "; update the driver");
    return unavailable("cudaGetDeviceCount failed: " + error_text(err));
  }
  if (count == 0) return unavailable("no CUDA device is visible (check nvidia-smi and CUDA_VISIBLE_DEVICES)");
  err = take(cudaGetDeviceProperties(&d.props, d.index));
  if (err != cudaSuccess) return unavailable("cudaGetDeviceProperties failed: " + error_text(err));
  if (d.props.major < 8)
    return unavailable(std::string(d.props.name) + " has compute capability " + std::to_string(d.props.major) + "." +
                       std::to_string(d.props.minor) + "; slmkit's CUDA kernels need 8.0 (Ampere) or newer");
  err = take(cudaSetDevice(d.index));
  if (err != cudaSuccess) return unavailable("cudaSetDevice failed: " + error_text(err));
  int pools = 0;
  err = take(cudaDeviceGetAttribute(&pools, cudaDevAttrMemoryPoolsSupported, d.index));
  if (err != cudaSuccess || !pools)
    return unavailable(std::string(d.props.name) + " does not support stream-ordered memory pools (cudaMallocAsync)");
  // Non-blocking: work that other libraries queue on the legacy default stream does not serialise with ours.
  err = take(cudaStreamCreateWithFlags(&d.stream, cudaStreamNonBlocking));
  if (err != cudaSuccess) return unavailable("cudaStreamCreateWithFlags failed: " + error_text(err));
  err = take(cudaDeviceGetDefaultMemPool(&d.pool, d.index));
  if (err != cudaSuccess) return unavailable("cudaDeviceGetDefaultMemPool failed: " + error_text(err));
  // By default the pool returns freed memory to the driver at every synchronisation; a training step frees
  // and reallocates the same sizes each iteration, so keep everything cached (memory stays in this process).
  uint64_t threshold = UINT64_MAX;
  err = take(cudaMemPoolSetAttribute(d.pool, cudaMemPoolAttrReleaseThreshold, &threshold));
  if (err != cudaSuccess) return unavailable("cudaMemPoolSetAttribute failed: " + error_text(err));
  d.available = true;
  return d;
}

// The stream is never destroyed: storage finalizers may run during environment teardown and still free on it.
const Device& device() {
  static const Device d = discover();  // function-local static: initialised once, thread-safely
  return d;
}

const Device& require_device(Napi::Env env) {
  const Device& d = device();
  if (!d.available) throw Napi::Error::New(env, "CUDA is unavailable: " + d.reason);
  return d;
}

// Errors a kernel raises while it runs; CUDA reports them at whatever call comes next, so say so.
bool raised_by_a_kernel(cudaError_t err) {
  switch (err) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorMisalignedAddress:
    case cudaErrorIllegalInstruction:
    case cudaErrorInvalidPc:
    case cudaErrorHardwareStackError:
    case cudaErrorAssert:
    case cudaErrorLaunchTimeout: return true;
    default: return false;
  }
}

void check(Napi::Env env, cudaError_t err, const std::string& what) {
  if (take(err) == cudaSuccess) return;
  std::string message = what + " failed: " + error_text(err);
  if (raised_by_a_kernel(err))
    message += " (raised by an earlier kernel; the CUDA context is now unusable and the process must restart)";
  throw Napi::Error::New(env, message);
}

// --- device memory ---------------------------------------------------------------------------------

thread_local cudaError_t last_release_error = cudaSuccess;

void* device_allocate(size_t bytes) {
  void* ptr = nullptr;
  // Zero-byte requests still get a block: a null pointer marks a freed handle at the boundary.
  return take(cudaMallocAsync(&ptr, bytes ? bytes : 1, device().stream)) == cudaSuccess ? ptr : nullptr;
}

// Stream-ordered: kernels queued before the free still see valid memory. Errors are kept for free() to
// report; a finalizer has nowhere to report them.
void device_release(void* ptr) { last_release_error = take(cudaFreeAsync(ptr, device().stream)); }

const Allocator kDeviceAllocator{device_allocate, device_release};

// --- page-locked staging buffers -------------------------------------------------------------------

// Copies between the device and page-locked host memory are asynchronous; with pageable memory (a JS
// typed array) they wait for the stream. So small writes and every readAsync go through these buffers.
struct PinnedBuffer {
  void* ptr = nullptr;
  size_t bytes = 0;
  cudaEvent_t done = nullptr;  // recorded after each copy that uses the buffer; reuse waits for it
};

constexpr size_t kStagedWriteMax = size_t(64) << 20;  // larger writes copy straight from the typed array
constexpr size_t kIdleCap = size_t(256) << 20;        // page-locked memory kept for reuse

class PinnedPool {
 public:
  // A buffer of at least `bytes` whose previous copies have finished.
  PinnedBuffer* acquire(Napi::Env env, size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      size_t best = idle_.size();
      for (size_t i = 0; i < idle_.size(); ++i) {
        if (idle_[i]->bytes < bytes || (best < idle_.size() && idle_[i]->bytes >= idle_[best]->bytes)) continue;
        if (take(cudaEventQuery(idle_[i]->done)) == cudaSuccess) best = i;
      }
      if (best < idle_.size()) {
        PinnedBuffer* b = idle_[best];
        idle_.erase(idle_.begin() + best);
        idle_bytes_ -= b->bytes;
        return b;
      }
    }
    // Powers of two let buffers be reused across slightly different sizes; huge reads get a buffer of their own.
    size_t size = size_t(64) << 10;
    if (bytes > kStagedWriteMax) size = (bytes + (size_t(2) << 20) - 1) / (size_t(2) << 20) * (size_t(2) << 20);
    while (size < bytes) size <<= 1;
    auto* b = new PinnedBuffer{nullptr, size, nullptr};
    cudaError_t err = take(cudaHostAlloc(&b->ptr, size, cudaHostAllocDefault));
    // Blocking sync: a thread waiting on the event sleeps instead of spinning a CPU core.
    if (err == cudaSuccess)
      err = take(cudaEventCreateWithFlags(&b->done, cudaEventDisableTiming | cudaEventBlockingSync));
    if (err != cudaSuccess) {
      destroy(b);
      check(env, err, "allocating " + std::to_string(size) + " bytes of page-locked staging memory");
    }
    return b;
  }

  void release(PinnedBuffer* b) {
    std::lock_guard<std::mutex> lock(mu_);
    if (b->bytes <= kStagedWriteMax && idle_bytes_ + b->bytes <= kIdleCap) {
      idle_.push_back(b);
      idle_bytes_ += b->bytes;
      return;
    }
    // Rare (a huge read, or a full cache): wait for any copy still using it before freeing it.
    if (b->done) take(cudaEventSynchronize(b->done));
    destroy(b);
  }

 private:
  static void destroy(PinnedBuffer* b) {
    if (b->done) take(cudaEventDestroy(b->done));
    if (b->ptr) take(cudaFreeHost(b->ptr));
    delete b;
  }

  std::mutex mu_;  // one pool per process, used from the JS thread of every worker_thread that loads the addon
  std::vector<PinnedBuffer*> idle_;
  size_t idle_bytes_ = 0;
};

PinnedPool& pinned_pool() {
  static PinnedPool* pool = new PinnedPool;  // never destroyed: in-flight readAsync workers may outlive exit hooks
  return *pool;
}

// Queues a copy through a staging buffer and records its event; on failure returns the buffer and throws.
void queue_staged_copy(Napi::Env env, PinnedBuffer* b, void* dst, const void* src, size_t bytes, cudaMemcpyKind kind,
                       const char* what) {
  cudaStream_t stream = device().stream;
  cudaError_t err = take(cudaMemcpyAsync(dst, src, bytes, kind, stream));
  if (err == cudaSuccess) {
    err = take(cudaEventRecord(b->done, stream));
    // The copy is queued but unguarded by the event: let it finish before the buffer can be reused.
    if (err != cudaSuccess) take(cudaStreamSynchronize(stream));
  }
  if (err != cudaSuccess) {
    pinned_pool().release(b);
    check(env, err, what);
  }
}

// --- N-API functions -------------------------------------------------------------------------------

Napi::Value IsAvailable(const Napi::CallbackInfo& info) {
  const Device& d = device();
  auto out = Napi::Object::New(info.Env());
  out.Set("available", d.available);
  if (!d.available) out.Set("reason", d.reason);
  return out;
}

Napi::Value DeviceProperties(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Device& d = require_device(env);
  auto out = Napi::Object::New(env);
  out.Set("name", d.props.name);
  out.Set("computeCapability", std::to_string(d.props.major) + "." + std::to_string(d.props.minor));
  out.Set("multiprocessors", d.props.multiProcessorCount);
  out.Set("totalMemory", static_cast<double>(d.props.totalGlobalMem));
  out.Set("l2Bytes", d.props.l2CacheSize);
  out.Set("sharedMemPerBlockOptin", static_cast<double>(d.props.sharedMemPerBlockOptin));
  out.Set("driverVersion", version_text(d.driver_version));
  out.Set("runtimeVersion", version_text(d.runtime_version));
  // Which GEMM `matmul` uses: cuBLASLt when it loaded, else the hand-written fallback (and why).
  const CublasLt& lt = cublaslt_library();
  out.Set("matmulBackend", lt.loaded ? "cublasLt" : "fallback");
  if (!lt.loaded) out.Set("matmulFallbackReason", lt.reason);
  // Which bf16 prefill attention kernels run here ("wgmma" on Hopper, else "mma.sync", also under
  // SLMKIT_CUDA_PRE_HOPPER=1).
  out.Set("attentionKernels", attention_wgmma_available() ? "wgmma" : "mma.sync");
  return out;
}

// memoryInfo() -> { free, total } of the device and { poolReserved, poolUsed } of our caching pool.
Napi::Value MemoryInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Device& d = require_device(env);
  size_t free_bytes = 0, total_bytes = 0;
  uint64_t reserved = 0, used = 0;
  check(env, cudaMemGetInfo(&free_bytes, &total_bytes), "memoryInfo: cudaMemGetInfo");
  check(env, cudaMemPoolGetAttribute(d.pool, cudaMemPoolAttrReservedMemCurrent, &reserved),
        "memoryInfo: pool reserved");
  check(env, cudaMemPoolGetAttribute(d.pool, cudaMemPoolAttrUsedMemCurrent, &used), "memoryInfo: pool used");
  auto out = Napi::Object::New(env);
  out.Set("free", static_cast<double>(free_bytes));
  out.Set("total", static_cast<double>(total_bytes));
  out.Set("poolReserved", static_cast<double>(reserved));
  out.Set("poolUsed", static_cast<double>(used));
  return out;
}

Napi::Value Alloc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1) throw Napi::TypeError::New(env, "alloc(bytes): one argument expected");
  const Device& d = require_device(env);
  size_t bytes = checked_size(info[0], "alloc: bytes");
  void* ptr = device_allocate(bytes);
  if (!ptr) {
    // Frees queued on the stream become reusable only as the stream reaches them, and cached chunks may be
    // too fragmented for a large block: wait, hand the unused cache back to the driver, and try once more.
    check(env, cudaStreamSynchronize(d.stream), "alloc: cudaStreamSynchronize");
    check(env, cudaMemPoolTrimTo(d.pool, 0), "alloc: cudaMemPoolTrimTo");
    ptr = device_allocate(bytes);
  }
  if (!ptr) {
    size_t free_bytes = 0, total_bytes = 0;
    take(cudaMemGetInfo(&free_bytes, &total_bytes));
    throw Napi::Error::New(env, "CUDA out of memory: could not allocate " + std::to_string(bytes) + " bytes (" +
                                    std::to_string(free_bytes) + " of " + std::to_string(total_bytes) +
                                    " bytes free on " + d.props.name + ")");
  }
  return wrap_storage(env, ptr, bytes, device_release);
}

Napi::Value Free(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1) throw Napi::TypeError::New(env, "free(handle): one argument expected");
  last_release_error = cudaSuccess;
  free_storage(info[0], kDeviceAllocator);
  check(env, last_release_error, "free: cudaFreeAsync");
  return env.Undefined();
}

// write(handle, byteOffset, typedArray): host to device, queued on the stream. The typed array may be
// reused as soon as this returns.
Napi::Value Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 3 || !info[2].IsTypedArray())
    throw Napi::TypeError::New(env, "write(handle, byteOffset, typedArray)");
  auto src = info[2].As<Napi::TypedArray>();
  size_t n = src.ByteLength();
  const Device& d = require_device(env);
  const StorageRange r = checked_range(info, "write", n);
  if (n == 0) return env.Undefined();
  const char* host = static_cast<const char*>(src.ArrayBuffer().Data()) + src.ByteOffset();
  if (n > kStagedWriteMax) {
    // From pageable memory the driver waits for the stream, then stages the data before returning; for a
    // transfer this large the wait costs little, and no page-locked buffer of that size is tied up.
    check(env, cudaMemcpyAsync(r.ptr(), host, n, cudaMemcpyHostToDevice, d.stream), "write: cudaMemcpyAsync");
    return env.Undefined();
  }
  PinnedBuffer* b = pinned_pool().acquire(env, n);
  std::memcpy(b->ptr, host, n);
  queue_staged_copy(env, b, r.ptr(), b->ptr, n, cudaMemcpyHostToDevice, "write: cudaMemcpyAsync");
  pinned_pool().release(b);  // its event keeps it from reuse until the copy has run
  return env.Undefined();
}

// read(handle, byteOffset, bytes) -> ArrayBuffer: waits for all queued work, then copies.
Napi::Value Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 3) throw Napi::TypeError::New(env, "read(handle, byteOffset, bytes)");
  const Device& d = require_device(env);
  size_t n = checked_size(info[2], "read: bytes");
  const StorageRange r = checked_range(info, "read", n);
  auto out = Napi::ArrayBuffer::New(env, n);
  if (n == 0) return out;
  check(env, cudaMemcpyAsync(out.Data(), r.ptr(), n, cudaMemcpyDeviceToHost, d.stream), "read: cudaMemcpyAsync");
  check(env, cudaStreamSynchronize(d.stream), "read: cudaStreamSynchronize");
  return out;
}

// readAsync's waiting half. The copy itself is queued on the JS thread, in call order with every kernel and
// free() (so a free() right after readAsync() cannot overtake the copy); a libuv worker thread then sleeps
// on the copy's event, and the JS thread only copies the finished bytes into a fresh ArrayBuffer.
class ReadWorker : public Napi::AsyncWorker {
 public:
  ReadWorker(Napi::Env env, PinnedBuffer* buffer, size_t bytes)
      : Napi::AsyncWorker(env, "slmkit.readAsync"),
        deferred_(Napi::Promise::Deferred::New(env)),
        buffer_(buffer),
        bytes_(bytes) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    // Runtime calls on a new thread act on that thread's current device, so select ours first.
    cudaError_t err = take(cudaSetDevice(device().index));
    if (err == cudaSuccess) err = take(cudaEventSynchronize(buffer_->done));
    if (err != cudaSuccess) SetError("readAsync: waiting for the copy failed: " + error_text(err));
  }

  void OnOK() override {
    auto out = Napi::ArrayBuffer::New(Env(), bytes_);
    std::memcpy(out.Data(), buffer_->ptr, bytes_);
    pinned_pool().release(buffer_);
    deferred_.Resolve(out);
  }

  void OnError(const Napi::Error& e) override {
    pinned_pool().release(buffer_);
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  PinnedBuffer* buffer_;
  size_t bytes_;
};

// readAsync(handle, byteOffset, bytes) -> Promise<ArrayBuffer>, without blocking the JS thread.
Napi::Value ReadAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 3) throw Napi::TypeError::New(env, "readAsync(handle, byteOffset, bytes)");
  require_device(env);
  size_t n = checked_size(info[2], "readAsync: bytes");
  const StorageRange r = checked_range(info, "readAsync", n);
  if (n == 0) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Resolve(Napi::ArrayBuffer::New(env, 0));
    return deferred.Promise();
  }
  PinnedBuffer* b = pinned_pool().acquire(env, n);
  queue_staged_copy(env, b, b->ptr, r.ptr(), n, cudaMemcpyDeviceToHost, "readAsync: cudaMemcpyAsync");
  auto* worker = new ReadWorker(env, b, n);  // deletes itself after OnOK/OnError
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

// synchronize(): waits for all queued work; reports errors of kernels that failed asynchronously.
Napi::Value Synchronize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  check(env, cudaStreamSynchronize(require_device(env).stream), "synchronize: cudaStreamSynchronize");
  return env.Undefined();
}

// run(kernelId, buffer): queues a kernel on the stream; returns before it has run.
Napi::Value Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Device& d = require_device(env);
  const DecodedCall& call = decode_call(info);
  run_kernel(env, call, d.stream);
  return env.Undefined();
}

// info() -> { driverVersion, runtimeVersion, architectures, cublasLt, cublasLtFoundBy, cublasLtReason,
// cublasLtVersion }: the driver ("13.0", or null without one), the runtime linked in, the GPU code this
// binary carries, and where cuBLASLt was found or why not. Needs no GPU: it reports what this machine has.
Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Device& d = device();
  const CublasLt& lt = cublaslt_library();
  auto text_or_null = [&env](bool present, const std::string& text) {
    return present ? Napi::Value(Napi::String::New(env, text)) : env.Null();
  };
  auto out = Napi::Object::New(env);
  out.Set("driverVersion", text_or_null(d.driver_version > 0, version_text(d.driver_version)));
  out.Set("runtimeVersion", text_or_null(d.runtime_version > 0, version_text(d.runtime_version)));
  out.Set("architectures", SLMKIT_CUDA_ARCHITECTURES);
  out.Set("cublasLt", text_or_null(lt.loaded, lt.path));
  out.Set("cublasLtFoundBy", text_or_null(lt.loaded, lt.found_by));
  out.Set("cublasLtReason", text_or_null(!lt.loaded, lt.reason));
  out.Set("cublasLtVersion",
          lt.loaded ? Napi::Value(Napi::Number::New(env, static_cast<double>(lt.version))) : env.Null());
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  export_functions(env, exports,
                   {{"isAvailable", IsAvailable},
                    {"deviceProperties", DeviceProperties},
                    {"memoryInfo", MemoryInfo},
                    {"alloc", Alloc},
                    {"free", Free},
                    {"write", Write},
                    {"read", Read},
                    {"readAsync", ReadAsync},
                    {"synchronize", Synchronize},
                    {"run", Run},
                    {"info", Info}});
  return exports;
}

}  // namespace
}  // namespace slmkit

static Napi::Object InitCudaAddon(Napi::Env env, Napi::Object exports) { return slmkit::Init(env, exports); }

NODE_API_MODULE(slmkit_cuda, InitCudaAddon)
