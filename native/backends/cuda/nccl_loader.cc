#include "nccl_loader.h"

#include <dlfcn.h>
#include <glob.h>
#include <link.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace xpd {
namespace cuda {
namespace {

template <class Fn>
bool resolve(void* handle, const char* symbol, Fn& fn, std::string& missing) {
  void* p = dlsym(handle, symbol);
  if (!p) {
    missing += missing.empty() ? symbol : std::string(", ") + symbol;
    return false;
  }
  fn = reinterpret_cast<Fn>(p);
  return true;
}

std::string envOr(const char* name, const std::string& fallback = "") {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

// Candidate files of the `nvidia-nccl-cu*` wheels, which PyTorch installs.
std::vector<std::string> sitePackageCandidates() {
  std::vector<std::string> roots;
  for (const char* env : {"VIRTUAL_ENV", "CONDA_PREFIX"}) {
    const std::string root = envOr(env);
    if (!root.empty()) roots.push_back(root + "/lib/python3*/site-packages");
  }
  const std::string home = envOr("HOME");
  if (!home.empty()) roots.push_back(home + "/.local/lib/python3*/site-packages");
  for (const char* r : {"/usr/local/lib/python3*/dist-packages", "/usr/local/lib/python3*/site-packages", "/usr/lib/python3/dist-packages",
                        "/usr/lib/python3*/site-packages", "/opt/conda/lib/python3*/site-packages"}) {
    roots.push_back(r);
  }
  std::vector<std::string> files;
  for (const std::string& root : roots) {
    const std::string pattern = root + "/nvidia/nccl/lib/libnccl.so.2";
    glob_t g{};
    if (glob(pattern.c_str(), 0, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) files.emplace_back(g.gl_pathv[i]);
    }
    globfree(&g);
  }
  return files;
}

// Last resort: the python3 on PATH knows where its packages are (any venv layout).
std::string askPython() {
  FILE* p = popen(
      "python3 -c \"import os, nvidia.nccl as m; "
      "print(os.path.join(list(m.__path__)[0], 'lib', 'libnccl.so.2'))\" 2>/dev/null",
      "r");
  if (!p) return "";
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int status = pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  if (status != 0 || out.empty() || access(out.c_str(), R_OK) != 0) return "";
  return out;
}

}  // namespace

bool NcclLoader::tryOpen(const std::string& file, const std::string& source, std::string& why) {
  void* h = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = dlerror();
    why = e ? e : (file + ": dlopen failed");
    return false;
  }
  NcclApi api;
  std::string missing;
  resolve(h, "ncclGetVersion", api.getVersion, missing);
  resolve(h, "ncclCommInitAll", api.commInitAll, missing);
  resolve(h, "ncclCommDestroy", api.commDestroy, missing);
  resolve(h, "ncclAllReduce", api.allReduce, missing);
  resolve(h, "ncclGroupStart", api.groupStart, missing);
  resolve(h, "ncclGroupEnd", api.groupEnd, missing);
  resolve(h, "ncclGetErrorString", api.getErrorString, missing);
  if (!missing.empty()) {
    why = file + " lacks " + missing;
    dlclose(h);  // no NCCL code has run yet, so unloading is safe here
    return false;
  }
  // The file the dynamic linker actually chose (a bare soname says nothing).
  path_ = file;
  struct link_map* lm = nullptr;
  if (dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name && *lm->l_name) {
    char* real = realpath(lm->l_name, nullptr);
    path_ = real ? real : lm->l_name;
    std::free(real);
  }
  handle_ = h;
  api_ = api;
  source_ = source;
  return true;
}

bool NcclLoader::load() {
  if (tried_) return loaded();
  tried_ = true;
  std::string why;
  const std::string forced = envOr("XPUDIAG_NCCL_LIBRARY");
  if (!forced.empty()) {
    if (tryOpen(forced, "XPUDIAG_NCCL_LIBRARY", why)) return true;
    error_ = "XPUDIAG_NCCL_LIBRARY=" + forced + ": " + why;
    return false;
  }
  if (tryOpen("libnccl.so.2", "dynamic linker search path", why)) return true;
  error_ = "libnccl.so.2: " + why;
  for (const std::string& file : sitePackageCandidates()) {
    if (tryOpen(file, "Python nvidia-nccl package", why)) return true;
    error_ += "; " + why;
  }
  const std::string fromPython = askPython();
  if (fromPython.empty()) {
    error_ += "; no Python nvidia-nccl package found (python3 -c 'import nvidia.nccl' failed)";
    return false;
  }
  if (tryOpen(fromPython, "python3 nvidia.nccl", why)) return true;
  error_ += "; " + why;
  return false;
}

std::string NcclLoader::version() const {
  int v = 0;
  if (!loaded() || api_.getVersion(&v) != kNcclSuccess || v <= 0) return "";
  // NCCL_VERSION(X,Y,Z): X*1000+Y*100+Z up to 2.8, X*10000+Y*100+Z from 2.9 on.
  const int major = v >= 10000 ? v / 10000 : v / 1000;
  const int minor = v >= 10000 ? (v % 10000) / 100 : (v % 1000) / 100;
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(v % 100);
}

std::string NcclLoader::resultName(int code) {
  static const char* const names[] = {"ncclSuccess",      "ncclUnhandledCudaError", "ncclSystemError", "ncclInternalError", "ncclInvalidArgument",
                                      "ncclInvalidUsage", "ncclRemoteError",        "ncclInProgress",  "ncclTimeout"};
  if (code >= 0 && code < int(sizeof names / sizeof names[0])) return names[code];
  return "ncclResult " + std::to_string(code);
}

}  // namespace cuda
}  // namespace xpd
