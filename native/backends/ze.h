#pragma once

#include <memory>

#include "xpudiag/backend.h"

namespace xpd {

// The Level Zero backend. The loader (libze_loader.so.1, or XPUDIAG_ZE_LOADER) is
// opened at run time; without it the backend is Unavailable and says how to install
// it. Options: contextDevices (one | all, default one), residency (none | owner |
// peers, default none): the factors of the shadowing reports.
std::unique_ptr<Backend> createZeBackend(const Options& options);

}  // namespace xpd
