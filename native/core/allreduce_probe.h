// The all-reduce probe: checks every requested algorithm (bit for bit on `exact`
// inputs, against per-element bounds on seeded `random` inputs) and times it across
// sizes, nccl-tests style. One row per (size, algorithm), streamed as measured.
//
// Checked calls per size and algorithm (`check` of them): the first out of place with
// poisoned outputs and scratch (an element the call never writes is wrong), the
// second in place, the third a stale-scratch sequence (a checked call at another size
// on the same scratch, then this size again), any further ones out of place with fresh
// inputs. Every checked call also verifies that nothing was written past the end.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/allreduce.h"
#include "core/p2p_probe.h"
#include "core/registry.h"

namespace xpd {

enum class Input { Exact, Random };

struct AllReduceProbeParams {
  int devices = 0;  // 0: every device of the backend
  std::vector<std::string> algorithms;
  AllReduceConfig cfg;
  Input input = Input::Exact;
  uint64_t seed = 1;
  std::vector<uint64_t> counts;         // explicit element counts
  uint64_t minBytes = 0, maxBytes = 0;  // FP32 bytes; 0: not set
  double factor = 2;
  int iters = 20;
  int warmup = 5;
  int check = 1;
  bool measureLink = true;
};

struct AllReduceRow {
  std::string algorithm;  // as requested
  std::string ran;        // what ran (auto resolved, ring fallback)
  bool fellBack = false;
  bool thresholdRow = false;  // count is threshold - 1, threshold or threshold + 1
  uint64_t count = 0;
  uint64_t bytes = 0;  // count * element size (4, or 2 for nccl-bf16)
  uint64_t chunks = 1;
  std::string exchange;  // copy-engine or peer-kernel for the two-device paths and the ring; empty for a library
  uint64_t wireBytes = 0;
  double timeUs = 0, minUs = 0, p90Us = 0;
  int iters = 0;
  // Checks; `checked` = 0 means none ran and the figures below are meaningless.
  int checked = 0;
  uint64_t wrong = 0;         // all checked calls, including the two below and overruns
  uint64_t wrongInPlace = 0;  // of which in the in-place call
  uint64_t wrongStale = 0;    // of which in the stale-scratch sequence
  uint64_t overrun = 0;       // elements written past the end (counted in wrong)
  uint64_t nonFinite = 0;     // NaN/inf outputs (counted in wrong)
  double maxError = 0;        // worst |error| in units of the element's bound
  uint64_t disagree = 0;      // elements whose bits differ between devices, summed over the checked calls
  double maxDisagree = 0;     // worst difference between devices, in units of the bound
  bool mayDisagree = false;   // disagreement is by design (bf16-trunc)
  bool hostClock = false;     // timed by the host clock (the backend could not time events)
  std::string route;          // Backend::copyRoute of the copy-engine exchange ("a+b" if pairs differ); empty otherwise
};

struct AllReduceProbeOutcome {
  int devices = 0;
  uint64_t seed = 0;
  std::string input;
  bool hostClock = false;
  LinkCeiling link;                                              // bytes = 0: not measured
  std::vector<std::string> algorithms;                           // the ones that ran
  std::vector<std::pair<std::string, std::string>> unsupported;  // algorithm, why
  std::vector<uint64_t> counts;
  int rows = 0;
};

using AllReduceSink = std::function<void(const AllReduceRow&)>;

AllReduceProbeOutcome runAllReduceProbe(const std::function<BackendPtr()>& make, const AllReduceProbeParams& p, const AllReduceSink& sink);

// The element counts a sweep visits: minBytes..maxBytes by factor (as FP32 counts),
// the explicit counts, and threshold - 1, threshold, threshold + 1 when they lie within
// the range of the others. Sorted, unique.
std::vector<uint64_t> allReduceCounts(const AllReduceProbeParams& p);

// Inputs and bounds, exposed for the native tests.
void makeInputs(Input mode, uint64_t seed, uint64_t call, size_t count, std::vector<std::vector<float>>& out);
// |error| allowed for device d's output element, given every device's partial.
double errorBound(Algo ran, int d, const float* partials, int devices);

}  // namespace xpd
