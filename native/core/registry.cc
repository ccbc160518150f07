#include "core/registry.h"

#include <dlfcn.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "backends/host.h"
#include "xpudiag/plugin.h"

#ifdef XPUDIAG_HAVE_ZE
#include "backends/ze.h"
#endif

namespace xpd {

std::string pluginDir() {
  if (const char* dir = getenv("XPUDIAG_PLUGIN_DIR"); dir && *dir) return dir;
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&pluginDir), &info) == 0 || !info.dli_fname) return ".";
  std::string self = info.dli_fname;
  auto slash = self.rfind('/');
  return slash == std::string::npos ? "." : self.substr(0, slash);
}

namespace {

BackendPtr createPlugin(const std::string& name, const Options& options) {
  std::string path = pluginDir() + "/libxpudiag_" + name + ".so";
  // Plugins stay loaded for the life of the process: vendor runtimes (CUDA) register
  // exit handlers that must not outlive their code.
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char* err = dlerror();
    throw Unavailable(name + ": plugin not loadable: " + (err ? err : path) + " (not built on this machine? see `xpudiag env`)");
  }
  auto create = reinterpret_cast<xpudiag_backend_create_fn>(dlsym(lib, XPUDIAG_PLUGIN_CREATE));
  auto destroy = reinterpret_cast<xpudiag_backend_destroy_fn>(dlsym(lib, XPUDIAG_PLUGIN_DESTROY));
  if (!create || !destroy) throw std::runtime_error(name + ": " + path + " does not export " XPUDIAG_PLUGIN_CREATE);
  char err[1024] = {0};
  Backend* b = create(&options, err, sizeof err);
  if (!b) {
    static const char kPrefix[] = "unavailable: ";
    if (strncmp(err, kPrefix, sizeof kPrefix - 1) == 0) throw Unavailable(name + ": " + (err + sizeof kPrefix - 1));
    throw std::runtime_error(name + ": " + (err[0] ? err : "backend creation failed"));
  }
  return BackendPtr(b, [destroy](Backend* p) { destroy(p); });
}

}  // namespace

namespace {

std::atomic<int> g_created{0};

BackendPtr create(const std::string& name, const Options& options) {
  if (name == "host") return BackendPtr(createHostBackend(options).release(), [](Backend* p) { delete p; });
#ifdef XPUDIAG_HAVE_ZE
  if (name == "ze") return BackendPtr(createZeBackend(options).release(), [](Backend* p) { delete p; });
#else
  if (name == "ze") throw Unavailable("ze: backend not compiled into this build");
#endif
  // Every other backend is a plugin, libxpudiag_<name>.so built from native/backends/<name>/
  // (src/model/backends.ts lists the names; CMake finds the folders): no list here.
  const bool plain = !name.empty() && name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") == std::string::npos;
  if (!plain) throw std::runtime_error("unknown backend '" + name + "'");
  return createPlugin(name, options);
}

}  // namespace

BackendPtr createBackend(const std::string& name, const Options& options) {
  BackendPtr b = create(name, options);
  ++g_created;
  return b;
}

int backendsCreated() { return g_created.load(); }

}  // namespace xpd
