// Finds and opens libcublasLt at run time and resolves the GEMM entry points into a function table.
#include "cublaslt_loader.h"

#include <dlfcn.h>
#include <glob.h>
#include <link.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace slmkit {
namespace {

#if defined(__aarch64__)
constexpr const char* kTargetSuffix = "/targets/sbsa-linux/lib";
#else
constexpr const char* kTargetSuffix = "/targets/x86_64-linux/lib";
#endif

// Newest first: a CUDA 13 build prefers cuBLASLt 13, but 12.x has the same entry points and runs on the
// same driver, so a machine with only PyTorch's cu12 wheels still gets a fast GEMM.
constexpr const char* kSonames[] = {"libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"};

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// A directory to look in, and the install it belongs to (what `slmkit doctor` reports).
struct SearchDir {
  std::string dir;
  std::string install;
};

// Adds every directory matching `pattern`, newest first (glob sorts cuda-12.8 before cuda-13.0).
void add_glob(std::vector<SearchDir>& dirs, const std::string& pattern, const std::string& install) {
  glob_t g{};
  if (glob(pattern.c_str(), GLOB_ONLYDIR, nullptr, &g) == 0)
    for (size_t i = g.gl_pathc; i-- > 0;) dirs.push_back({g.gl_pathv[i], install});
  globfree(&g);
}

// Directories that hold libcublasLt in the usual installs, in the order they are tried.
std::vector<SearchDir> search_dirs() {
  std::vector<SearchDir> dirs;
  for (const char* home_var : {"CUDA_HOME", "CUDA_PATH"}) {
    std::string home = env_or_empty(home_var);
    if (home.empty()) continue;
    dirs.push_back({home + "/lib64", std::string("the CUDA toolkit in $") + home_var});
    dirs.push_back({home + kTargetSuffix, std::string("the CUDA toolkit in $") + home_var});
  }
  dirs.push_back({"/usr/local/cuda/lib64", "the CUDA toolkit"});
  dirs.push_back({std::string("/usr/local/cuda") + kTargetSuffix, "the CUDA toolkit"});
  add_glob(dirs, std::string("/usr/local/cuda-*") + kTargetSuffix, "the CUDA toolkit");
  add_glob(dirs, "/usr/local/cuda-*/lib64", "the CUDA toolkit");
  // pip wheels: CUDA 13 wheels install into nvidia/cu13/lib, CUDA 12 ones into nvidia/cublas/lib.
  std::vector<SearchDir> site_packages;
  std::string venv = env_or_empty("VIRTUAL_ENV");
  if (!venv.empty())
    site_packages.push_back({venv + "/lib/python3*/site-packages", "pip's nvidia packages in $VIRTUAL_ENV"});
  std::string conda = env_or_empty("CONDA_PREFIX");
  if (!conda.empty()) {
    dirs.push_back({conda + "/lib", "conda in $CONDA_PREFIX"});
    site_packages.push_back({conda + "/lib/python3*/site-packages", "pip's nvidia packages in $CONDA_PREFIX"});
  }
  std::string home = env_or_empty("HOME");
  if (!home.empty())
    site_packages.push_back({home + "/.local/lib/python3*/site-packages", "pip's nvidia packages (user site)"});
  site_packages.push_back({"/usr/local/lib/python3*/dist-packages", "pip's nvidia packages (system)"});
  site_packages.push_back({"/usr/local/lib/python3*/site-packages", "pip's nvidia packages (system)"});
  site_packages.push_back({"/usr/lib/python3/dist-packages", "pip's nvidia packages (system)"});
  for (const auto& sp : site_packages) {
    add_glob(dirs, sp.dir + "/nvidia/cu13/lib", sp.install);
    add_glob(dirs, sp.dir + "/nvidia/cublas/lib", sp.install);
  }
  return dirs;
}

std::string dl_error() {
  const char* e = dlerror();
  return e ? e : "unknown dlopen error";
}

template <typename Fn> bool resolve(void* lib, const char* name, Fn& out, std::string& missing) {
  out = reinterpret_cast<Fn>(dlsym(lib, name));
  if (!out && missing.empty()) missing = name;
  return out != nullptr;
}

// Resolves every entry point; on a missing one returns its name and leaves the table unusable.
std::string resolve_all(void* lib, CublasLt& t) {
  std::string missing;
  size_t (*get_version)() = nullptr;
  resolve(lib, "cublasLtGetVersion", get_version, missing);
  resolve(lib, "cublasLtCreate", t.create, missing);
  resolve(lib, "cublasLtDestroy", t.destroy, missing);
  resolve(lib, "cublasLtMatmul", t.matmul, missing);
  resolve(lib, "cublasLtMatmulDescCreate", t.matmul_desc_create, missing);
  resolve(lib, "cublasLtMatmulDescSetAttribute", t.matmul_desc_set_attribute, missing);
  resolve(lib, "cublasLtMatmulDescDestroy", t.matmul_desc_destroy, missing);
  resolve(lib, "cublasLtMatrixLayoutCreate", t.matrix_layout_create, missing);
  resolve(lib, "cublasLtMatrixLayoutSetAttribute", t.matrix_layout_set_attribute, missing);
  resolve(lib, "cublasLtMatrixLayoutDestroy", t.matrix_layout_destroy, missing);
  resolve(lib, "cublasLtMatmulPreferenceCreate", t.preference_create, missing);
  resolve(lib, "cublasLtMatmulPreferenceSetAttribute", t.preference_set_attribute, missing);
  resolve(lib, "cublasLtMatmulPreferenceDestroy", t.preference_destroy, missing);
  resolve(lib, "cublasLtMatmulAlgoGetHeuristic", t.algo_get_heuristic, missing);
  if (missing.empty()) t.version = get_version();
  return missing;
}

// The file a handle came from (a soname load does not say which directory it was found in).
std::string loaded_path(void* lib, const std::string& fallback) {
  link_map* map = nullptr;
  if (dlinfo(lib, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name && map->l_name[0]) return map->l_name;
  return fallback;
}

// Tries one candidate; on success fills the table. Failures are appended to `failures`, except that a
// bare soname that is simply not installed is not worth reporting.
bool try_load(const std::string& name, CublasLt& t, std::string& failures) {
  // RTLD_NOW reports a missing dependency here rather than at the first GEMM; RTLD_LOCAL keeps its
  // symbols out of the global namespace of the Node process.
  void* lib = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    std::string err = dl_error();
    bool absent = err.rfind(name + ":", 0) == 0 && err.find("No such file") != std::string::npos;
    if (!absent) failures += "; " + err;
    return false;
  }
  std::string missing = resolve_all(lib, t);
  if (!missing.empty()) {
    failures += "; " + loaded_path(lib, name) + " lacks " + missing;
    t = CublasLt{};
    dlclose(lib);
    return false;
  }
  t.loaded = true;
  t.path = loaded_path(lib, name);
  return true;
}

CublasLt load() {
  CublasLt t;
  // Tests and users can force the hand-written GEMM (to exercise it, or to rule cuBLASLt out of a bug).
  if (env_or_empty("SLMKIT_DISABLE_CUBLASLT") == "1") {
    t.reason = "disabled by SLMKIT_DISABLE_CUBLASLT=1";
    return t;
  }
  std::string failures;
  std::string override_path = env_or_empty("SLMKIT_CUBLASLT_PATH");
  if (!override_path.empty()) {
    // An explicit choice that fails is reported, not silently replaced by another copy of the library.
    if (try_load(override_path, t, failures)) t.found_by = "SLMKIT_CUBLASLT_PATH";
    else
      t.reason = "SLMKIT_CUBLASLT_PATH=" + override_path + " could not be used" +
                 (failures.empty() ? ": no such file" : failures);
    return t;
  }
  for (const char* soname : kSonames) {
    if (try_load(soname, t, failures)) {
      t.found_by = std::string("the dynamic loader's search path (") + soname +
                   " via LD_LIBRARY_PATH, RUNPATH or the ld.so cache)";
      return t;
    }
  }
  std::vector<SearchDir> dirs = search_dirs();
  for (const auto& d : dirs) {
    for (const char* soname : kSonames) {
      std::string file = d.dir + "/" + soname;
      if (access(file.c_str(), F_OK) != 0) continue;
      if (try_load(file, t, failures)) {
        t.found_by = d.install;
        return t;
      }
    }
  }
  std::string searched;
  for (const auto& d : dirs) searched += (searched.empty() ? "" : ", ") + d.dir;
  t.reason = std::string(failures.empty() ? "libcublasLt not found" : "libcublasLt could not be loaded") +
             " (tried the sonames libcublasLt.so.13, .so.12 and .so on the loader path, then " + searched + ")" +
             failures + ". Install cuBLAS (the CUDA toolkit, or pip install nvidia-cublas) or set SLMKIT_CUBLASLT_PATH";
  return t;
}

}  // namespace

const CublasLt& cublaslt_library() {
  static const CublasLt table = load();  // a function-local static is initialised once, thread-safely
  return table;
}

}  // namespace slmkit
