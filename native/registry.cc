// Kernel registry filled by static registrars before the addon's init runs.
#include "registry.h"

#include <algorithm>
#include <utility>

namespace slmkit {
namespace {

std::vector<std::pair<std::string, KernelFn>>& table() {
  static std::vector<std::pair<std::string, KernelFn>> kernels;
  return kernels;
}

}  // namespace

void register_kernel(const char* name, KernelFn fn) { table().emplace_back(name, fn); }

int find_kernel(const std::string& name) {
  auto& t = table();
  for (size_t i = 0; i < t.size(); ++i)
    if (t[i].first == name) return static_cast<int>(i);
  return -1;
}

int kernel_count() { return static_cast<int>(table().size()); }

KernelFn kernel_at(int index) { return table()[index].second; }

const std::string& kernel_name(int index) { return table()[index].first; }

std::vector<std::string> kernel_names() {
  std::vector<std::string> names;
  for (auto& k : table()) names.push_back(k.first);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace slmkit
