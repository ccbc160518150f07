#include "core/p2p_probe.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "core/parallel.h"
#include "core/sweep.h"

namespace xpd {
namespace {

constexpr size_t kGuardBytes = 256;  // past the end of every copy; must stay poisoned
constexpr uint32_t kPoison = 0x7FA57FA5u;
constexpr size_t kStage = 16u << 20;  // host staging for uploads and checks

size_t round4(size_t n) { return (n + 3) / 4 * 4; }

// Word w (bytes 8w .. 8w+7, little endian) of device d's source buffer: distinct per
// device, so a copy from the wrong device or offset shows as wrong bytes.
uint64_t patternWord(int d, uint64_t w) { return mix64((static_cast<uint64_t>(d) << 48) ^ w); }
uint8_t patternByte(int d, uint64_t i) { return static_cast<uint8_t>(patternWord(d, i >> 3) >> ((i & 7) * 8)); }

// Bytes [off, off + n) of device d's source, written to (fill) or compared with
// (count) `p`, a word at a time (one mix per word, not per byte). off is 0 or a
// multiple of kStage: the staging loops below advance by whole stages.
static_assert(kStage % 8 == 0, "stage offsets must stay word-aligned");
void fillPattern(int d, uint64_t off, uint8_t* p, size_t n) {
  parallelRanges(n / 8, workersFor(n / 8), [&](size_t lo, size_t hi, int) {
    for (size_t w = lo; w < hi; ++w) {
      const uint64_t v = patternWord(d, (off >> 3) + w);
      std::memcpy(p + w * 8, &v, 8);
    }
  });
  for (size_t i = n / 8 * 8; i < n; ++i) p[i] = patternByte(d, off + i);
}

uint64_t countPatternMismatches(int d, uint64_t off, const uint8_t* p, size_t n) {
  const int workers = workersFor(n / 8);
  std::vector<uint64_t> wrong(static_cast<size_t>(workers), 0);
  parallelRanges(n / 8, workers, [&](size_t lo, size_t hi, int wk) {
    uint64_t bad = 0;
    for (size_t w = lo; w < hi; ++w) {
      uint64_t got;
      std::memcpy(&got, p + w * 8, 8);
      const uint64_t want = patternWord(d, (off >> 3) + w);
      if (got != want)
        for (int k = 0; k < 8; ++k) bad += ((got ^ want) >> (k * 8) & 0xFF) != 0;
    }
    wrong[static_cast<size_t>(wk)] = bad;
  });
  uint64_t total = 0;
  for (uint64_t x : wrong) total += x;
  for (size_t i = n / 8 * 8; i < n; ++i) total += p[i] != patternByte(d, off + i);
  return total;
}

// Source and destination buffers on a set of devices, and the events recorded on them.
class Links {
 public:
  Links(Backend& b, const std::vector<int>& devices, uint64_t maxBytes) : b_(b), devices_(devices) {
    src_.resize(static_cast<size_t>(b.deviceCount()));
    dst_.resize(src_.size());
    std::vector<uint8_t> stage(std::min<size_t>(kStage, maxBytes));
    for (int d : devices) {
      src_[static_cast<size_t>(d)] = DeviceBuffer(b, d, round4(maxBytes));
      dst_[static_cast<size_t>(d)] = DeviceBuffer(b, d, round4(maxBytes + kGuardBytes));
      auto* s = static_cast<uint8_t*>(src(d));
      for (uint64_t off = 0; off < maxBytes; off += stage.size()) {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(stage.size(), maxBytes - off));
        fillPattern(d, off, stage.data(), n);
        b.upload(d, s + off, stage.data(), n);
      }
    }
  }

  ~Links() {
    // On an error path work may still be queued on the buffers: drain before freeing.
    try {
      syncAll();
    } catch (...) {
    }
    release();
  }

  // a -> c, pulled by c.
  EventPair uni(int a, int c, uint64_t bytes) {
    EventPair p;
    p.start = record(c);
    b_.copyPeer(c, kCopyQueue, dst(c), a, src(a), bytes);
    p.end = record(c);
    return p;
  }

  // a -> c and c -> a at once: both copy queues start together (c's start event) and
  // c's end waits for a's copy too.
  EventPair both(int a, int c, uint64_t bytes) {
    EventPair p;
    p.start = record(c);
    b_.waitEvent(a, kCopyQueue, p.start);
    b_.copyPeer(c, kCopyQueue, dst(c), a, src(a), bytes);
    b_.copyPeer(a, kCopyQueue, dst(a), c, src(c), bytes);
    b_.waitEvent(c, kCopyQueue, record(a));
    p.end = record(c);
    return p;
  }

  // On the copy queue, so it is ordered before the copies that follow.
  void poison(int d, uint64_t bytes) { b_.fill32(d, kCopyQueue, dst(d), kPoison, round4(bytes + kGuardBytes)); }

  // Bytes of dst(c) that differ from what a sent, plus guard bytes that were written.
  uint64_t check(int a, int c, uint64_t bytes) {
    uint64_t wrong = 0;
    const uint64_t total = bytes + kGuardBytes;
    std::vector<uint8_t> stage(static_cast<size_t>(std::min<uint64_t>(kStage, round4(total))));
    const auto* d = static_cast<const uint8_t*>(dst(c));
    for (uint64_t off = 0; off < total; off += stage.size()) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(stage.size(), total - off));
      b_.download(c, stage.data(), d + off, n);
      const size_t data = off < bytes ? static_cast<size_t>(std::min<uint64_t>(n, bytes - off)) : 0;
      wrong += countPatternMismatches(a, off, stage.data(), data);
      for (size_t i = data; i < n; ++i) wrong += stage[i] != static_cast<uint8_t>(kPoison >> (((off + i) & 3) * 8));
    }
    return wrong;
  }

  void syncAll() {
    for (int d : devices_) b_.synchronize(d);
  }

  void release() {
    std::vector<Event> evs;
    evs.swap(events_);
    for (Event e : evs) {
      try {
        b_.destroyEvent(e);
      } catch (...) {
      }
    }
  }

 private:
  void* src(int d) const { return src_[static_cast<size_t>(d)].get(); }
  void* dst(int d) const { return dst_[static_cast<size_t>(d)].get(); }
  Event record(int d) {
    if (events_.size() == events_.capacity()) events_.reserve(std::max<size_t>(16, 2 * events_.capacity()));
    Event e = b_.recordEvent(d, kCopyQueue);
    events_.push_back(e);
    return e;
  }

  Backend& b_;
  std::vector<int> devices_;
  std::vector<DeviceBuffer> src_, dst_;
  std::vector<Event> events_;
};

P2pRow measure(Backend& b, Links& links, int a, int c, bool both, uint64_t bytes, int iters, int warmup, bool& hostClock) {
  links.poison(c, bytes);
  if (both) links.poison(a, bytes);
  auto enqueue = [&] { return both ? links.both(a, c, bytes) : links.uni(a, c, bytes); };
  for (int i = 0; i < warmup; ++i) enqueue();
  links.syncAll();
  links.release();
  const TimeStats t = timeStats(timeRuns(
      b, iters, enqueue, [&] { links.syncAll(); }, [&] { links.release(); }, hostClock));
  P2pRow r;
  r.src = a;
  r.dst = c;
  r.both = both;
  r.bytes = bytes;
  r.timeUs = t.medianUs;
  r.minUs = t.minUs;
  r.p90Us = t.p90Us;
  r.iters = t.n;
  r.gbps = t.medianUs > 0 ? static_cast<double>(bytes) / (t.medianUs * 1e3) : 0;
  r.wrong = links.check(a, c, bytes) + (both ? links.check(c, a, bytes) : 0);
  r.hostClock = hostClock;
  r.route = b.copyRoute(c, a);
  if (both) {
    const std::string back = b.copyRoute(a, c);
    if (back != r.route) r.route += " / " + back;
  }
  return r;
}

}  // namespace

LinkCeiling measureLinkCeiling(Backend& b, int a, int c, uint64_t bytes, int iters, int warmup) {
  Links links(b, {a, c}, bytes);
  bool hostClock = false;
  P2pRow r = measure(b, links, a, c, true, bytes, iters, warmup, hostClock);
  return LinkCeiling{bytes, r.gbps, r.timeUs, r.wrong};
}

P2pOutcome runP2pProbe(const std::function<BackendPtr()>& make, const P2pParams& p, const P2pSink& sink) {
  if (p.iters < 1 || p.warmup < 0) throw std::invalid_argument("p2p: iters must be >= 1 and warmup >= 0");
  const std::vector<uint64_t> sizes = sweepSizes(p.minBytes, p.maxBytes, p.factor);
  BackendPtr backend = make();
  Backend& b = *backend;
  P2pOutcome out;
  const int available = b.deviceCount();
  out.devices = p.devices ? p.devices : available;
  if (out.devices < 2 || out.devices > available)
    throw Unsupported("p2p between " + std::to_string(out.devices) + " devices: the " + b.name() + " backend has " + std::to_string(available));
  std::vector<int> all(static_cast<size_t>(out.devices));
  for (int d = 0; d < out.devices; ++d) all[static_cast<size_t>(d)] = d;
  Links links(b, all, sizes.back());
  auto emit = [&](const P2pRow& r) {
    ++out.rows;
    sink(r);
  };
  for (int a = 0; a < out.devices; ++a)
    for (int c = 0; c < out.devices; ++c)
      if (a != c)
        for (uint64_t bytes : sizes) emit(measure(b, links, a, c, false, bytes, p.iters, p.warmup, out.hostClock));
  if (p.bidirectional)
    for (int a = 0; a < out.devices; ++a)
      for (int c = a + 1; c < out.devices; ++c)
        for (uint64_t bytes : sizes) emit(measure(b, links, a, c, true, bytes, p.iters, p.warmup, out.hostClock));
  return out;
}

}  // namespace xpd
