#include "core/alloc_probe.h"

#include <sys/mman.h>
#include <time.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace xpd {
namespace {

void sleepMs(double ms) {
  if (ms <= 0) return;
  timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>((ms - static_cast<double>(static_cast<time_t>(ms / 1000)) * 1000) * 1e6)};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

MemSample take(const char* phase, int step, uint64_t deviceBytes, const SampleSink& sink) {
  ProbeSample s{phase, step, deviceBytes, {}};
  if (!sampleMemory(s.mem)) throw std::runtime_error("cannot read /proc/meminfo");
  sink(s);
  return s.mem;
}

// Where the readings should come back to after a release, and how close counts.
struct ReturnTo {
  int64_t level;
  int64_t tolerance;
};

// Samples until the spread of stabilityReading (MemAvailable corrected for other
// processes) over the last window is below the threshold, or the time runs out. On
// virtual machines freed memory comes back to MemFree seconds late (balloon/virtio-mem),
// so a reading taken at once can be off by hundreds of MiB. With `back`, stable is not
// enough until the reading has come back to its level or the time runs out: the balloon
// takes 64 MiB blocks off the free lists for hundreds of milliseconds at a time, and a
// release window that sat in such a dip read a full release as 0.67 in an A/A pair. Only
// memory that really stays (a leak, a pool) costs the whole wait.
bool waitStable(const char* phase, double maxMs, const AllocProbeParams& p, const SampleSink& sink, const ReturnTo* back = nullptr) {
  struct Point {
    double t;
    int64_t avail;
  };
  std::vector<Point> window;
  window.reserve(256);
  const double start = monotonicMs();
  for (;;) {
    MemSample m = take(phase, 0, 0, sink);
    window.push_back({m.tMs, stabilityReading(m)});
    while (!window.empty() && m.tMs - window.front().t > p.stableWindowMs) window.erase(window.begin());
    if (m.tMs - start >= p.stableWindowMs) {
      auto [lo, hi] = std::minmax_element(window.begin(), window.end(), [](const Point& a, const Point& b) { return a.avail < b.avail; });
      const bool returned = !back || window.back().avail >= back->level - back->tolerance;
      if (hi->avail - lo->avail <= p.stableBytes && returned) return true;
    }
    if (m.tMs - start >= std::max(maxMs, p.stableWindowMs)) return false;
    sleepMs(p.intervalMs);
  }
}

class Allocations {
 public:
  explicit Allocations(Backend& b) : b_(b) {}
  ~Allocations() {
    // Error path: free what is left; errors here cannot be reported any more.
    for (auto& a : list_) {
      try {
        b_.release(a);
      } catch (...) {
      }
    }
  }
  void add(Allocation a) { list_.push_back(std::move(a)); }
  Allocation& back() { return list_.back(); }
  uint64_t bytes() const {
    uint64_t n = 0;
    for (const auto& a : list_) n += a.bytes;
    return n;
  }
  void releaseAll() {
    while (!list_.empty()) {
      b_.release(list_.back());
      list_.pop_back();
    }
  }

 private:
  Backend& b_;
  std::vector<Allocation> list_;
};

// Anonymous memory written page by page and held until destruction (see ballastBytes).
class Ballast {
 public:
  explicit Ballast(uint64_t bytes) : bytes_(bytes) {
    if (!bytes_) return;
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw ApiError("mmap", errno, strerror(errno), "ballast");
    p_ = static_cast<char*>(p);
    for (uint64_t off = 0; off < bytes_; off += 4096) p_[off] = 1;
  }
  ~Ballast() {
    if (p_) munmap(p_, bytes_);
  }
  Ballast(const Ballast&) = delete;
  Ballast& operator=(const Ballast&) = delete;
  uint64_t bytes() const { return bytes_; }

 private:
  uint64_t bytes_;
  char* p_ = nullptr;
};

constexpr int kPreSamples = 5;
constexpr int kMaxSettleReadings = 4;

// A step's reading is confirmed by one taken right after it; while the two disagree by
// more than half of stableBytes, more follow (at most kMaxSettleReadings), and the
// analysis takes the step's median. Why: while another process unmaps memory, its pages
// sit for milliseconds in no count at all (unmapped, not yet freed: the kernel frees them
// in batches of up to 10,000 pages), and a reading taken then is off by tens of MiB (24 to
// 36 MiB seen on this project's 2-core VMs beside compile-like neighbours). On a quiet
// machine this costs one extra reading a step (about 0.3 ms).
// Returns the last reading taken.
MemSample settle(MemSample last, int step, uint64_t deviceBytes, const AllocProbeParams& p, const SampleSink& sink) {
  for (int extra = 0; extra < kMaxSettleReadings; ++extra) {
    const MemSample again = take("alloc", step, deviceBytes, sink);
    const int64_t moved = stabilityReading(again) - stabilityReading(last);
    last = again;
    if ((moved < 0 ? -moved : moved) <= p.stableBytes / 2) break;
    sleepMs(p.intervalMs / 2);
  }
  return last;
}

}  // namespace

void measure(Backend& b, const AllocProbeParams& p, const SampleSink& sink, AllocProbeOutcome& out);

Touch parseTouch(const std::string& s) {
  if (s == "none") return Touch::None;
  if (s == "fill") return Touch::Fill;
  if (s == "read") return Touch::Read;
  throw std::invalid_argument("touch must be none, fill or read, got '" + s + "'");
}

AllocProbeOutcome runAllocProbe(const BackendFactory& make, const AllocProbeParams& p, const SampleSink& sink, const CleanupSink& onCleanup) {
  if (p.size == 0 || p.count < 1) throw std::invalid_argument("alloc probe: size and count must be positive");
  AllocProbeOutcome out;
  out.guardBytes = p.guardBytes;
  // A window of readings before the backend exists, not one: a single reading against
  // the baseline's median made the fixed cost of creating the backend a coin toss on a
  // machine whose memory moves by tens of MiB within a second.
  for (int i = 0; i < kPreSamples; ++i) {
    if (i) sleepMs(p.intervalMs / 2);
    take("pre", 0, 0, sink);
  }
  double t0 = monotonicMs();
  BackendPtr backend = make();
  out.backendCreateMs = monotonicMs() - t0;
  MemSample now;
  if (!sampleMemory(now)) throw std::runtime_error("cannot read /proc/meminfo");
  uint64_t ballastBytes = p.ballastBytes >= 0 ? static_cast<uint64_t>(p.ballastBytes) : now.pcpFree >= 0 ? 0 : 512ull << 20;
  if (ballastBytes) {
    // Never let the ballast itself bring the machine near the guard.
    const int64_t room = now.memAvailable - 2 * p.guardBytes - static_cast<int64_t>(p.size) * p.count;
    if (room < static_cast<int64_t>(ballastBytes)) ballastBytes = room > 0 ? static_cast<uint64_t>(room) / 2 : 0;
  }
  Ballast ballast(ballastBytes);
  out.ballastBytes = ballast.bytes();
  out.baselineStable = waitStable("baseline", p.baselineMs, p, sink);
  try {
    measure(*backend, p, sink, out);
  } catch (...) {
    // The allocations are already released (Allocations' destructor ran while the
    // exception left measure()); what the driver still holds is the evidence.
    if (onCleanup) {
      try {
        onCleanup(backend->counters());
      } catch (...) {
      }
    }
    throw;
  }
  return out;
}

void measure(Backend& b, const AllocProbeParams& p, const SampleSink& sink, AllocProbeOutcome& out) {
  Backend* backend = &b;
  int64_t before = 0, peak = 0;
  {
    Allocations live(*backend);
    for (int i = 1; i <= p.count; ++i) {
      MemSample now;
      if (!sampleMemory(now)) throw std::runtime_error("cannot read /proc/meminfo");
      if (i == 1) before = stabilityReading(now);
      if (p.guardBytes > 0 && now.memAvailable - static_cast<int64_t>(p.size) < p.guardBytes) {
        out.stoppedAtGuard = true;
        out.availableAtStop = now.memAvailable;
        break;
      }
      live.add(backend->allocate(p.device, p.variant, p.size));
      backend->touch(live.back(), p.touch);
      out.allocated = i;
      MemSample last;
      for (int s = 0; s < p.samplesPerStep; ++s) {
        sleepMs(s == 0 ? p.intervalMs : p.intervalMs / 2);
        last = take("alloc", i, live.bytes(), sink);
      }
      peak = stabilityReading(settle(last, i, live.bytes(), p, sink));
    }
    live.releaseAll();
  }
  out.countersAfterRelease = backend->counters();
  // Back to within a tenth of what was taken (and the stability threshold).
  const ReturnTo back{before, std::max<int64_t>(p.stableBytes, (before - peak) / 10)};
  out.releaseSettled = waitStable("release", p.settleMs, p, sink, out.allocated ? &back : nullptr);

  for (int c = 1; c <= p.cycles; ++c) {
    Allocations live(*backend);
    for (int i = 0; i < p.count; ++i) {
      live.add(backend->allocate(p.device, p.variant, p.size));
      backend->touch(live.back(), p.touch);
    }
    live.releaseAll();
    sleepMs(p.intervalMs);
    take("cycle", c, 0, sink);
  }
}

}  // namespace xpd
