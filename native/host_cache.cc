// Size-bucketed cache of 64-byte-aligned host blocks. Small blocks go straight to the C allocator (its
// own bins already reuse them); large blocks are rounded up and kept on a free list per rounded size.
#include "host_cache.h"

#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace slmkit {
namespace {

constexpr size_t kAlign = 64;
constexpr size_t kLargeBlock = 256 * 1024;
// Large sizes round up to 1/8 of their power of two, wasting at most 12.5% while letting similar sizes share.
size_t round_large(size_t bytes) {
  size_t pow2 = 1;
  while (pow2 < bytes) pow2 <<= 1;
  size_t step = pow2 / 8;
  return (bytes + step - 1) / step * step;
}

size_t cache_limit() {
  static const size_t limit = [] {
    const char* env = std::getenv("SLMKIT_HOST_CACHE_MB");
    return env ? static_cast<size_t>(std::atoll(env)) << 20 : static_cast<size_t>(2) << 30;
  }();
  return limit;
}

struct Cache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;
  std::unordered_map<void*, size_t> sizes;  // every live or cached large block
  size_t cached_bytes = 0;
};

Cache& cache() {
  static Cache* instance = new Cache();  // never destroyed: blocks may be released during process exit
  return *instance;
}

// Returns every parked block to the C allocator; the caller holds the cache's lock.
void free_cached(Cache& c) {
  for (auto& [size, blocks] : c.free_blocks)
    for (void* b : blocks) {
      c.sizes.erase(b);
      std::free(b);
    }
  c.free_blocks.clear();
  c.cached_bytes = 0;
}

void* aligned(size_t bytes) { return std::aligned_alloc(kAlign, (bytes + kAlign - 1) / kAlign * kAlign); }

// Physical memory: a request above it is refused up front, because with overcommit the allocation
// itself might succeed and the process would only be killed later when the pages are touched.
size_t physical_bytes() {
  static const size_t total =
      static_cast<size_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<size_t>(sysconf(_SC_PAGE_SIZE));
  return total;
}

}  // namespace

void* host_cache_allocate(size_t bytes) {
  if (bytes == 0) bytes = 1;
  if (bytes > physical_bytes()) return nullptr;
  if (bytes < kLargeBlock) return aligned(bytes);
  size_t rounded = round_large(bytes);
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  auto it = c.free_blocks.find(rounded);
  if (it != c.free_blocks.end() && !it->second.empty()) {
    void* ptr = it->second.back();
    it->second.pop_back();
    c.cached_bytes -= rounded;
    return ptr;
  }
  void* ptr = aligned(rounded);
  if (!ptr) {
    // Out of memory with blocks parked in the cache: give them back and try once more.
    free_cached(c);
    ptr = aligned(rounded);
    if (!ptr) return nullptr;
  }
  c.sizes[ptr] = rounded;
  return ptr;
}

void host_cache_release(void* ptr) {
  if (!ptr) return;
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  auto it = c.sizes.find(ptr);
  if (it == c.sizes.end()) {
    std::free(ptr);
    return;
  }
  size_t rounded = it->second;
  if (c.cached_bytes + rounded > cache_limit()) {
    c.sizes.erase(it);
    std::free(ptr);
    return;
  }
  c.free_blocks[rounded].push_back(ptr);
  c.cached_bytes += rounded;
}

void host_cache_trim() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  free_cached(c);
}

size_t host_cache_bytes() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.cached_bytes;
}

}  // namespace slmkit
