// The native probe registry: every probe's binding (native/probes/<name>/binding.cc),
// one entry each. A new probe adds its folder and its entry here.
#pragma once

#include "probes/binding.h"

#define XPUDIAG_PROBE_BINDINGS(X) X(kAllocBinding) X(kAllreduceBinding) X(kP2pBinding) X(kWorkloadBinding)

namespace xpd::js {

#define XPUDIAG_DECLARE(binding) extern const ProbeBinding binding;
XPUDIAG_PROBE_BINDINGS(XPUDIAG_DECLARE)
#undef XPUDIAG_DECLARE

}  // namespace xpd::js
