// The parts of the SYCL backend that need no SYCL headers: option parsing, the
// allocation variant table, the facts read from the environment, /proc and sysfs, and
// the BF16 bit conversions the kernels run. Plain C++17, so that g++ compiles and tests
// it (test/sycl/common_check.cc) on machines without a SYCL compiler; sycl_backend.cpp
// includes it and calls the conversions from device code.
#pragma once

#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "xpudiag/pci.h"

#include "xpudiag/backend.h"

namespace xpd {
namespace syclb {  // not `sycl`: inside namespace xpd that name would hide ::sycl

// ---- allocation variants ------------------------------------------------------------

enum class Variant { AlignedAllocDevice, MallocDevice, MallocShared, MallocHost };

constexpr Variant kVariants[] = {Variant::AlignedAllocDevice, Variant::MallocDevice, Variant::MallocShared,
                                 Variant::MallocHost};

// The alignment asked of aligned_alloc_device, the same as the ze backend's
// zeMemAllocDevice, so that the two differ in the API only.
constexpr size_t kAlignment = 64;

inline const char* variantName(Variant v) {
  switch (v) {
    case Variant::AlignedAllocDevice: return "aligned_alloc_device";
    case Variant::MallocDevice: return "malloc_device";
    case Variant::MallocShared: return "malloc_shared";
    case Variant::MallocHost: return "malloc_host";
  }
  return "?";
}

// The SYCL call a variant makes, as errors name it.
inline const char* variantCall(Variant v) {
  switch (v) {
    case Variant::AlignedAllocDevice: return "sycl::aligned_alloc_device";
    case Variant::MallocDevice: return "sycl::malloc_device";
    case Variant::MallocShared: return "sycl::malloc_shared";
    case Variant::MallocHost: return "sycl::malloc_host";
  }
  return "?";
}

inline std::vector<std::string> variantNames() {
  std::vector<std::string> out;
  for (Variant v : kVariants) out.emplace_back(variantName(v));
  return out;
}

inline Variant parseVariant(const std::string& name) {
  for (Variant v : kVariants) {
    if (name == variantName(v)) return v;
  }
  throw Unsupported("sycl backend: no allocation variant '" + name +
                    "' (aligned_alloc_device, malloc_device, malloc_shared, malloc_host)");
}

// Shared and host allocations are readable by the CPU where they are; device ones only
// through a copy.
inline bool hostAccessible(Variant v) { return v == Variant::MallocShared || v == Variant::MallocHost; }

// ---- options --------------------------------------------------------------------------

struct PluginOptions {
  // one: a context per device. all: one context over every device of the platform, the
  // case reported to copy device allocations into host memory (the runtime makes each
  // device allocation resident on the peer devices of its context). `all` is the
  // default: it is what a SYCL program gets from a queue made without a context (the
  // platform's default context), and the only one where peer copies go device to device.
  bool contextAll = true;
};

inline PluginOptions parseOptions(const Options& options) {
  PluginOptions o;
  for (const auto& [key, value] : options) {
    if (key != "contextDevices") {
      throw std::invalid_argument("sycl backend: unknown option '" + key + "' (known: contextDevices=one|all)");
    }
    if (value != "one" && value != "all") {
      throw std::invalid_argument("sycl backend: option contextDevices must be one or all, not '" + value + "'");
    }
    o.contextAll = value == "all";
  }
  return o;
}

// ---- facts ----------------------------------------------------------------------------

// The SYCL runtime's Level Zero adapter serves small USM allocations from its own pools
// (by default up to 4 MiB each, carved from 64 KiB slabs), so a small allocation may cost
// nothing visible and a free may give nothing back: cases below and above that size are
// not the same experiment. These variables change the pools; each is recorded when set.
constexpr size_t kPoolLimitBytes = size_t(4) << 20;

inline const char* const kPoolVariables[] = {
    "UR_L0_USM_ALLOCATOR",                // pool sizes and limits per memory type
    "UR_L0_DISABLE_USM_ALLOCATOR",        // 1: no pool at all
    "UR_L0_USM_RESIDENT",                 // where device allocations are made resident
    "SYCL_PI_LEVEL_ZERO_USM_ALLOCATOR",   // the older name of UR_L0_USM_ALLOCATOR
    "SYCL_PI_LEVEL_ZERO_DISABLE_USM_ALLOCATOR",
};

inline std::map<std::string, std::string> poolFacts() {
  std::map<std::string, std::string> out;
  out["usmPool"] =
      "allocations of 4 MiB or less may be served from the SYCL runtime's USM pool (Level Zero adapter: "
      "64 KiB slabs), which hides their per-allocation cost; UR_L0_USM_ALLOCATOR and "
      "UR_L0_DISABLE_USM_ALLOCATOR change that";
  for (const char* name : kPoolVariables) {
    if (const char* v = std::getenv(name)) out[name] = v;
  }
  return out;
}

// Paths of the libraries mapped into this process whose file name starts with one of
// `prefixes` ("libsycl.so", "libze_intel_gpu.so"): the file names carry the versions of
// the runtime actually loaded, which may differ from the headers the plugin was built with.
inline std::string mappedLibraries(const std::vector<std::string>& prefixes) {
  std::ifstream maps("/proc/self/maps");
  std::set<std::string> libs;
  std::string line;
  while (std::getline(maps, line)) {
    const auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    const std::string base = path.substr(path.rfind('/') + 1);
    for (const std::string& p : prefixes) {
      if (base.compare(0, p.size(), p) == 0) libs.insert(path);
    }
  }
  std::string out;
  for (const std::string& l : libs) out += (out.empty() ? "" : ", ") + l;
  return out;
}

// ---- BF16 conversions, run in the kernels ---------------------------------------------
// The same bits as the CUDA kernels (native/backends/cuda/kernels.cu), so that every
// backend's all-reduce can be checked against one reference. __builtin_bit_cast works
// in host and SYCL device code alike (g++ >= 11, every clang the SYCL compilers build on).

inline uint32_t f32ToBits(float f) { return __builtin_bit_cast(uint32_t, f); }
inline float bitsToF32(uint32_t u) { return __builtin_bit_cast(float, u); }

// bf16 -> f32 is exact: the bf16 bits are the top half of the f32.
inline float bf16Value(uint16_t h) { return bitsToF32(static_cast<uint32_t>(h) << 16); }

// Round to nearest, ties to even; a NaN becomes the canonical 0x7FFF.
inline uint16_t bf16Rne(float f) {
  const uint32_t x = f32ToBits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return 0x7fffu;
  const uint32_t hi = x >> 16, lo = x & 0xffffu;
  return static_cast<uint16_t>(hi + ((lo > 0x8000u || (lo == 0x8000u && (hi & 1u))) ? 1u : 0u));
}

// Truncation, exactly what the shipped SYCL all-reduce does (`bits >> 16`), including
// its quirk that a NaN whose payload sits only in the low half becomes an infinity.
inline uint16_t bf16Trunc(float f) { return static_cast<uint16_t>(f32ToBits(f) >> 16); }

}  // namespace syclb
}  // namespace xpd
