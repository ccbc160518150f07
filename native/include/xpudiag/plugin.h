// The C entry point of a backend built as its own shared library (cuda, sycl).
// The addon dlopen()s `libxpudiag_<name>.so` from its own folder and calls this.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <type_traits>

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

// Defines a plugin's two C entry points for backend class TYPE (constructed with no
// arguments, then init(options)), with their signatures checked against this header.
#define XPUDIAG_DEFINE_PLUGIN(TYPE, WHAT)                                                                                                         \
  extern "C" {                                                                                                                                    \
  __attribute__((visibility("default"))) xpd::Backend* xpudiag_backend_create(const xpd::Options* options, char* err, size_t errLen) {            \
    return xpd::createPluginBackend(WHAT, err, errLen, [&] {                                                                                      \
      auto backend = std::make_unique<TYPE>();                                                                                                    \
      backend->init(options ? *options : xpd::Options{});                                                                                         \
      return backend.release();                                                                                                                   \
    });                                                                                                                                           \
  }                                                                                                                                               \
  __attribute__((visibility("default"))) void xpudiag_backend_destroy(xpd::Backend* backend) { delete backend; }                                  \
  }                                                                                                                                               \
  static_assert(std::is_same<decltype(&xpudiag_backend_create), xpudiag_backend_create_fn>::value, "xpudiag_backend_create must match plugin.h"); \
  static_assert(std::is_same<decltype(&xpudiag_backend_destroy), xpudiag_backend_destroy_fn>::value, "xpudiag_backend_destroy must match plugin.h")
