// A caching allocator for large host blocks, so that tensors freed and re-created every step reuse
// memory the process has already touched instead of paying page faults on fresh pages.
#pragma once
#include <cstddef>

namespace slmkit {

void* host_cache_allocate(size_t bytes);
void host_cache_release(void* ptr);
// Returns every cached block to the system.
void host_cache_trim();
// Bytes currently held in the cache (not in use by any tensor).
size_t host_cache_bytes();

}  // namespace slmkit
