// The C entry point of a backend built as its own shared library (cuda, sycl).
// The addon dlopen()s `libxpudiag_<name>.so` from its own folder and calls this.
#pragma once

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
