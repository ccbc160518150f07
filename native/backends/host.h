#pragma once

#include <memory>

#include "xpudiag/backend.h"

namespace xpd {

// The host backend: always available, the reference for every other backend and the
// source of the natural controls (mmap-lazy costs no host memory, mmap-populate costs
// all of it). Options: "devices" (number of simulated devices, default 2).
std::unique_ptr<Backend> createHostBackend(const Options& options);

}  // namespace xpd
