// The allocation probe: how much host memory do device allocations cost?
//
// Steps: sample a short window before the backend exists ("pre"); create it; sample until the
// baseline is stable ("baseline"); per allocation: allocate, touch, sample ("alloc");
// free everything and sample until the readings settle ("release"). Optionally
// alloc/free cycles ("cycle") whose host cost must not grow. Raw samples stream out
// through the sink as they are taken, so a crash loses none already taken.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "core/meminfo.h"
#include "core/registry.h"

namespace xpd {

struct AllocProbeParams {
  int device = 0;
  std::string variant;
  uint64_t size = 0;
  int count = 1;
  Touch touch = Touch::None;
  double baselineMs = 5000;       // longest wait for a stable baseline
  double settleMs = 5000;         // longest wait for readings to settle after free
  double stableWindowMs = 600;    // window over which drift is judged
  int64_t stableBytes = 8 << 20;  // spread of stabilityReading within the window that counts as stable
  double intervalMs = 50;         // sampling period while waiting
  int samplesPerStep = 3;         // samples after each allocation (their median is used)
  int cycles = 0;                 // alloc/free cycles after the release phase
  int64_t guardBytes = 0;         // never allocate past MemAvailable - size < guardBytes
  // Host memory touched and held through the measurement. Recently freed pages wait on
  // the per-CPU lists, invisible to MemFree/MemAvailable, and the next allocations take
  // them without MemAvailable moving (seen on this project's VMs: hundreds of MiB).
  // Where /proc/zoneinfo shows those lists the probe reads them (MemSample::pcpFree)
  // and needs no ballast; elsewhere holding a ballast larger than what was recently
  // freed uses those pages up. -1: 512 MiB only where the lists cannot be read.
  int64_t ballastBytes = -1;
};

struct ProbeSample {
  const char* phase;
  int step;              // allocation or cycle number, 0 outside those phases
  uint64_t deviceBytes;  // device bytes live when sampled
  MemSample mem;
};

struct AllocProbeOutcome {
  int allocated = 0;  // allocations made before the end (or the guard)
  bool stoppedAtGuard = false;
  int64_t guardBytes = 0;        // the guard it ran under
  int64_t availableAtStop = -1;  // MemAvailable when the guard stopped it
  bool baselineStable = false;
  bool releaseSettled = false;
  uint64_t ballastBytes = 0;  // the ballast actually held (reduced to stay above the guard)
  double backendCreateMs = 0;
  // The driver's own counters once everything was freed (live allocations, ...).
  std::map<std::string, double> countersAfterRelease;
};

using SampleSink = std::function<void(const ProbeSample&)>;
using BackendFactory = std::function<BackendPtr()>;
// Called with the driver's counters after a failed case has freed what it allocated,
// just before the error propagates: proof that the error path leaks nothing.
using CleanupSink = std::function<void(const std::map<std::string, double>&)>;

// Frees every allocation it made on every path; backend errors propagate after that.
AllocProbeOutcome runAllocProbe(const BackendFactory& make, const AllocProbeParams& p, const SampleSink& sink, const CleanupSink& onCleanup = nullptr);

Touch parseTouch(const std::string& s);

}  // namespace xpd
