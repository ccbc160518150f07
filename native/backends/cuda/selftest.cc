// Self-test of the CUDA plugin on real GPUs, through plugin.h exactly as the addon
// uses it: xpudiag_cuda_selftest path/to/libxpudiag_cuda.so
//
// Checks facts, the allocation variants against /proc/meminfo, every collective
// primitive bit for bit against a CPU reference (written independently of the
// kernels), a direct FP32 all-reduce and NCCL's, timed with device events. Exit 1 on
// any failure; on a machine without a GPU it prints SKIP and exits 0.
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "xpudiag/plugin.h"

namespace {

using xpd::Backend;

int g_checks = 0;
int g_failures = 0;

void expect(bool ok, const std::string& what) {
  ++g_checks;
  if (!ok) {
    ++g_failures;
    std::printf("FAIL %s\n", what.c_str());
  }
}

constexpr size_t kMiB = size_t(1) << 20;

uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
float floatOf(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
float bf16ToFloat(uint16_t h) { return floatOf(uint32_t(h) << 16); }

// Round to nearest even by the IEEE definition: pick the nearer of the two bf16
// neighbours (exact in double), the even one on a tie; above the largest bf16 the
// upper neighbour is 2^128, which encodes as infinity. NaN -> 0x7FFF as
// __float2bfloat16_rn does.
uint16_t refBf16Rne(uint32_t x) {
  if ((x & 0x7fffffffu) > 0x7f800000u) return 0x7fff;
  const uint32_t sign = x & 0x80000000u, mag = x & 0x7fffffffu;
  if (mag == 0x7f800000u) return uint16_t(x >> 16);
  const double v = floatOf(mag);
  const uint32_t down = mag >> 16, up = down + 1;
  const double dv = floatOf(down << 16);
  const double uv = up == 0x7f80u ? std::ldexp(1.0, 128) : double(floatOf(up << 16));
  uint32_t r;
  if (v - dv < uv - v) {
    r = down;
  } else if (v - dv > uv - v) {
    r = up;
  } else {
    r = (down & 1u) ? up : down;
  }
  return uint16_t((sign >> 16) | r);
}

uint16_t refBf16Trunc(uint32_t x) { return uint16_t(x >> 16); }

long long memAvailableBytes() {
  std::ifstream f("/proc/meminfo");
  std::string key;
  long long kib = 0;
  std::string unit;
  while (f >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return -1;
}

void sleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Freed memory can take seconds to show up again on a virtual machine: wait until two
// readings 200 ms apart differ by less than 8 MiB (at most 5 s).
long long stableMemAvailable() {
  long long prev = memAvailableBytes();
  for (int i = 0; i < 25; ++i) {
    sleepMs(200);
    const long long cur = memAvailableBytes();
    if (std::llabs(cur - prev) < static_cast<long long>(8 * kMiB)) return cur;
    prev = cur;
  }
  return prev;
}

struct Plugin {
  void* handle = nullptr;
  xpudiag_backend_create_fn create = nullptr;
  xpudiag_backend_destroy_fn destroy = nullptr;
};

struct BackendDeleter {
  xpudiag_backend_destroy_fn destroy;
  void operator()(Backend* b) const { destroy(b); }
};
using BackendPtr = std::unique_ptr<Backend, BackendDeleter>;

BackendPtr create(const Plugin& p, const xpd::Options& options, std::string& err) {
  char buf[1024] = {0};
  Backend* b = p.create(&options, buf, sizeof buf);
  err = buf;
  return BackendPtr(b, BackendDeleter{p.destroy});
}

// ---- facts ------------------------------------------------------------------------

void printFacts(const xpd::Facts& f) {
  std::printf("facts: backend %s\n", f.backend.c_str());
  for (const auto& [k, v] : f.runtimes) std::printf("  runtime %s = %s\n", k.c_str(), v.c_str());
  for (const auto& [k, v] : f.extra) std::printf("  extra %s = %s\n", k.c_str(), v.c_str());
  for (const auto& d : f.devices) {
    std::string peers;
    for (int p : d.peers) peers += (peers.empty() ? "" : ",") + std::to_string(p);
    std::printf("  device %d: %s | %s | pciId %s | bus %s | driver %s | %.1f GiB | peers [%s]\n", d.index, d.vendor.c_str(), d.name.c_str(), d.pciId.c_str(),
                d.pciBusId.c_str(), d.kernelDriver.c_str(), double(d.memoryBytes) / double(kMiB * 1024), peers.c_str());
    for (const auto& [k, v] : d.extra) std::printf("    %s = %s\n", k.c_str(), v.c_str());
  }
}

// ---- allocation probe -------------------------------------------------------------

// Least-squares slope of host bytes used against device bytes allocated.
double slope(const std::vector<double>& x, const std::vector<double>& y) {
  double mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) mx += x[i], my += y[i];
  mx /= double(x.size());
  my /= double(y.size());
  double sxy = 0, sxx = 0;
  for (size_t i = 0; i < x.size(); ++i) sxy += (x[i] - mx) * (y[i] - my), sxx += (x[i] - mx) * (x[i] - mx);
  return sxx > 0 ? sxy / sxx : 0.0;
}

void allocationProbe(Backend& b, const std::string& variant) {
  constexpr int kSteps = 8;
  constexpr size_t kStep = 512 * kMiB;
  const long long base = stableMemAvailable();
  std::vector<xpd::Allocation> allocs;
  std::vector<double> x, y;
  std::string trace;
  try {
    for (int k = 1; k <= kSteps; ++k) {
      allocs.push_back(b.allocate(0, variant, kStep));
      b.touch(allocs.back(), xpd::Touch::Fill);
      const double used = double(base - memAvailableBytes());
      x.push_back(double(k) * double(kStep));
      y.push_back(used);
      char buf[32];
      std::snprintf(buf, sizeof buf, "%s%.0f", trace.empty() ? "" : " ", used / double(kMiB));
      trace += buf;
    }
  } catch (const std::exception& e) {
    expect(false, "alloc " + variant + ": " + e.what());
  }
  for (auto& a : allocs) b.release(a);
  const double after = double(base - stableMemAvailable());
  const double s = x.size() >= 2 ? slope(x, y) : 0.0;
  std::printf("alloc %-17s 8 x 512 MiB + fill: host bytes per device byte %.3f; MemAvailable drop (MiB) %s; after release %.0f MiB\n", variant.c_str(), s,
              trace.c_str(), after / double(kMiB));
  if (variant == "cudaMalloc" || variant == "cudaMallocAsync") {
    expect(s < 0.1, variant + ": host bytes per device byte should be ~0");
  } else if (variant == "cudaMallocHost") {
    expect(s > 0.8 && s < 1.2, variant + ": pinned host memory should cost ~1 host byte per byte");
  }
}

void allocationPaths(Backend& b, const xpd::Facts& f) {
  for (const std::string& v : b.allocVariants()) {
    try {
      for (xpd::Touch t : {xpd::Touch::None, xpd::Touch::Read, xpd::Touch::Fill, xpd::Touch::Read}) {
        xpd::Allocation a = b.allocate(0, v, 64 * kMiB + 4096 + 12);
        b.touch(a, t);
        b.release(a);
        expect(a.ptr == nullptr, v + ": release clears the pointer");
      }
    } catch (const std::exception& e) {
      expect(false, "alloc paths " + v + ": " + e.what());
    }
  }
  bool unsupported = false;
  try {
    xpd::Allocation a = b.allocate(0, "cudaMallocManaged", size_t(f.devices[0].memoryBytes) * 2);
    b.release(a);
  } catch (const xpd::Unsupported& e) {
    unsupported = true;
    std::printf("ok managed beyond free memory refused: %s\n", e.what());
  } catch (const std::exception& e) {
    std::printf("managed beyond free memory threw the wrong type: %s\n", e.what());
  }
  expect(unsupported, "cudaMallocManaged beyond free memory must throw xpd::Unsupported");
  unsupported = false;
  try {
    (void)b.allocate(0, "cudaMallocBogus", 4096);
  } catch (const xpd::Unsupported&) {
    unsupported = true;
  } catch (const std::exception&) {
  }
  expect(unsupported, "an unknown variant must throw xpd::Unsupported");
}

// ---- primitives -------------------------------------------------------------------

struct DeviceBuffer {
  Backend* b;
  int device;
  void* p;
  DeviceBuffer(Backend& be, int d, size_t bytes) : b(&be), device(d), p(be.deviceAlloc(d, bytes)) {}
  ~DeviceBuffer() {
    try {
      b->deviceFree(device, p);
    } catch (const std::exception& e) {
      std::printf("FAIL deviceFree: %s\n", e.what());
    }
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  template <class T>
  T* as() const {
    return static_cast<T*>(p);
  }
};

// Floats compare bit for bit, except that any NaN matches any NaN (the GPU returns
// the canonical NaN for arithmetic on NaNs, the CPU propagates payloads).
size_t mismatches(const std::vector<float>& got, const std::vector<float>& want, std::string& first) {
  size_t bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const bool same = bitsOf(got[i]) == bitsOf(want[i]) || (std::isnan(got[i]) && std::isnan(want[i]));
    if (!same && bad++ == 0) {
      char buf[128];
      std::snprintf(buf, sizeof buf, "[%zu] got %08x want %08x", i, bitsOf(got[i]), bitsOf(want[i]));
      first = buf;
    }
  }
  return bad;
}

template <class T>
size_t mismatchesExact(const std::vector<T>& got, const std::vector<T>& want, std::string& first) {
  size_t bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i] != want[i] && bad++ == 0) {
      first = "[" + std::to_string(i) + "] got " + std::to_string(uint64_t(got[i])) + " want " + std::to_string(uint64_t(want[i]));
    }
  }
  return bad;
}

void report(const std::string& what, size_t n, size_t bad, const std::string& first) {
  std::printf("%s %s: %zu of %zu wrong%s%s\n", bad ? "FAIL" : "ok", what.c_str(), bad, n, bad ? ", first " : "", bad ? first.c_str() : "");
  ++g_checks;
  if (bad) ++g_failures;
}

std::vector<float> randomFloats(std::mt19937& rng, size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

std::vector<uint16_t> randomBf16(std::mt19937& rng, size_t n) {
  std::vector<uint16_t> v(n);
  std::uniform_real_distribution<float> dist(-1e4f, 1e4f);
  for (uint16_t& h : v) h = refBf16Rne(bitsOf(dist(rng)));
  // Subnormal, infinite and NaN operands: no flush to zero, IEEE special cases.
  const uint16_t specials[] = {0x0001, 0x8001, 0x007f, 0x0080, 0x7f80, 0xff80, 0x7fc0, 0x7f7f, 0x0000, 0x8000};
  for (size_t i = 0; i < sizeof specials / sizeof specials[0] && i < n; ++i) v[i * 7 % n] = specials[i];
  return v;
}

void primitives(Backend& b, int d0, int d1) {
  constexpr size_t n = (size_t(1) << 22) + 3;  // odd: the vector path's tail runs too
  std::mt19937 rng(12345);
  std::string first;

  // fill32, aligned and at a 4-byte offset (scalar path, must not touch its neighbours)
  {
    DeviceBuffer buf(b, d0, n * 4);
    std::vector<uint32_t> got(n), want(n, 0x12345678u);
    want.front() = want.back() = 0xdeadbeefu;
    // The queues are not ordered with each other: an event orders the second fill.
    b.fill32(d0, xpd::kComputeQueue, buf.p, 0xdeadbeefu, n * 4);
    const xpd::Event e = b.recordEvent(d0, xpd::kComputeQueue);
    b.waitEvent(d0, xpd::kCopyQueue, e);
    b.fill32(d0, xpd::kCopyQueue, buf.as<uint32_t>() + 1, 0x12345678u, (n - 2) * 4);
    b.destroyEvent(e);
    b.download(d0, got.data(), buf.p, n * 4);
    report("fill32 (aligned, then offset on the other queue after an event)", n, mismatchesExact(got, want, first), first);
  }

  // upload / download round trip
  const std::vector<float> a = randomFloats(rng, n, -1e3f, 1e3f);
  const std::vector<float> c = randomFloats(rng, n, -1e3f, 1e3f);
  DeviceBuffer a0(b, d0, n * 4), c0(b, d0, n * 4), x1(b, d1, n * 4), y1(b, d1, n * 4);
  {
    b.upload(d0, a0.p, a.data(), n * 4);
    std::vector<float> got(n);
    b.download(d0, got.data(), a0.p, n * 4);
    report("upload/download", n, mismatches(got, a, first), first);
  }

  // copyPeer both ways, on each queue
  {
    b.copyPeer(d1, xpd::kCopyQueue, x1.p, d0, a0.p, n * 4);
    b.synchronize(d1);
    std::vector<float> got(n);
    b.download(d1, got.data(), x1.p, n * 4);
    report("copyPeer " + std::to_string(d0) + "->" + std::to_string(d1) + " (copy queue)", n, mismatches(got, a, first), first);
    b.upload(d1, y1.p, c.data(), n * 4);
    b.copyPeer(d0, xpd::kComputeQueue, c0.p, d1, y1.p, n * 4);
    b.synchronize(d0);
    b.download(d0, got.data(), c0.p, n * 4);
    report("copyPeer " + std::to_string(d1) + "->" + std::to_string(d0) + " (compute queue)", n, mismatches(got, c, first), first);
  }

  // addF32: local, at an offset (scalar path), and reading the peer's buffer directly
  {
    std::vector<float> out = a, got(n), want(n);
    out[5] = floatOf(0x7fc00000u);  // NaN in, NaN out
    out[6] = INFINITY;
    for (size_t i = 0; i < n; ++i) want[i] = out[i] + c[i];
    b.upload(d0, a0.p, out.data(), n * 4);
    b.upload(d0, c0.p, c.data(), n * 4);
    b.addF32(d0, xpd::kComputeQueue, a0.as<float>(), c0.as<float>(), n);
    b.synchronize(d0);
    b.download(d0, got.data(), a0.p, n * 4);
    report("addF32", n, mismatches(got, want, first), first);

    b.upload(d0, a0.p, out.data(), n * 4);
    b.addF32(d0, xpd::kComputeQueue, a0.as<float>() + 1, c0.as<float>() + 1, n - 2);
    b.synchronize(d0);
    b.download(d0, got.data(), a0.p, n * 4);
    want.front() = out.front();
    want.back() = out.back();
    report("addF32 at a 4-byte offset", n, mismatches(got, want, first), first);

    if (d1 != d0) {
      std::vector<float> peerWant(n);
      for (size_t i = 0; i < n; ++i) peerWant[i] = c[i] + a[i];
      b.upload(d1, y1.p, c.data(), n * 4);
      b.upload(d0, a0.p, a.data(), n * 4);
      b.addF32(d1, xpd::kComputeQueue, y1.as<float>(), a0.as<float>(), n);  // in lives on the peer
      b.synchronize(d1);
      b.download(d1, got.data(), y1.p, n * 4);
      report("addF32 reading the peer's memory", n, mismatches(got, peerWant, first), first);
    }
  }

  // f32 -> bf16: RNE ties, overflow, NaNs, infinities, subnormals, then random bit patterns
  {
    const uint32_t specials[] = {0x00000000, 0x80000000, 0x3f800000, 0x3f808000, 0x3f818000, 0x3f808001, 0x3f807fff, 0xbf818000,
                                 0xbf808000, 0x7f7fffff, 0x7f7f8000, 0x7f7f7fff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000,
                                 0xffc00000, 0x7f800001, 0xff800001, 0x7fbf0000, 0x7fffffff, 0xffffffff, 0x00000001, 0x00008000,
                                 0x00018000, 0x00008001, 0x007fffff, 0x807fffff, 0x00800000, 0x80008000, 0x00ff8000, 0x4b7fffff};
    std::vector<uint32_t> in(n);
    std::mt19937 bits(777);
    for (uint32_t& u : in) u = bits();
    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; ++i) {
      in[i] = specials[i];
      in[n - 1 - i] = specials[i];  // also in the scalar tail
    }
    std::vector<uint16_t> rne(n), trunc(n);
    for (size_t i = 0; i < n; ++i) rne[i] = refBf16Rne(in[i]), trunc[i] = refBf16Trunc(in[i]);
    // A few hand-checked values guard the reference itself.
    expect(refBf16Rne(0x3f808000) == 0x3f80 && refBf16Rne(0x3f818000) == 0x3f82 && refBf16Rne(0x7f7f8000) == 0x7f80 && refBf16Rne(0x00018000) == 0x0002 &&
               refBf16Rne(0x007fffff) == 0x0080 && refBf16Rne(0xffc00000) == 0x7fff && refBf16Trunc(0x7f800001) == 0x7f80,
           "CPU bf16 reference on hand-checked values");
    DeviceBuffer out(b, d0, n * 2);
    std::vector<uint16_t> got(n);
    b.upload(d0, a0.p, in.data(), n * 4);
    for (bool round : {true, false}) {
      const std::vector<uint16_t>& want = round ? rne : trunc;
      const std::string name = round ? "f32ToBf16 rne" : "f32ToBf16 trunc";
      b.fill32(d0, xpd::kComputeQueue, out.p, 0xffffffffu, (n - 1) * 2);
      b.f32ToBf16(d0, xpd::kComputeQueue, out.as<uint16_t>(), a0.as<float>(), n, round);
      b.download(d0, got.data(), out.p, n * 2);
      report(name + " (bit exact)", n, mismatchesExact(got, want, first), first);
      // At a 2-byte offset the output is not 8-byte aligned: the scalar path.
      b.fill32(d0, xpd::kComputeQueue, out.p, 0xabcdabcdu, (n - 1) * 2);
      b.f32ToBf16(d0, xpd::kComputeQueue, out.as<uint16_t>() + 1, a0.as<float>() + 1, n - 2, round);
      b.download(d0, got.data(), out.p, n * 2);
      std::vector<uint16_t> offWant = want;
      offWant.front() = 0xabcd;
      offWant.back() = got.back();  // outside the filled range, not ours to check
      report(name + " at a 2-byte offset", n, mismatchesExact(got, offWant, first), first);
    }
  }

  // addBf16 and sumBf16Pair
  {
    const std::vector<uint16_t> h = randomBf16(rng, n), g = randomBf16(rng, n);
    DeviceBuffer h0(b, d0, n * 2), g0(b, d0, n * 2);
    b.upload(d0, h0.p, h.data(), n * 2);
    b.upload(d0, g0.p, g.data(), n * 2);
    std::vector<float> got(n), want(n);
    for (size_t i = 0; i < n; ++i) want[i] = a[i] + bf16ToFloat(h[i]);
    b.upload(d0, a0.p, a.data(), n * 4);
    b.addBf16(d0, xpd::kComputeQueue, a0.as<float>(), h0.as<uint16_t>(), n);
    b.download(d0, got.data(), a0.p, n * 4);
    report("addBf16", n, mismatches(got, want, first), first);

    b.upload(d0, a0.p, a.data(), n * 4);
    b.addBf16(d0, xpd::kComputeQueue, a0.as<float>() + 1, h0.as<uint16_t>() + 1, n - 2);
    b.download(d0, got.data(), a0.p, n * 4);
    want.front() = a.front();
    want.back() = a.back();
    report("addBf16 at an offset", n, mismatches(got, want, first), first);

    for (size_t i = 0; i < n; ++i) want[i] = bf16ToFloat(h[i]) + bf16ToFloat(g[i]);
    b.sumBf16Pair(d0, xpd::kComputeQueue, a0.as<float>(), h0.as<uint16_t>(), g0.as<uint16_t>(), n);
    b.download(d0, got.data(), a0.p, n * 4);
    report("sumBf16Pair", n, mismatches(got, want, first), first);

    b.fill32(d0, xpd::kComputeQueue, a0.p, 0, n * 4);
    b.sumBf16Pair(d0, xpd::kComputeQueue, a0.as<float>() + 1, h0.as<uint16_t>() + 1, g0.as<uint16_t>() + 1, n - 2);
    b.download(d0, got.data(), a0.p, n * 4);
    want.front() = 0.0f;
    want.back() = 0.0f;
    report("sumBf16Pair at an offset", n, mismatches(got, want, first), first);
  }
}

// ---- all-reduce -------------------------------------------------------------------

// Partials whose sum is exact in FP32 whatever the order: every algorithm must match
// the reference bit for bit.
std::vector<float> partial(size_t n, int device) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t h = uint32_t(i) * 2654435761u + uint32_t(device) * 40503u;
    v[i] = float(int(h >> 21) - 1024) * 0.5f;
  }
  return v;
}

struct Timing {
  double us = 0;
  int iterations = 0;
};

// One timed run of `enqueue` on both devices: events on each compute queue around it,
// the slower device's time.
template <class Fn>
double timedOnce(Backend& b, const std::vector<int>& devs, Fn enqueue) {
  for (int d : devs) b.synchronize(d);
  std::vector<xpd::Event> start, end;
  for (int d : devs) start.push_back(b.recordEvent(d, xpd::kComputeQueue));
  enqueue();
  for (int d : devs) end.push_back(b.recordEvent(d, xpd::kComputeQueue));
  double ms = 0;
  for (size_t i = 0; i < devs.size(); ++i) {
    ms = std::max(ms, b.elapsedMs(start[i], end[i]));
    b.destroyEvent(start[i]);
    b.destroyEvent(end[i]);
  }
  return ms * 1e3;
}

template <class Fn>
Timing timed(Backend& b, const std::vector<int>& devs, Fn enqueue) {
  constexpr int kWarmup = 3, kIters = 10;
  for (int i = 0; i < kWarmup; ++i) (void)timedOnce(b, devs, enqueue);
  Timing t;
  for (int i = 0; i < kIters; ++i) t.us += timedOnce(b, devs, enqueue);
  t.iterations = kIters;
  t.us /= kIters;
  return t;
}

// Direct FP32 exchange for two devices, in place: each device copies the peer's
// partial into its scratch on its copy queue, then adds it on its compute queue. The
// add waits for both copies, because the peer's copy reads the buffer it overwrites.
void directF32(Backend& b, const int dev[2], float* const buf[2], float* const scratch[2], size_t count) {
  xpd::Event ready[2], copied[2];
  for (int i = 0; i < 2; ++i) ready[i] = b.recordEvent(dev[i], xpd::kComputeQueue);
  for (int i = 0; i < 2; ++i) {
    b.waitEvent(dev[i], xpd::kCopyQueue, ready[i]);
    b.waitEvent(dev[i], xpd::kCopyQueue, ready[1 - i]);
    b.copyPeer(dev[i], xpd::kCopyQueue, scratch[i], dev[1 - i], buf[1 - i], count * 4);
    copied[i] = b.recordEvent(dev[i], xpd::kCopyQueue);
  }
  for (int i = 0; i < 2; ++i) {
    b.waitEvent(dev[i], xpd::kComputeQueue, copied[i]);
    b.waitEvent(dev[i], xpd::kComputeQueue, copied[1 - i]);
    b.addF32(dev[i], xpd::kComputeQueue, buf[i], scratch[i], count);
  }
  for (int i = 0; i < 2; ++i) b.destroyEvent(ready[i]), b.destroyEvent(copied[i]);
}

void printTiming(const char* name, size_t bytes, const Timing& t, int ndev) {
  const double algbw = double(bytes) / (t.us * 1e3);  // GB/s
  const double busbw = algbw * 2.0 * (ndev - 1) / ndev;
  std::printf("allreduce %-10s %4zu MiB: %9.1f us  algbw %6.1f GB/s  busbw %6.1f GB/s  (mean of %d)\n", name, bytes / kMiB, t.us, algbw, busbw, t.iterations);
}

void allReduce(Backend& b, int d0, int d1, bool withNccl, const std::string& ncclNote) {
  const int dev[2] = {d0, d1};
  const std::vector<int> devs = {d0, d1};
  constexpr size_t kMax = 256 * kMiB;
  DeviceBuffer buf0(b, d0, kMax), buf1(b, d1, kMax), scr0(b, d0, kMax), scr1(b, d1, kMax), out0(b, d0, kMax), out1(b, d1, kMax);
  float* const buf[2] = {buf0.as<float>(), buf1.as<float>()};
  float* const scratch[2] = {scr0.as<float>(), scr1.as<float>()};
  float* const out[2] = {out0.as<float>(), out1.as<float>()};
  const std::vector<float> p0 = partial(kMax / 4, 0), p1 = partial(kMax / 4, 1);
  std::vector<float> sum(kMax / 4);
  for (size_t i = 0; i < sum.size(); ++i) sum[i] = p0[i] + p1[i];
  std::string first;
  std::vector<float> got(kMax / 4);

  auto load = [&](size_t count) {
    b.upload(d0, buf[0], p0.data(), count * 4);
    b.upload(d1, buf[1], p1.data(), count * 4);
  };
  auto verify = [&](const std::string& what, float* const res[2], size_t count) {
    got.resize(count);
    const std::vector<float> want(sum.begin(), sum.begin() + long(count));
    for (int i = 0; i < 2; ++i) {
      b.download(dev[i], got.data(), res[i], count * 4);
      report(what + " result on device " + std::to_string(dev[i]), count, mismatches(got, want, first), first);
    }
  };

  bool ncclAvailable = withNccl;
  if (!withNccl) std::printf("SKIP nccl: this test drives exactly two devices\n");
  for (size_t bytes : {64 * kMiB, 256 * kMiB}) {
    const size_t count = bytes / 4;
    const std::string size = std::to_string(bytes / kMiB) + " MiB";
    load(count);
    directF32(b, dev, buf, scratch, count);
    verify("direct-f32 " + size, buf, count);
    // In place: the timed runs keep doubling the values, which stays finite and is
    // re-checked above from fresh inputs.
    const Timing direct = timed(b, devs, [&] { directF32(b, dev, buf, scratch, count); });
    printTiming("direct-f32", bytes, direct, 2);

    if (!ncclAvailable) continue;
    load(count);
    b.fill32(d0, xpd::kComputeQueue, out[0], 0xffffffffu, bytes);
    b.fill32(d1, xpd::kComputeQueue, out[1], 0xffffffffu, bytes);
    const std::vector<void*> in = {buf[0], buf[1]}, outs = {out[0], out[1]};
    try {
      if (!b.libraryAllReduce("nccl", "f32", in, outs, count)) {
        ncclAvailable = false;
        std::printf("SKIP nccl: not available (%s)\n", ncclNote.c_str());
        continue;
      }
      verify("nccl-f32 " + size, out, count);
      const Timing nccl = timed(b, devs, [&] { (void)b.libraryAllReduce("nccl", "f32", in, outs, count); });
      printTiming("nccl-f32", bytes, nccl, 2);
      std::printf("allreduce %4zu MiB: direct-f32 / nccl-f32 busbw = %.2f\n", bytes / kMiB, nccl.us / direct.us);
    } catch (const std::exception& e) {
      expect(false, "nccl f32 all-reduce " + size + ": " + e.what());
      ncclAvailable = false;
    }
  }

  if (ncclAvailable) {
    // BF16 sums of small integers are exact, so NCCL's result is known bit for bit.
    constexpr size_t count = size_t(1) << 20;
    std::vector<uint16_t> h0(count), h1(count), want(count), got16(count);
    for (size_t i = 0; i < count; ++i) {
      const float x = float(int(i % 61) - 30), y = float(int(i % 37) - 18);
      h0[i] = refBf16Rne(bitsOf(x));
      h1[i] = refBf16Rne(bitsOf(y));
      want[i] = refBf16Rne(bitsOf(x + y));
    }
    b.upload(d0, buf[0], h0.data(), count * 2);
    b.upload(d1, buf[1], h1.data(), count * 2);
    try {
      const bool ran = b.libraryAllReduce("nccl", "bf16", {buf[0], buf[1]}, {out[0], out[1]}, count);
      expect(ran, "nccl bf16 all-reduce ran");
      for (int i = 0; i < 2 && ran; ++i) {
        b.download(dev[i], got16.data(), out[i], count * 2);
        report("nccl-bf16 1M elements on device " + std::to_string(dev[i]), count, mismatchesExact(got16, want, first), first);
      }
    } catch (const std::exception& e) {
      expect(false, std::string("nccl bf16 all-reduce: ") + e.what());
    }
  }
}

// ---- errors crossing the plugin boundary ------------------------------------------

void errors(Backend& b) {
  bool apiError = false;
  try {
    b.deviceFree(0, reinterpret_cast<void*>(uintptr_t(0x1000)));
  } catch (const xpd::ApiError& e) {
    apiError = e.call() == "cudaFree";
    std::printf("ok bogus deviceFree -> xpd::ApiError: %s\n", e.what());
  } catch (const std::exception& e) {
    std::printf("bogus deviceFree threw the wrong type: %s\n", e.what());
  }
  expect(apiError, "deviceFree of an unknown pointer throws xpd::ApiError(cudaFree)");
  apiError = false;
  try {
    (void)b.deviceAlloc(b.deviceCount(), 4096);
  } catch (const xpd::ApiError& e) {
    apiError = e.codeName() == "cudaErrorInvalidDevice";
  } catch (const std::exception&) {
  }
  expect(apiError, "a device index out of range throws xpd::ApiError(cudaErrorInvalidDevice)");
  bool invalid = false;
  try {
    b.fill32(0, 0, nullptr, 0, 3);
  } catch (const std::invalid_argument&) {
    invalid = true;
  } catch (const std::exception&) {
  }
  expect(invalid, "fill32 of a size not a multiple of 4 is refused");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s path/to/libxpudiag_cuda.so\n", argv[0]);
    return 2;
  }
  Plugin plugin;
  plugin.handle = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!plugin.handle) {
    std::printf("FAIL dlopen %s: %s\n", argv[1], dlerror());
    return 1;
  }
  plugin.create = reinterpret_cast<xpudiag_backend_create_fn>(dlsym(plugin.handle, XPUDIAG_PLUGIN_CREATE));
  plugin.destroy = reinterpret_cast<xpudiag_backend_destroy_fn>(dlsym(plugin.handle, XPUDIAG_PLUGIN_DESTROY));
  if (!plugin.create || !plugin.destroy) {
    std::printf("FAIL %s does not export %s and %s\n", argv[1], XPUDIAG_PLUGIN_CREATE, XPUDIAG_PLUGIN_DESTROY);
    return 1;
  }

  std::string err;
  {
    BackendPtr bad = create(plugin, {{"peerAcess", "off"}}, err);
    expect(!bad && err.find("peerAcess") != std::string::npos, "an unknown option is refused by name: " + err);
  }

  BackendPtr b = create(plugin, {}, err);
  if (!b) {
    if (err.find("no CUDA device") != std::string::npos) {
      std::printf("SKIP cuda selftest: %s\n", err.c_str());
      return g_failures ? 1 : 0;
    }
    std::printf("FAIL create: %s\n", err.c_str());
    return 1;
  }

  try {
    const xpd::Facts f = b->facts();
    printFacts(f);
    expect(f.backend == "cuda", "facts backend");
    expect(int(f.devices.size()) == b->deviceCount() && b->deviceCount() > 0, "one DeviceInfo per device");
    expect(f.runtimes.count("cudaDriver") && f.runtimes.count("cudaRuntime"), "driver and runtime versions");
    for (const auto& d : f.devices) {
      expect(d.vendor == "NVIDIA" && !d.name.empty() && !d.pciBusId.empty() && d.memoryBytes > 0, "device " + std::to_string(d.index) + " facts");
    }
    const int n = b->deviceCount();
    const int d0 = 0, d1 = n > 1 ? 1 : 0;
    if (n < 2) std::printf("note: one device: peer copies and all-reduce run device 0 against itself\n");

    errors(*b);
    allocationPaths(*b, f);
    for (const std::string& v : b->allocVariants()) allocationProbe(*b, v);

    {
      // A second instance shares the process's CUDA contexts: peer access is already
      // on, and destroying that instance must leave it on for the first.
      BackendPtr second = create(plugin, {}, err);
      expect(second != nullptr, "a second backend instance: " + err);
      if (second && n > 1) {
        const xpd::Facts f2 = second->facts();
        const auto it = f2.devices[0].extra.find("peerAccess.1");
        std::printf("second instance: peerAccess.1 = %s\n", it == f2.devices[0].extra.end() ? "?" : it->second.c_str());
      }
    }

    primitives(*b, d0, d1);
    const auto ncclErr = f.extra.find("ncclError");
    // NCCL needs one buffer per device, so it runs only with two devices or more.
    allReduce(*b, d0, d1, n == 2, ncclErr == f.extra.end() ? "" : ncclErr->second);

    // Left behind on purpose: the destructor must free them.
    (void)b->deviceAlloc(d0, 4096);
    (void)b->recordEvent(d0, xpd::kComputeQueue);
    (void)b->allocate(d0, "cudaMallocHost", 4096);
  } catch (const xpd::ApiError& e) {
    expect(false, std::string("xpd::ApiError ") + e.what());
  } catch (const std::exception& e) {
    expect(false, std::string("exception ") + e.what());
  }
  b.reset();
  std::printf("%s: %d checks, %d failed\n", g_failures ? "FAILED" : "PASSED", g_checks, g_failures);
  return g_failures ? 1 : 0;
}
