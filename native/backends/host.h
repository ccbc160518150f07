#pragma once

#include <memory>

#include "xpudiag/backend.h"

namespace xpd {

// The host backend: always available, the reference for every other backend and the
// source of the natural controls (mmap-lazy costs no host memory, mmap-populate costs
// all of it). For the collectives it simulates N devices, each with its own buffers and
// one worker thread per queue (0 compute, 1 copy), ordered only by events.
// Options: "devices" (number of simulated devices, default 2); "fault", test only, so
// the checks can be shown to catch real bugs: "skip-last" (every add leaves the last
// element of its range alone), "no-wait" (waitEvent orders nothing), "worker-throw"
// (addF32 fails inside the worker thread; reported at synchronize).
std::unique_ptr<Backend> createHostBackend(const Options& options);

}  // namespace xpd
