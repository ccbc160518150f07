#include "core/allreduce.h"

#include <algorithm>
#include <stdexcept>

namespace xpd {

namespace {

constexpr int kQueues[] = {kComputeQueue, kCopyQueue};

struct Seg {
  size_t lo, len;
};

// Balanced split of [0, count) into `parts` (some may be empty when count < parts).
Seg segment(size_t count, int parts, int g) {
  const size_t lo = count * static_cast<size_t>(g) / static_cast<size_t>(parts);
  const size_t hi = count * static_cast<size_t>(g + 1) / static_cast<size_t>(parts);
  return {lo, hi - lo};
}

int mod(int a, int n) { return ((a % n) + n) % n; }

size_t chunkElems(const AllReduceConfig& cfg, size_t count) {
  const size_t byCap = cfg.maxChunks ? (count + cfg.maxChunks - 1) / cfg.maxChunks : count;
  return std::max<size_t>({1, cfg.chunkBytes / 4, byCap});
}

Seg chunk(size_t count, size_t chunks, size_t elems, size_t k) {
  if (chunks == 1) return {0, count};
  const size_t lo = k * elems;
  return {lo, std::min(count, lo + elems) - lo};
}

// The largest number of bytes any device sends in the ring (RS + AG): device r's
// successor pulls every segment but r+1 in the reduce-scatter and every segment but
// r+2 in the all-gather.
uint64_t ringWireBytes(int n, size_t count) {
  uint64_t worst = 0;
  for (int r = 0; r < n; ++r) {
    uint64_t elems = 2 * static_cast<uint64_t>(count) - segment(count, n, mod(r + 1, n)).len - segment(count, n, mod(r + 2, n)).len;
    worst = std::max(worst, elems * 4);
  }
  return worst;
}

}  // namespace

Algo parseAlgo(const std::string& s) {
  if (s == "direct-f32") return Algo::DirectF32;
  if (s == "bf16-trunc") return Algo::Bf16Trunc;
  if (s == "bf16-rne") return Algo::Bf16Rne;
  if (s == "auto") return Algo::Auto;
  if (s == "ring") return Algo::Ring;
  if (s == "nccl-f32") return Algo::NcclF32;
  if (s == "nccl-bf16") return Algo::NcclBf16;
  throw std::invalid_argument("unknown all-reduce algorithm '" + s + "' (known: direct-f32, bf16-trunc, bf16-rne, auto, ring, nccl-f32, nccl-bf16)");
}

const char* algoName(Algo a) {
  switch (a) {
    case Algo::DirectF32: return "direct-f32";
    case Algo::Bf16Trunc: return "bf16-trunc";
    case Algo::Bf16Rne: return "bf16-rne";
    case Algo::Auto: return "auto";
    case Algo::Ring: return "ring";
    case Algo::NcclF32: return "nccl-f32";
    case Algo::NcclBf16: return "nccl-bf16";
  }
  return "?";
}

bool isLibrary(Algo a) { return a == Algo::NcclF32 || a == Algo::NcclBf16; }

Exchange parseExchange(const std::string& s) {
  if (s == "auto") return Exchange::Auto;
  if (s == "copy-engine") return Exchange::CopyEngine;
  if (s == "peer-kernel") return Exchange::PeerKernel;
  throw std::invalid_argument("unknown exchange '" + s + "' (known: auto, copy-engine, peer-kernel)");
}

const char* exchangeName(Exchange e) {
  switch (e) {
    case Exchange::Auto: return "auto";
    case Exchange::CopyEngine: return "copy-engine";
    case Exchange::PeerKernel: return "peer-kernel";
  }
  return "?";
}

AllReducePlan planAllReduce(Algo a, int devices, size_t count, const AllReduceConfig& cfg, bool peerKernels) {
  if (devices < 2) throw std::invalid_argument("all-reduce needs at least 2 devices, got " + std::to_string(devices));
  if (cfg.autoVariant != Algo::Bf16Trunc && cfg.autoVariant != Algo::Bf16Rne) throw std::invalid_argument("autoVariant must be bf16-trunc or bf16-rne");
  AllReducePlan p{a, a, false, 1, false, 0, Exchange::CopyEngine};
  if (a == Algo::Auto) p.ran = count < cfg.threshold ? Algo::DirectF32 : cfg.autoVariant;
  // The two-device paths exist for N = 2 only, as in the shipped code; anything else
  // takes the generic exact path.
  if (devices > 2 && (p.ran == Algo::DirectF32 || p.ran == Algo::Bf16Trunc || p.ran == Algo::Bf16Rne)) {
    p.ran = Algo::Ring;
    p.fellBack = true;
  }
  const bool twoDevice = p.ran == Algo::DirectF32 || p.ran == Algo::Bf16Trunc || p.ran == Algo::Bf16Rne;
  if (twoDevice && cfg.exchange == Exchange::PeerKernel && !peerKernels)
    throw Unsupported("exchange peer-kernel: this backend's kernels cannot reach the peer's memory (use copy-engine or auto)");
  const bool kernelSize = static_cast<uint64_t>(count) * 4 < cfg.autoKernelBelowBytes;
  if (twoDevice && peerKernels && (cfg.exchange == Exchange::PeerKernel || (cfg.exchange == Exchange::Auto && kernelSize))) p.exchange = Exchange::PeerKernel;
  // Only the copy engines pipeline: a peer kernel is one pass with nothing to overlap.
  const bool pipelined = twoDevice && p.exchange == Exchange::CopyEngine;
  if (pipelined && cfg.chunkBytes > 0 && static_cast<uint64_t>(count) * 4 >= 2 * static_cast<uint64_t>(cfg.chunkBytes)) {
    const size_t elems = chunkElems(cfg, count);
    p.chunks = (count + elems - 1) / elems;
  }
  p.mayDisagree = p.ran == Algo::Bf16Trunc;
  switch (p.ran) {
    case Algo::DirectF32: p.wireBytes = static_cast<uint64_t>(count) * 4; break;
    case Algo::Bf16Trunc:
    case Algo::Bf16Rne: p.wireBytes = static_cast<uint64_t>(count) * 2; break;
    case Algo::Ring: p.wireBytes = ringWireBytes(devices, count); break;
    default: p.wireBytes = static_cast<uint64_t>(count) * elemBytes(p.ran) * 2 * static_cast<uint64_t>(devices - 1) / static_cast<uint64_t>(devices); break;
  }
  return p;
}

size_t scratchBytesFor(Algo ran, int devices, size_t count) {
  switch (ran) {
    case Algo::DirectF32: return count * 4;  // the peer's FP32 partial
    case Algo::Bf16Trunc:
    case Algo::Bf16Rne: return count * 4;  // BF16 outbox, then BF16 inbox
    case Algo::Ring: {
      // Double-buffered receive slots (one suffices for a single step), at least the
      // 4 * count bytes the shipped code keeps.
      const size_t slots = devices > 2 ? 2 : 1;
      const size_t seg = (count + static_cast<size_t>(devices) - 1) / static_cast<size_t>(devices);
      return std::max(count * 4, slots * seg * 4);
    }
    default: return 0;
  }
}

AllReduce::AllReduce(Backend& b, int devices, AllReduceConfig cfg) : b_(b), n_(devices), cfg_(cfg) {
  if (devices < 2) throw std::invalid_argument("all-reduce needs at least 2 devices, got " + std::to_string(devices));
  if (devices > b.deviceCount())
    throw std::invalid_argument("all-reduce over " + std::to_string(devices) + " devices, but the " + b.name() + " backend has " +
                                std::to_string(b.deviceCount()));
  scratch_.assign(static_cast<size_t>(devices), nullptr);
  peerKernels_ = devices == 2 && b.peerKernelAccess(0, 1) && b.peerKernelAccess(1, 0);
}

AllReduce::~AllReduce() {
  // Queued work may still use the scratch: wait before freeing. Errors cannot be
  // reported from here; they were (or will be) reported by the caller's own sync.
  try {
    synchronize();
  } catch (...) {
  }
  for (Event e : events_) {
    try {
      b_.destroyEvent(e);
    } catch (...) {
    }
  }
  for (int d = 0; d < n_; ++d) {
    try {
      b_.deviceFree(d, scratch_[static_cast<size_t>(d)]);
    } catch (...) {
    }
  }
}

Event AllReduce::record(int d, int q, bool timed) {
  // Room first, so that push_back below cannot throw and leak the recorded event.
  if (events_.size() == events_.capacity()) events_.reserve(std::max<size_t>(64, 2 * events_.capacity()));
  Event e = timed ? b_.recordEvent(d, q) : b_.recordMarker(d, q);
  events_.push_back(e);
  return e;
}

void AllReduce::synchronize() {
  for (int d = 0; d < n_; ++d) b_.synchronize(d);
  joined_ = true;  // nothing is pending any more
}

void AllReduce::release() {
  std::vector<Event> evs;
  evs.swap(events_);
  for (Event e : evs) b_.destroyEvent(e);
}

void AllReduce::ensureScratch(size_t bytes) {
  if (bytes <= scratchBytes_) return;
  synchronize();  // the old scratch may still be read by queued work
  scratchBytes_ = 0;
  for (int d = 0; d < n_; ++d) {
    void*& s = scratch_[static_cast<size_t>(d)];
    void* old = s;
    s = nullptr;
    b_.deviceFree(d, old);
    s = b_.deviceAlloc(d, bytes);
  }
  scratchBytes_ = bytes;
}

void AllReduce::poisonScratch(uint32_t pattern) {
  for (int d = 0; d < n_; ++d)
    if (scratch_[static_cast<size_t>(d)]) b_.fill32(d, kComputeQueue, scratch_[static_cast<size_t>(d)], pattern, scratchBytes_ / 4 * 4);
  joined_ = false;
}

void AllReduce::barrierBegin(CallEvents& ev, bool copyQueues) {
  if (!joined_) {
    for (int d = 0; d < n_; ++d)
      for (int q : kQueues)
        if (d != 0 || q != kComputeQueue) wait(0, kComputeQueue, record(d, q));
  }
  ev.start = record(0, kComputeQueue, true);
  for (int d = 0; d < n_; ++d)
    for (int q : kQueues)
      if ((d != 0 || q != kComputeQueue) && (copyQueues || q == kComputeQueue)) wait(d, q, ev.start);
  joined_ = false;
}

// A queue left out of the call (copyQueues false) got no work since the last join, so
// after this end it is still ordered before `end`: joined_ holds for it too.
void AllReduce::barrierEnd(CallEvents& ev, bool copyQueues) {
  for (int d = 0; d < n_; ++d)
    for (int q : kQueues)
      if ((d != 0 || q != kComputeQueue) && (copyQueues || q == kComputeQueue)) wait(0, kComputeQueue, record(d, q));
  ev.end = record(0, kComputeQueue, true);
  joined_ = true;
}

CallEvents AllReduce::enqueue(Algo a, const std::vector<void*>& in, const std::vector<void*>& out, size_t count) {
  if (in.size() != static_cast<size_t>(n_) || out.size() != static_cast<size_t>(n_))
    throw std::invalid_argument("all-reduce: need one input and one output buffer per device");
  if (count == 0) throw std::invalid_argument("all-reduce: count must be > 0");
  const size_t bytes = count * elemBytes(a);
  for (int d = 0; d < n_; ++d) {
    const auto* i = static_cast<const unsigned char*>(in[static_cast<size_t>(d)]);
    const auto* o = static_cast<const unsigned char*>(out[static_cast<size_t>(d)]);
    if (!i || !o) throw std::invalid_argument("all-reduce: null buffer");
    // Exactly in place or disjoint: a partial overlap has no defined result.
    const uintptr_t ia = reinterpret_cast<uintptr_t>(i), oa = reinterpret_cast<uintptr_t>(o);
    if (ia != oa && ia < oa + bytes && oa < ia + bytes) throw std::invalid_argument("all-reduce: input and output overlap partially");
  }
  const AllReducePlan plan = planAllReduce(a, n_, count, cfg_, peerKernels_);
  CallEvents ev;
  if (isLibrary(plan.ran)) {
    barrierBegin(ev);
    if (!b_.libraryAllReduce("nccl", plan.ran == Algo::NcclBf16 ? "bf16" : "f32", in, out, count))
      throw Unsupported(b_.name() + " backend: no NCCL library all-reduce");
    barrierEnd(ev);
    return ev;
  }
  ensureScratch(scratchBytesFor(plan.ran, n_, count));
  std::vector<float*> fin(in.size()), fout(out.size());
  for (size_t d = 0; d < in.size(); ++d) {
    fin[d] = static_cast<float*>(in[d]);
    fout[d] = static_cast<float*>(out[d]);
  }
  const bool kernels = plan.exchange == Exchange::PeerKernel && plan.ran != Algo::Ring;
  barrierBegin(ev, !kernels);
  switch (plan.ran) {
    case Algo::DirectF32: kernels ? directKernel(fin, fout, count) : direct(fin, fout, count, plan.chunks); break;
    case Algo::Bf16Trunc: kernels ? bf16Kernel(false, fin, fout, count) : bf16(false, fin, fout, count, plan.chunks); break;
    case Algo::Bf16Rne: kernels ? bf16Kernel(true, fin, fout, count) : bf16(true, fin, fout, count, plan.chunks); break;
    case Algo::Ring: ring(fin, fout, count); break;
    default: throw std::logic_error("all-reduce: unplanned algorithm");
  }
  barrierEnd(ev, !kernels);
  return ev;
}

// Small path of the shipped code: pull the peer's FP32 partial into scratch, add.
// In place, a device's add overwrites what the peer is still pulling, so each chunk's
// add also waits for the peer's copy of that chunk.
void AllReduce::direct(const std::vector<float*>& in, const std::vector<float*>& out, size_t count, size_t chunks) {
  const size_t elems = chunkElems(cfg_, count);
  std::vector<std::vector<Event>> copied(2, std::vector<Event>(chunks));
  for (int d = 0; d < 2; ++d) {
    const int p = 1 - d;
    float* scr = static_cast<float*>(scratch_[static_cast<size_t>(d)]);
    for (size_t k = 0; k < chunks; ++k) {
      const Seg c = chunk(count, chunks, elems, k);
      b_.copyPeer(d, kCopyQueue, scr + c.lo, p, in[static_cast<size_t>(p)] + c.lo, c.len * 4);
      copied[static_cast<size_t>(d)][k] = record(d, kCopyQueue);
    }
  }
  for (int d = 0; d < 2; ++d) {
    const size_t di = static_cast<size_t>(d);
    const bool inPlace = in[di] == out[di];
    float* scr = static_cast<float*>(scratch_[di]);
    for (size_t k = 0; k < chunks; ++k) {
      const Seg c = chunk(count, chunks, elems, k);
      wait(d, kComputeQueue, copied[di][k]);
      if (inPlace) {
        wait(d, kComputeQueue, copied[static_cast<size_t>(1 - d)][k]);
        b_.addF32(d, kComputeQueue, out[di] + c.lo, scr + c.lo, c.len);
      } else {
        b_.sumF32(d, kComputeQueue, out[di] + c.lo, in[di] + c.lo, scr + c.lo, c.len);
      }
    }
  }
}

// Large path: each device converts its partial to BF16 (outbox), pulls the peer's
// outbox into its inbox and adds. Truncating: out = own + bf16(peer), devices disagree.
// RNE: out = bf16(own) + bf16(peer) in the same order of operands on both devices, so
// they end bit-identical (the CUDA paths). Nobody reads `out` of another device, so
// in place needs no extra ordering.
void AllReduce::bf16(bool rne, const std::vector<float*>& in, const std::vector<float*>& out, size_t count, size_t chunks) {
  const size_t elems = chunkElems(cfg_, count);
  auto outbox = [&](int d) { return static_cast<uint16_t*>(scratch_[static_cast<size_t>(d)]); };
  auto inbox = [&](int d) { return outbox(d) + count; };
  std::vector<std::vector<Event>> converted(2, std::vector<Event>(chunks)), copied(2, std::vector<Event>(chunks));
  for (int d = 0; d < 2; ++d) {
    for (size_t k = 0; k < chunks; ++k) {
      const Seg c = chunk(count, chunks, elems, k);
      b_.f32ToBf16(d, kComputeQueue, outbox(d) + c.lo, in[static_cast<size_t>(d)] + c.lo, c.len, rne);
      converted[static_cast<size_t>(d)][k] = record(d, kComputeQueue);
    }
  }
  for (int d = 0; d < 2; ++d) {
    const int p = 1 - d;
    for (size_t k = 0; k < chunks; ++k) {
      const Seg c = chunk(count, chunks, elems, k);
      wait(d, kCopyQueue, converted[static_cast<size_t>(p)][k]);
      b_.copyPeer(d, kCopyQueue, inbox(d) + c.lo, p, outbox(p) + c.lo, c.len * 2);
      copied[static_cast<size_t>(d)][k] = record(d, kCopyQueue);
    }
  }
  for (int d = 0; d < 2; ++d) {
    const size_t di = static_cast<size_t>(d);
    for (size_t k = 0; k < chunks; ++k) {
      const Seg c = chunk(count, chunks, elems, k);
      if (rne) {
        wait(d, kComputeQueue, copied[di][k]);
        b_.sumBf16Pair(d, kComputeQueue, out[di] + c.lo, outbox(d) + c.lo, inbox(d) + c.lo, c.len);
      } else {
        if (in[di] != out[di]) b_.copyPeer(d, kComputeQueue, out[di] + c.lo, d, in[di] + c.lo, c.len * 4);
        wait(d, kComputeQueue, copied[di][k]);
        b_.addBf16(d, kComputeQueue, out[di] + c.lo, inbox(d) + c.lo, c.len);
      }
    }
  }
}

// Direct with peer kernels: device d sums its half of the tensor, reading the peer's
// partial over the link and writing the sum to both devices (two-shot). No scratch and
// no event between the devices: neither touches an element of the other's half, in
// place or not, and the barrier orders the call against what came before and after.
void AllReduce::directKernel(const std::vector<float*>& in, const std::vector<float*>& out, size_t count) {
  // Halves split on a 16-byte boundary, so that both take the kernels' vector path.
  const size_t mid = count / 2 / 4 * 4;
  for (int d = 0; d < 2; ++d) {
    const size_t di = static_cast<size_t>(d), pi = static_cast<size_t>(1 - d);
    const Seg h = d == 0 ? Seg{0, mid} : Seg{mid, count - mid};
    if (h.len) b_.sumF32Shared(d, kComputeQueue, out[di] + h.lo, in[di] + h.lo, 1 - d, out[pi] + h.lo, in[pi] + h.lo, h.len);
  }
}

// BF16 with peer kernels (one-shot): each device converts its partial into its outbox,
// then reads the peer's outbox over the link as it adds. Half the link bytes of FP32,
// two launches per device, no copy. In place is safe: a device writes only its own
// out, and the peer reads only the outbox. (Converting one chunk ahead on the second
// queue measured no faster on two H200: the reads over the link bound it.)
void AllReduce::bf16Kernel(bool rne, const std::vector<float*>& in, const std::vector<float*>& out, size_t count) {
  auto outbox = [&](int d) { return static_cast<uint16_t*>(scratch_[static_cast<size_t>(d)]); };
  Event converted[2];
  for (int d = 0; d < 2; ++d) {
    b_.f32ToBf16(d, kComputeQueue, outbox(d), in[static_cast<size_t>(d)], count, rne);
    converted[d] = record(d, kComputeQueue);
  }
  for (int d = 0; d < 2; ++d) {
    const int p = 1 - d;
    const size_t di = static_cast<size_t>(d);
    wait(d, kComputeQueue, converted[p]);
    if (rne)
      b_.sumBf16PairFromPeer(d, kComputeQueue, out[di], outbox(d), p, outbox(p), count);
    else
      b_.sumF32Bf16FromPeer(d, kComputeQueue, out[di], in[di], p, outbox(p), count);
  }
}

// Ring: reduce-scatter then all-gather over N segments, device r pulling from its
// predecessor p = r - 1. Every ordering below is a dependency on data: a pull waits
// for the write that produced its source, and a write waits for the reads of what it
// overwrites (the receive slot, and in the all-gather the segments the successor
// pulled during the reduce-scatter).
void AllReduce::ring(const std::vector<float*>& in, const std::vector<float*>& out, size_t count) {
  const int n = n_;
  const int steps = n - 1;
  const int slots = n > 2 ? 2 : 1;
  const size_t slotElems = (count + static_cast<size_t>(n) - 1) / static_cast<size_t>(n);
  auto slot = [&](int r, int s) { return static_cast<float*>(scratch_[static_cast<size_t>(r)]) + static_cast<size_t>(s % slots) * slotElems; };
  auto at = [](std::vector<std::vector<Event>>& v, int r, int s) -> Event& { return v[static_cast<size_t>(r)][static_cast<size_t>(s)]; };

  std::vector<Event> init(static_cast<size_t>(n));
  for (int r = 0; r < n; ++r) {
    const size_t ri = static_cast<size_t>(r);
    if (in[ri] != out[ri]) b_.copyPeer(r, kComputeQueue, out[ri], r, in[ri], count * 4);
    init[ri] = record(r, kComputeQueue);
  }

  std::vector<std::vector<Event>> added(static_cast<size_t>(n), std::vector<Event>(static_cast<size_t>(steps)));
  std::vector<std::vector<Event>> pulled = added, gathered = added;
  for (int s = 0; s < steps; ++s) {
    for (int r = 0; r < n; ++r) {
      const int p = mod(r - 1, n);
      const Seg g = segment(count, n, mod(p - s, n));
      wait(r, kCopyQueue, s == 0 ? init[static_cast<size_t>(p)] : at(added, p, s - 1));
      if (s >= slots) wait(r, kCopyQueue, at(added, r, s - slots));
      if (g.len) b_.copyPeer(r, kCopyQueue, slot(r, s), p, out[static_cast<size_t>(p)] + g.lo, g.len * 4);
      at(pulled, r, s) = record(r, kCopyQueue);
    }
    for (int r = 0; r < n; ++r) {
      const Seg g = segment(count, n, mod(r - 1 - s, n));
      wait(r, kComputeQueue, at(pulled, r, s));
      if (g.len) b_.addF32(r, kComputeQueue, out[static_cast<size_t>(r)] + g.lo, slot(r, s), g.len);
      at(added, r, s) = record(r, kComputeQueue);
    }
  }
  // (Empty segments, when count < N, enqueue no work: a zero-length kernel launch is an
  // error on some runtimes. Their events are still recorded, so the chains hold.)
  // After the reduce-scatter device r holds the full sum of segment r + 1.
  for (int s = 0; s < steps; ++s) {
    for (int r = 0; r < n; ++r) {
      const int p = mod(r - 1, n);
      const Seg g = segment(count, n, mod(r - s, n));
      if (s == 0) {
        wait(r, kCopyQueue, at(added, p, steps - 1));               // p's reduced segment is final
        wait(r, kCopyQueue, at(added, r, steps - 1));               // our own adds are done writing
        wait(r, kCopyQueue, at(pulled, mod(r + 1, n), steps - 1));  // the successor's pulls from us are done
      } else {
        wait(r, kCopyQueue, at(gathered, p, s - 1));  // p received this segment one step ago
      }
      if (g.len) b_.copyPeer(r, kCopyQueue, out[static_cast<size_t>(r)] + g.lo, p, out[static_cast<size_t>(p)] + g.lo, g.len * 4);
      at(gathered, r, s) = record(r, kCopyQueue);
    }
  }
}

}  // namespace xpd
