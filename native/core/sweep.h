// Pieces shared by the sweeping probes (allreduce, p2p): nccl-tests style size lists,
// timing statistics, device buffers that free themselves, and event timing.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "xpudiag/backend.h"

namespace xpd {

// minBytes, minBytes * factor, ... up to maxBytes (nccl-tests -b/-e/-f). Each step
// grows by at least one byte, so a factor close to 1 still ends.
std::vector<uint64_t> sweepSizes(uint64_t minBytes, uint64_t maxBytes, double factor);

struct TimeStats {
  double medianUs = 0, minUs = 0, p90Us = 0;
  int n = 0;
};
TimeStats timeStats(std::vector<double> us);

// One device buffer, freed on every path.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(Backend& b, int device, size_t bytes) : b_(&b), device_(device), p_(b.deviceAlloc(device, bytes)), bytes_(bytes) {}
  ~DeviceBuffer() { reset(); }
  DeviceBuffer(DeviceBuffer&& o) noexcept { *this = std::move(o); }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      reset();
      b_ = o.b_;
      device_ = o.device_;
      p_ = o.p_;
      bytes_ = o.bytes_;
      o.p_ = nullptr;
    }
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* get() const { return p_; }
  size_t bytes() const { return bytes_; }
  int device() const { return device_; }
  void reset() {
    if (!p_) return;
    try {
      b_->deviceFree(device_, p_);
    } catch (...) {
      // Only on an error path (or after a device error); nothing left to report to.
    }
    p_ = nullptr;
  }

 private:
  Backend* b_ = nullptr;
  int device_ = 0;
  void* p_ = nullptr;
  size_t bytes_ = 0;
};

// Times `iters` runs of `enqueue` (which returns start/end events it recorded) with
// device events: all runs are queued back to back, then synchronized, then read. If
// the backend cannot time events (Unsupported from elapsedMs), falls back to the host
// clock around each run with a synchronize after it; `hostClock` says which was used.
// `release` destroys the events recorded so far (called after every batch).
struct EventPair {
  Event start = 0, end = 0;
};
std::vector<double> timeRuns(Backend& b, int iters, const std::function<EventPair()>& enqueue, const std::function<void()>& syncAll,
                             const std::function<void()>& release, bool& hostClock);

// Deterministic 64-bit mixing (splitmix64): inputs are a pure function of the seed and
// the position, so any run can be reproduced from the seed in its report.
inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace xpd
