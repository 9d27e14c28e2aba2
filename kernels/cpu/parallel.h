// A small persistent thread pool for CPU kernels.
#pragma once
#include <cstdint>
#include <functional>

namespace slmkit {

// Threads the pool uses (the calling thread included). Defaults to the machine's cores, or
// SLMKIT_NUM_THREADS when set.
int num_threads();
void set_num_threads(int n);

// Calls fn(begin, end) on disjoint chunks covering [0, n). Chunks hold at least `grain` items, so small
// work stays on the calling thread. A call made from inside a pool task runs serially (no nesting).
// An exception thrown by any chunk is re-thrown on the calling thread after all chunks finish.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace slmkit
