#include "core/allreduce_probe.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "core/bf16.h"
#include "core/parallel.h"
#include "core/sweep.h"

namespace xpd {
namespace {

constexpr size_t kGuard = 64;  // elements past the end of every output that must stay poisoned
// A NaN as FP32 and, in each half, as BF16: an element the call never wrote reads NaN.
constexpr uint32_t kPoison = 0x7FA57FA5u;
constexpr uint16_t kPoison16 = 0x7FA5u;
constexpr double kU = 0x1p-24;   // FP32 unit roundoff
constexpr double kU16 = 0x1p-8;  // BF16 unit roundoff (RNE)

size_t round4(size_t n) { return (n + 3) / 4 * 4; }

// Identifies one checked call's inputs; the same for every algorithm at a size, so the
// algorithms are compared on the same data.
uint64_t callId(uint64_t count, int iteration, int sub) {
  return mix64(count * 0x100000001ull) ^ (static_cast<uint64_t>(iteration) << 1 | static_cast<uint64_t>(sub));
}

struct Check {
  uint64_t wrong = 0, overrun = 0, nonFinite = 0, disagree = 0;
  double maxError = 0, maxDisagree = 0;
  void merge(const Check& o) {
    wrong += o.wrong;
    overrun += o.overrun;
    nonFinite += o.nonFinite;
    disagree += o.disagree;
    maxError = std::max(maxError, o.maxError);
    maxDisagree = std::max(maxDisagree, o.maxDisagree);
  }
};

class Probe {
 public:
  Probe(Backend& b, const AllReduceProbeParams& p, int devices, size_t capCount, bool needF32, bool needBf16)
      : b_(b), p_(p), n_(devices), cap_(capCount), ar_(b, devices, p.cfg), host_(static_cast<size_t>(devices)), outs_(static_cast<size_t>(devices)) {
    for (int d = 0; d < n_; ++d) {
      if (needF32) {
        in32_.emplace_back(b, d, (cap_ + kGuard) * 4);
        out32_.emplace_back(b, d, (cap_ + kGuard) * 4);
      }
      if (needBf16) {
        in16_.emplace_back(b, d, round4((cap_ + kGuard) * 2));
        out16_.emplace_back(b, d, round4((cap_ + kGuard) * 2));
      }
    }
  }

  AllReduce& ar() { return ar_; }

  std::vector<void*> inputs(Algo a) const { return ptrs(a == Algo::NcclBf16 ? in16_ : in32_); }
  std::vector<void*> outputs(Algo a) const { return ptrs(a == Algo::NcclBf16 ? out16_ : out32_); }

  // Uploads inputs for `call` into in (or out, in place) as FP32 or BF16 (RNE).
  void load(Algo a, size_t count, uint64_t call, bool inPlace) {
    // Every algorithm at a size is checked on the same calls' inputs: make them once.
    if (made_ != std::make_pair(count, call)) {
      made_ = {0, 0};  // host_ is in flux until makeInputs returns
      makeInputs(p_.input, p_.seed, call, count, host_);
      made_ = {count, call};
    }
    const std::vector<void*> dst = inPlace ? outputs(a) : inputs(a);
    for (int d = 0; d < n_; ++d) {
      const std::vector<float>& h = host_[static_cast<size_t>(d)];
      if (a == Algo::NcclBf16) {
        stage16_.resize(count);
        parallelRanges(count, workersFor(count), [&](size_t lo, size_t hi, int) {
          for (size_t i = lo; i < hi; ++i) stage16_[i] = f32ToBf16Rne(h[i]);
        });
        b_.upload(d, dst[static_cast<size_t>(d)], stage16_.data(), count * 2);
      } else {
        b_.upload(d, dst[static_cast<size_t>(d)], h.data(), count * 4);
      }
    }
    loaded_ = {count, a == Algo::NcclBf16};
  }

  bool loaded(Algo a, size_t count) const { return loaded_.first == count && loaded_.second == (a == Algo::NcclBf16); }

  // One checked call: inputs for `call`, outputs poisoned (in place: only past the end),
  // run, read back every device, judge every element.
  Check checked(Algo a, Algo ran, size_t count, uint64_t call, bool inPlace, bool poisonScratch) {
    const size_t eb = elemBytes(a);
    load(a, count, call, inPlace);
    const std::vector<void*> in = inplaceOr(a, inPlace), out = outputs(a);
    // In place a BF16 tensor of odd length ends mid-word: poison from the next word.
    const size_t guardFrom = inPlace ? round4(count * eb) / eb : count;
    for (int d = 0; d < n_; ++d) {
      auto* o = static_cast<unsigned char*>(out[static_cast<size_t>(d)]);
      const size_t from = inPlace ? guardFrom * eb : 0;
      b_.fill32(d, kComputeQueue, o + from, kPoison, round4((count + kGuard) * eb) - from);
    }
    if (poisonScratch) {
      ar_.reserve(ran, count);
      ar_.poisonScratch(kPoison);
    }
    ar_.synchronize();
    ar_.enqueue(a, in, out, count);
    ar_.synchronize();
    ar_.release();
    return judge(a, ran, count, guardFrom);
  }

 private:
  static std::vector<void*> ptrs(const std::vector<DeviceBuffer>& v) {
    std::vector<void*> out;
    for (const DeviceBuffer& b : v) out.push_back(b.get());
    return out;
  }
  std::vector<void*> inplaceOr(Algo a, bool inPlace) const { return inPlace ? outputs(a) : inputs(a); }

  Check judge(Algo a, Algo ran, size_t count, size_t guardFrom) {
    Check c;
    const std::vector<void*> out = outputs(a);
    const size_t total = count + kGuard;
    for (int d = 0; d < n_; ++d) {
      std::vector<float>& o = outs_[static_cast<size_t>(d)];
      o.resize(total);
      if (a == Algo::NcclBf16) {
        stage16_.resize(total);
        b_.download(d, stage16_.data(), out[static_cast<size_t>(d)], total * 2);
        for (size_t i = guardFrom; i < total; ++i) c.overrun += stage16_[i] != kPoison16;
        parallelRanges(count, workersFor(count), [&](size_t lo, size_t hi, int) {
          for (size_t i = lo; i < hi; ++i) o[i] = bf16ToF32(stage16_[i]);
        });
      } else {
        b_.download(d, o.data(), out[static_cast<size_t>(d)], total * 4);
        for (size_t i = guardFrom; i < total; ++i) c.overrun += f32Bits(o[i]) != kPoison;
      }
    }
    const bool exact = p_.input == Input::Exact;
    const int workers = workersFor(count);
    std::vector<Check> parts(static_cast<size_t>(workers));
    parallelRanges(count, workers, [&](size_t lo, size_t hi, int w) { judgeRange(ran, lo, hi, exact, parts[static_cast<size_t>(w)]); });
    for (const Check& part : parts) c.merge(part);
    c.wrong += c.overrun;
    return c;
  }

  // Judges elements [lo, hi) of the outputs read back into outs_ against host_.
  void judgeRange(Algo ran, size_t lo, size_t hi, bool exact, Check& c) const {
    std::vector<float> partials(static_cast<size_t>(n_));
    std::vector<double> bound(static_cast<size_t>(n_));
    for (size_t i = lo; i < hi; ++i) {
      double s = 0;
      for (int d = 0; d < n_; ++d) {
        partials[static_cast<size_t>(d)] = host_[static_cast<size_t>(d)][i];
        s += static_cast<double>(partials[static_cast<size_t>(d)]);
      }
      // Exact inputs make every partial sum exact in FP32 (and BF16): s is exact too.
      const uint32_t refBits = f32Bits(static_cast<float>(s));
      bool differ = false;
      double worstDiff = 0;
      const float o0 = outs_[0][i];
      for (int d = 0; d < n_; ++d) {
        const float o = outs_[static_cast<size_t>(d)][i];
        const double bd = errorBound(ran, d, partials.data(), n_);
        bound[static_cast<size_t>(d)] = bd;
        const double err = std::fabs(static_cast<double>(o) - s);
        if (!std::isfinite(o)) ++c.nonFinite;
        // Written so that a NaN output (err is NaN) counts as wrong.
        const bool bad = exact ? f32Bits(o) != refBits : !(err <= bd);
        c.wrong += bad;
        if (std::isfinite(err)) c.maxError = std::max(c.maxError, err / bd);
        if (d > 0 && f32Bits(o) != f32Bits(o0)) {
          differ = true;
          const double diff = std::fabs(static_cast<double>(o) - static_cast<double>(o0)) / std::max(bd, bound[0]);
          if (std::isfinite(diff)) worstDiff = std::max(worstDiff, diff);
        }
      }
      c.disagree += differ;
      c.maxDisagree = std::max(c.maxDisagree, worstDiff);
    }
  }

  Backend& b_;
  const AllReduceProbeParams& p_;
  int n_;
  size_t cap_;
  std::vector<DeviceBuffer> in32_, out32_, in16_, out16_;
  AllReduce ar_;  // after the buffers: destroyed first, it drains the queues that use them
  std::vector<std::vector<float>> host_, outs_;
  std::vector<uint16_t> stage16_;
  std::pair<size_t, bool> loaded_{0, false};
  std::pair<size_t, uint64_t> made_{0, 0};  // (count, call) host_ holds; count 0: none
};

void makeInputRange(Input mode, uint64_t base, size_t lo, size_t hi, std::vector<std::vector<float>>& out) {
  const int n = static_cast<int>(out.size());
  std::vector<int> m(static_cast<size_t>(n));
  for (size_t i = lo; i < hi; ++i) {
    const uint64_t h = mix64(base ^ i);
    if (mode == Input::Exact) {
      // m * 2^e with |m| <= 255 / n: every partial sum, in any order, is an integer of
      // at most 8 bits times 2^e, exact in BF16 and FP32. The exponent varies per
      // element, the integers per device (and differ between devices), and every
      // device's peers sum to non-zero, so an element left holding its own partial
      // (or the poison) is wrong.
      const int k = std::max(1, 255 / n);
      const int e = static_cast<int>(h % 41) - 20;
      for (uint64_t attempt = 0;; ++attempt) {
        long total = 0;
        for (int d = 0; d < n; ++d) {
          const uint64_t hd = mix64(h + static_cast<uint64_t>(d + 1) * 0x9e37ull + attempt * 0x1000193ull);
          const int v = 1 + static_cast<int>(hd % static_cast<uint64_t>(k));
          m[static_cast<size_t>(d)] = (hd >> 32) & 1 ? -v : v;
          total += m[static_cast<size_t>(d)];
        }
        bool ok = attempt >= 64;  // give up on the extra conditions, never on exactness
        if (!ok) {
          ok = n != 2 || m[0] != m[1] || k == 1;
          for (int d = 0; d < n && ok; ++d) ok = total - m[static_cast<size_t>(d)] != 0;
        }
        if (ok) break;
      }
      for (int d = 0; d < n; ++d) out[static_cast<size_t>(d)][i] = std::ldexp(static_cast<float>(m[static_cast<size_t>(d)]), e);
    } else {
      // Random FP32 partials with exponents over [-16, 15], a few exact zeros and a few
      // near-cancellations (p1 ~ -p0, where a bound relative to the sum would fail).
      const unsigned cat = static_cast<unsigned>(h & 63);
      for (int d = 0; d < n; ++d) {
        const uint64_t hd = mix64(h ^ (static_cast<uint64_t>(d + 1) * 0xd1b54a32d192ed03ull));
        const float mant = static_cast<float>((1u << 23) | static_cast<uint32_t>(hd >> 41));
        const int e = static_cast<int>((hd >> 8) % 32) - 16 - 23;
        float v = std::ldexp(mant, e);
        if ((hd >> 1) & 1) v = -v;
        if (cat == 0 && d == static_cast<int>((h >> 8) % static_cast<uint64_t>(n))) v = 0;
        if (cat >= 1 && cat <= 4 && d == 1) {
          const double delta = (static_cast<double>((hd >> 16) % 2048) - 1024) * 0x1p-20;
          v = static_cast<float>(-static_cast<double>(out[0][i]) * (1 + delta));
        }
        out[static_cast<size_t>(d)][i] = v;
      }
    }
  }
}

// The routes the backend's peer copies take between devices 0 .. n-1, each once, in
// order of first appearance: "staged-host", or "peer-access+staged-host" where pairs differ.
std::string copyRoutes(Backend& b, int n) {
  std::string out;
  for (int dst = 0; dst < n; ++dst) {
    for (int src = 0; src < n; ++src) {
      if (src == dst) continue;
      const std::string r = b.copyRoute(dst, src);
      if (r.empty()) continue;
      const bool seen = ("+" + out + "+").find("+" + r + "+") != std::string::npos;
      if (!seen) out += (out.empty() ? "" : "+") + r;
    }
  }
  return out;
}

}  // namespace

void makeInputs(Input mode, uint64_t seed, uint64_t call, size_t count, std::vector<std::vector<float>>& out) {
  for (auto& v : out) v.resize(count);
  const uint64_t base = mix64(seed ^ mix64(call + 0x5eed));
  parallelRanges(count, workersFor(count), [&](size_t lo, size_t hi, int) { makeInputRange(mode, base, lo, hi, out); });
}

double errorBound(Algo ran, int d, const float* partials, int devices) {
  double s = 0, a = 0;
  for (int i = 0; i < devices; ++i) {
    s += static_cast<double>(partials[i]);
    a += std::fabs(static_cast<double>(partials[i]));
  }
  // Slack for GPUs that flush subnormals to zero; far below any normal error.
  const double tiny = devices * 0x1p-126;
  const double k = devices - 1;
  const double gamma = k * kU / (1 - k * kU);  // recursive summation of N terms
  switch (ran) {
    case Algo::DirectF32: return kU * std::fabs(s) + tiny;  // one rounding
    case Algo::Ring:
    case Algo::NcclF32: return devices == 2 ? kU * std::fabs(s) + tiny : gamma * a + tiny;
    case Algo::Bf16Trunc: {
      // The peer's value truncated (less than one BF16 ulp: 2^-7 relative), then one
      // FP32 rounding of a sum that can exceed |s| by that much.
      const double peer = std::fabs(static_cast<double>(partials[1 - d]));
      return 0x1p-7 * peer * (1 + kU) + kU * std::fabs(s) + tiny;
    }
    case Algo::Bf16Rne: return kU16 * a * (1 + kU) + kU * std::fabs(s) + tiny;
    case Algo::NcclBf16:
      // BF16 inputs (RNE) and BF16 partial sums: about one BF16 rounding of everything
      // per device, with room for the growth of the partial sums.
      return devices * kU16 * a * 1.05 + tiny;
    case Algo::Auto: break;
  }
  throw std::logic_error("errorBound: unresolved algorithm");
}

std::vector<uint64_t> allReduceCounts(const AllReduceProbeParams& p) {
  std::vector<uint64_t> c;
  uint64_t lo = p.minBytes ? p.minBytes : p.maxBytes, hi = p.maxBytes ? p.maxBytes : p.minBytes;
  if (!lo && p.counts.empty()) {
    lo = 4096;
    hi = 64ull << 20;
  }
  if (lo)
    for (uint64_t bytes : sweepSizes(lo, hi, p.factor)) c.push_back(std::max<uint64_t>(1, bytes / 4));
  for (uint64_t n : p.counts) {
    if (n == 0) throw std::invalid_argument("allreduce: counts must be >= 1");
    c.push_back(n);
  }
  const auto [mn, mx] = std::minmax_element(c.begin(), c.end());
  const uint64_t cmin = *mn, cmax = *mx;
  const uint64_t t = p.cfg.threshold;
  for (uint64_t x : {t - 1, t, t + 1})
    if (x >= 1 && x >= cmin && x <= cmax) c.push_back(x);
  std::sort(c.begin(), c.end());
  c.erase(std::unique(c.begin(), c.end()), c.end());
  return c;
}

namespace {

std::vector<Algo> requestedAlgorithms(const AllReduceProbeParams& p) {
  if (p.iters < 1 || p.warmup < 0 || p.check < 0) throw std::invalid_argument("allreduce: iters must be >= 1, warmup and check >= 0");
  if (p.algorithms.empty()) throw std::invalid_argument("allreduce: no algorithm given");
  if (p.cfg.threshold < 1) throw std::invalid_argument("allreduce: threshold must be >= 1");
  std::vector<Algo> requested;
  for (const std::string& s : p.algorithms) requested.push_back(parseAlgo(s));
  return requested;
}

// The requested algorithms that run here: a library (NCCL) that cannot is noted in
// out.unsupported and left out; none left is Unsupported.
std::vector<Algo> usableAlgorithms(Probe& probe, const std::vector<Algo>& requested, const AllReduceProbeParams& p, AllReduceProbeOutcome& out) {
  AllReduce& ar = probe.ar();
  std::vector<Algo> algos;
  for (size_t i = 0; i < requested.size(); ++i) {
    const Algo a = requested[i];
    if (isLibrary(a)) {
      try {
        ar.enqueue(a, probe.inputs(a), probe.outputs(a), 1);
        ar.synchronize();
        ar.release();
      } catch (const Unsupported& e) {
        ar.synchronize();
        ar.release();
        out.unsupported.emplace_back(p.algorithms[i], e.what());
        continue;
      }
    }
    algos.push_back(a);
    out.algorithms.push_back(algoName(a));
  }
  if (algos.empty()) {
    std::string why;
    for (const auto& [name, reason] : out.unsupported) why += (why.empty() ? "" : "; ") + name + ": " + reason;
    throw Unsupported(why);
  }
  return algos;
}

// A row's description before it is measured: what ran, how, and what it sends.
AllReduceRow planRow(Algo a, const AllReducePlan& plan, uint64_t count, uint64_t threshold, const std::string& routes) {
  AllReduceRow row;
  row.algorithm = algoName(a);
  row.ran = algoName(plan.ran);
  row.fellBack = plan.fellBack;
  row.thresholdRow = count + 1 == threshold || count == threshold || count == threshold + 1;
  row.count = count;
  row.bytes = count * elemBytes(a);
  row.chunks = plan.chunks;
  if (!isLibrary(plan.ran)) row.exchange = exchangeName(plan.exchange);
  if (!isLibrary(plan.ran) && plan.exchange != Exchange::PeerKernel) row.route = routes;
  row.wireBytes = plan.wireBytes;
  row.mayDisagree = plan.mayDisagree;
  return row;
}

// What the checked iteration `it` of a row checks: each catches another kind of bug.
enum class CheckKind {
  PoisonedScratch,  // 0: out of place, the algorithm's scratch poisoned first (reads of unwritten scratch)
  InPlace,          // 1: output buffer = input buffer (aliasing)
  StaleScratch,     // 2: a call at another size first (scratch left over from it)
  Repeat,           // 3..: out of place again, other inputs
};

CheckKind checkKindOf(int it) {
  switch (it) {
    case 0: return CheckKind::PoisonedScratch;
    case 1: return CheckKind::InPlace;
    case 2: return CheckKind::StaleScratch;
    default: return CheckKind::Repeat;
  }
}

struct RowContext {
  Algo algo;
  const AllReducePlan& plan;
  uint64_t count;
  int devices;
  const AllReduceProbeParams& p;
  // The other size of the stale-scratch check.
  uint64_t staleCount;
};

// p.check checked calls of one row (CheckKind says what each one checks); their counts go into the row.
void checkRow(Probe& probe, const RowContext& r, AllReduceRow& row) {
  const size_t c = static_cast<size_t>(r.count);
  Check all;
  for (int it = 0; it < r.p.check; ++it) {
    switch (checkKindOf(it)) {
      case CheckKind::InPlace: {
        Check inPlace = probe.checked(r.algo, r.plan.ran, c, callId(r.count, it, 0), true, false);
        row.wrongInPlace = inPlace.wrong;
        all.merge(inPlace);
        row.checked += 1;
        break;
      }
      case CheckKind::StaleScratch: {
        const size_t m = static_cast<size_t>(r.staleCount);
        const AllReducePlan planM = planAllReduce(r.algo, r.devices, m, r.p.cfg, probe.ar().peerKernels());
        Check stale = probe.checked(r.algo, planM.ran, m, callId(r.count, it, 0), false, false);
        // `auto` may take another path at the other size; its disagreement is by
        // design there and says nothing about this row's path.
        if (planM.mayDisagree && !r.plan.mayDisagree) {
          stale.disagree = 0;
          stale.maxDisagree = 0;
        }
        stale.merge(probe.checked(r.algo, r.plan.ran, c, callId(r.count, it, 1), false, false));
        row.wrongStale = stale.wrong;
        all.merge(stale);
        row.checked += 2;
        break;
      }
      case CheckKind::PoisonedScratch:
      case CheckKind::Repeat:
        all.merge(probe.checked(r.algo, r.plan.ran, c, callId(r.count, it, 0), false, it == 0));
        row.checked += 1;
        break;
    }
  }
  row.wrong = all.wrong;
  row.overrun = all.overrun;
  row.nonFinite = all.nonFinite;
  row.maxError = all.maxError;
  row.disagree = all.disagree;
  row.maxDisagree = all.maxDisagree;
}

// Timing, out of place, on the inputs of the last checked call at this size.
void timeRow(Backend& b, Probe& probe, const RowContext& r, bool& hostClock, AllReduceRow& row) {
  const size_t c = static_cast<size_t>(r.count);
  AllReduce& ar = probe.ar();
  if (!probe.loaded(r.algo, c)) probe.load(r.algo, c, callId(r.count, 0, 0), false);
  const std::vector<void*> in = probe.inputs(r.algo), o = probe.outputs(r.algo);
  for (int w = 0; w < r.p.warmup; ++w) ar.enqueue(r.algo, in, o, c);
  ar.synchronize();
  ar.release();
  const TimeStats ts = timeStats(timeRuns(
      b, r.p.iters,
      [&] {
        CallEvents e = ar.enqueue(r.algo, in, o, c);
        return EventPair{e.start, e.end};
      },
      [&] { ar.synchronize(); }, [&] { ar.release(); }, hostClock));
  row.timeUs = ts.medianUs;
  row.minUs = ts.minUs;
  row.p90Us = ts.p90Us;
  row.iters = ts.n;
  row.hostClock = hostClock;
}

}  // namespace

// Phases: the parameters checked; the backend opened; the link ceiling measured; the
// algorithms that run here found; then per size and algorithm a row planned, checked
// (checkRow) and timed (timeRow), and streamed out.
AllReduceProbeOutcome runAllReduceProbe(const std::function<BackendPtr()>& make, const AllReduceProbeParams& p, const AllReduceSink& sink) {
  const std::vector<Algo> requested = requestedAlgorithms(p);
  const std::vector<uint64_t> counts = allReduceCounts(p);
  const uint64_t maxCount = counts.back();
  if (maxCount > (uint64_t{1} << 40)) throw std::invalid_argument("allreduce: count too large");

  BackendPtr backend = make();
  Backend& b = *backend;
  const int available = b.deviceCount();
  const int n = p.devices ? p.devices : available;
  if (n < 2 || n > available)
    throw Unsupported("allreduce over " + std::to_string(n) + " devices: the " + b.name() + " backend has " + std::to_string(available));

  AllReduceProbeOutcome out;
  out.devices = n;
  out.seed = p.seed;
  out.input = p.input == Input::Exact ? "exact" : "random";
  out.counts = counts;

  // The ceiling the rows are reported against: both directions at once between devices
  // 0 and 1, at the sweep's largest size (at least 1 MiB, so that it is a bandwidth
  // and not a latency; at most 256 MiB).
  if (p.measureLink) {
    const uint64_t bytes = std::clamp<uint64_t>(maxCount * 4, 1u << 20, 256u << 20);
    out.link = measureLinkCeiling(b, 0, 1, bytes, 5, 1);
    if (out.link.wrong) throw std::runtime_error("link ceiling: " + std::to_string(out.link.wrong) + " bytes arrived wrong in the peer copies");
  }

  // Room for the stale-scratch call at 2n + 1 elements, up to the largest count.
  const uint64_t cap = std::max<uint64_t>(maxCount, 3);
  auto staleCount = [&](uint64_t c) { return 2 * c + 1 <= cap ? 2 * c + 1 : c / 2 + 1; };
  bool needF32 = false, needBf16 = false;
  for (Algo a : requested) (a == Algo::NcclBf16 ? needBf16 : needF32) = true;
  Probe probe(b, p, n, static_cast<size_t>(cap), needF32, needBf16);
  const std::vector<Algo> algos = usableAlgorithms(probe, requested, p, out);

  const std::string routes = copyRoutes(b, n);
  for (uint64_t count : counts) {
    for (Algo a : algos) {
      const AllReducePlan plan = planAllReduce(a, n, static_cast<size_t>(count), p.cfg, probe.ar().peerKernels());
      const RowContext r{a, plan, count, n, p, staleCount(count)};
      AllReduceRow row = planRow(a, plan, count, p.cfg.threshold, routes);
      checkRow(probe, r, row);
      timeRow(b, probe, r, out.hostClock, row);
      ++out.rows;
      sink(row);
    }
  }
  return out;
}

}  // namespace xpd
