// Kernel registry filled by static registrars before the addon's init runs.
#include "registry.h"

#include <algorithm>
#include <utility>

namespace slmkit {
namespace {

struct Entry {
  std::string name;
  const KernelSignature* signature;
  KernelFn fn;
};

std::vector<Entry>& table() {
  static std::vector<Entry> kernels;
  return kernels;
}

}  // namespace

void register_kernel(const KernelSignature* signature, KernelFn fn) {
  table().push_back(Entry{signature->name, signature, fn});
}

int find_kernel(const std::string& name) {
  auto& t = table();
  for (size_t i = 0; i < t.size(); ++i)
    if (t[i].name == name) return static_cast<int>(i);
  return -1;
}

int kernel_count() { return static_cast<int>(table().size()); }

KernelFn kernel_at(int index) { return table()[index].fn; }

const std::string& kernel_name(int index) { return table()[index].name; }

const KernelSignature& kernel_signature(int index) { return *table()[index].signature; }

std::vector<std::string> kernel_names() {
  std::vector<std::string> names;
  for (auto& k : table()) names.push_back(k.name);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace slmkit
