// The table of kernels registered by the op-family files of one addon.
#pragma once
#include <string>
#include <vector>

#include "slmkit/op_args.h"

namespace slmkit {

// Index of a kernel by name, or -1. Indices are stable for the life of the process.
int find_kernel(const std::string& name);
int kernel_count();
KernelFn kernel_at(int index);
const std::string& kernel_name(int index);
const KernelSignature& kernel_signature(int index);
std::vector<std::string> kernel_names();

}  // namespace slmkit
