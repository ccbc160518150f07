#pragma once
// Host-side loops over millions of elements (making inputs, judging outputs, checking
// copied bytes) dominate a GPU probe's wall time when run on one core: a 64-core GPU
// host checked a 4-GPU all-reduce at 64 M elements for minutes. These split such loops
// over the machine's cores; every element's work is independent.
#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace xpd {

// Workers for a loop of n elements: at most one per core (capped at 32) and at least
// `grain` elements each, so that small loops stay on the calling thread.
inline int workersFor(size_t n, size_t grain = size_t(1) << 16) {
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const size_t byGrain = std::max<size_t>(1, n / std::max<size_t>(1, grain));
  return static_cast<int>(std::min<size_t>({hw, 32, byGrain}));
}

// Calls fn(lo, hi, worker) on `workers` contiguous ranges covering [0, n) and waits for
// all; the first exception thrown by any range is rethrown here after every thread ended.
template <typename Fn>
void parallelRanges(size_t n, int workers, Fn&& fn) {
  if (workers <= 1 || n == 0) {
    fn(size_t(0), n, 0);
    return;
  }
  std::vector<std::exception_ptr> errors(static_cast<size_t>(workers));
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(workers) - 1);
  auto run = [&](int w) {
    const size_t lo = n * static_cast<size_t>(w) / static_cast<size_t>(workers);
    const size_t hi = n * static_cast<size_t>(w + 1) / static_cast<size_t>(workers);
    try {
      fn(lo, hi, w);
    } catch (...) {
      errors[static_cast<size_t>(w)] = std::current_exception();
    }
  };
  try {
    for (int w = 1; w < workers; ++w) threads.emplace_back(run, w);
  } catch (...) {
    // Could not start every thread: do the missing ranges here.
    for (int w = static_cast<int>(threads.size()) + 1; w < workers; ++w) run(w);
  }
  run(0);
  for (std::thread& t : threads) t.join();
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace xpd
