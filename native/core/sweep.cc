#include "core/sweep.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/meminfo.h"

namespace xpd {

std::vector<uint64_t> sweepSizes(uint64_t minBytes, uint64_t maxBytes, double factor) {
  if (minBytes == 0 || maxBytes < minBytes) throw std::invalid_argument("sweep: need 0 < minBytes <= maxBytes");
  if (!(factor > 1)) throw std::invalid_argument("sweep: factor must be > 1");
  std::vector<uint64_t> out;
  for (uint64_t b = minBytes; b <= maxBytes;) {
    out.push_back(b);
    const double next = std::floor(static_cast<double>(b) * factor);
    if (next >= static_cast<double>(maxBytes) + 1) break;
    b = std::max(b + 1, static_cast<uint64_t>(next));
  }
  return out;
}

TimeStats timeStats(std::vector<double> us) {
  TimeStats t;
  t.n = static_cast<int>(us.size());
  if (us.empty()) return t;
  std::sort(us.begin(), us.end());
  const size_t n = us.size();
  t.minUs = us.front();
  t.medianUs = n % 2 ? us[n / 2] : (us[n / 2 - 1] + us[n / 2]) / 2;
  // Linear interpolation between order statistics, as src/analysis/stats.ts quantile().
  const double pos = 0.9 * static_cast<double>(n - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(n - 1, lo + 1);
  t.p90Us = us[lo] + (us[hi] - us[lo]) * (pos - static_cast<double>(lo));
  return t;
}

std::vector<double> timeRuns(Backend& b, int iters, const std::function<EventPair()>& enqueue, const std::function<void()>& syncAll,
                             const std::function<void()>& release, bool& hostClock) {
  std::vector<double> us;
  us.reserve(static_cast<size_t>(std::max(0, iters)));
  if (!hostClock) {
    std::vector<EventPair> evs;
    evs.reserve(us.capacity());
    for (int i = 0; i < iters; ++i) evs.push_back(enqueue());
    syncAll();
    try {
      for (const EventPair& e : evs) us.push_back(b.elapsedMs(e.start, e.end) * 1000.0);
      release();
      return us;
    } catch (const Unsupported&) {
      hostClock = true;
      us.clear();
    }
    release();
  }
  for (int i = 0; i < iters; ++i) {
    const double t0 = monotonicMs();
    enqueue();
    syncAll();
    us.push_back((monotonicMs() - t0) * 1000.0);
    release();
  }
  return us;
}

}  // namespace xpd
