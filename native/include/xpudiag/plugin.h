// The C entry point of a backend built as its own shared library (cuda, sycl).
// The addon dlopen()s `libxpudiag_<name>.so` from its own folder and calls this.
#pragma once

#include <cstdio>
#include <string>

#include "xpudiag/backend.h"

extern "C" {
// Returns a new backend, or nullptr with a message in err (what failed and why:
// "no CUDA driver: libcuda.so.1 not found"). The caller deletes it with
// xpudiag_backend_destroy, so allocation and release stay in the same library.
typedef xpd::Backend* (*xpudiag_backend_create_fn)(const xpd::Options* options, char* err, size_t errLen);
typedef void (*xpudiag_backend_destroy_fn)(xpd::Backend* backend);
}

#define XPUDIAG_PLUGIN_CREATE "xpudiag_backend_create"
#define XPUDIAG_PLUGIN_DESTROY "xpudiag_backend_destroy"

namespace xpd {

// A plugin's create(): runs `make`, and turns what it throws into the error contract
// above (Unavailable becomes the "unavailable: " prefix that the addon reports as a
// skip). Shared so every plugin answers the same way.
template <typename Make>
Backend* createPluginBackend(const char* what, char* err, size_t errLen, Make&& make) {
  auto write = [&](const std::string& m) {
    if (err && errLen) snprintf(err, errLen, "%s", m.c_str());
  };
  try {
    return make();
  } catch (const Unavailable& e) {
    write(std::string("unavailable: ") + e.what());
  } catch (const std::exception& e) {
    write(e.what());
  } catch (...) {
    write(std::string(what) + ": unknown exception during creation");
  }
  return nullptr;
}

}  // namespace xpd
