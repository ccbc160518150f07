// The parts of the SYCL backend that need no SYCL headers: option parsing, the
// allocation variant table, the facts read from the environment, /proc and sysfs, and
// the BF16 bit conversions the kernels run. Plain C++17, so that g++ compiles and tests
// it (test/sycl/common_check.cc) on machines without a SYCL compiler; sycl_backend.cpp
// includes it and calls the conversions from device code.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
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

constexpr Variant kVariants[] = {Variant::AlignedAllocDevice, Variant::MallocDevice, Variant::MallocShared, Variant::MallocHost};

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
  throw Unsupported("sycl backend: no allocation variant '" + name + "' (aligned_alloc_device, malloc_device, malloc_shared, malloc_host)");
}

// Shared and host allocations are readable by the CPU where they are; device ones only
// through a copy.
inline bool hostAccessible(Variant v) { return v == Variant::MallocShared || v == Variant::MallocHost; }

// ---- options --------------------------------------------------------------------------

enum class DeviceType { Gpu, Cpu };

struct PluginOptions {
  // one: a context per device. all: one context over every device of the platform, the
  // case reported to copy device allocations into host memory (the runtime makes each
  // device allocation resident on the peer devices of its context). `all` is the
  // default: it is what a SYCL program gets from a queue made without a context (the
  // platform's default context), and the only one where peer copies can go device to device.
  bool contextAll = true;
  // gpu (the default): the GPUs of one platform. cpu: opt-in, the first CPU device
  // (AdaptiveCpp's OpenMP device, DPC++'s OpenCL CPU or native CPU device), used as
  // kCpuLogicalDevices devices so that the all-reduce and p2p probes run their kernels
  // without a GPU. Its device memory is host memory: allocation verdicts there say
  // nothing about shadowing.
  DeviceType deviceType = DeviceType::Gpu;
  // Where deviceType came from: "option", kDeviceTypeVariable or "default".
  std::string deviceTypeFrom = "default";
};

// The CPU device as two logical devices: what the two-device all-reduce and the p2p
// probe need. Each has its own queues (and with contextDevices=one its own context).
constexpr int kCpuLogicalDevices = 2;

// Selects the CPU device for every sycl case of a run when no case sets deviceType.
constexpr const char* kDeviceTypeVariable = "XPUDIAG_SYCL_DEVICE";

inline DeviceType parseDeviceType(const std::string& value, const std::string& from) {
  if (value == "gpu") return DeviceType::Gpu;
  if (value == "cpu") return DeviceType::Cpu;
  throw std::invalid_argument("sycl backend: " + from + " must be gpu or cpu, not '" + value + "'");
}

inline const char* deviceTypeName(DeviceType t) { return t == DeviceType::Cpu ? "cpu" : "gpu"; }

// `deviceTypeVariable` is the value of XPUDIAG_SYCL_DEVICE (nullptr: unset); an option
// deviceType of the case wins over it.
inline PluginOptions parseOptions(const Options& options, const char* deviceTypeVariable = nullptr) {
  PluginOptions o;
  if (deviceTypeVariable && *deviceTypeVariable) {
    o.deviceType = parseDeviceType(deviceTypeVariable, kDeviceTypeVariable);
    o.deviceTypeFrom = kDeviceTypeVariable;
  }
  for (const auto& [key, value] : options) {
    if (key == "contextDevices") {
      if (value != "one" && value != "all") {
        throw std::invalid_argument("sycl backend: option contextDevices must be one or all, not '" + value + "'");
      }
      o.contextAll = value == "all";
    } else if (key == "deviceType") {
      o.deviceType = parseDeviceType(value, "option deviceType");
      o.deviceTypeFrom = "option";
    } else {
      throw std::invalid_argument("sycl backend: unknown option '" + key + "' (known: contextDevices=one|all, deviceType=gpu|cpu)");
    }
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
    "UR_L0_USM_ALLOCATOR",               // pool sizes and limits per memory type
    "UR_L0_DISABLE_USM_ALLOCATOR",       // 1: no pool at all
    "UR_L0_USM_RESIDENT",                // where device allocations are made resident
    "SYCL_PI_LEVEL_ZERO_USM_ALLOCATOR",  // the older name of UR_L0_USM_ALLOCATOR
    "SYCL_PI_LEVEL_ZERO_DISABLE_USM_ALLOCATOR",
};

// `pooled`: DPC++'s adapters pool; AdaptiveCpp's Level Zero backend calls zeMemAlloc*
// for every USM allocation (ze_allocator.cpp, 24.06), so a 2 MiB case measures single
// allocations there.
inline std::map<std::string, std::string> poolFacts(bool pooled = true) {
  std::map<std::string, std::string> out;
  out["usmPool"] = pooled ? "allocations of 4 MiB or less may be served from the SYCL runtime's USM pool (Level Zero adapter: "
                            "64 KiB slabs), which hides their per-allocation cost; UR_L0_USM_ALLOCATOR and "
                            "UR_L0_DISABLE_USM_ALLOCATOR change that"
                          : "none: AdaptiveCpp's Level Zero backend calls zeMemAlloc* for every USM allocation (24.06)";
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

// The host's MemTotal in bytes (0 if /proc/meminfo cannot be read).
inline uint64_t hostMemTotalBytes() {
  std::ifstream f("/proc/meminfo");
  std::string key;
  unsigned long long kib = 0;
  while (f >> key) {
    if (key == "MemTotal:" && (f >> kib)) return static_cast<uint64_t>(kib) * 1024;
    f.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

// A device's memory size as the report can use it, and why it differs from what the
// runtime said. AdaptiveCpp's OpenMP device reports SIZE_MAX (16 EiB, "TODO" in its
// omp_hardware_manager.cpp): a CPU device's memory is the host's, so more than MemTotal
// is replaced by MemTotal. Any size past 2^53 would also lose its value in JavaScript.
struct MemorySize {
  uint64_t bytes = 0;
  std::string note;  // empty when `bytes` is what the runtime reported
};

inline MemorySize plausibleMemory(uint64_t reported, bool cpu, uint64_t memTotal) {
  constexpr uint64_t kExactInJs = uint64_t(1) << 53;
  if (cpu && memTotal > 0 && reported > memTotal) {
    return {memTotal, "the runtime reported " + std::to_string(reported) + " bytes for this CPU device; its memory is the host's, so MemTotal is used"};
  }
  if (reported > kExactInJs) {
    return {kExactInJs, "the runtime reported " + std::to_string(reported) + " bytes, past what a report can hold exactly; 2^53 is used"};
  }
  return {reported, ""};
}

// ---- implementations ---------------------------------------------------------------------

// A macro's value as written: AdaptiveCpp 24.06 defines ACPP_VERSION_MINOR as `06`, an
// octal literal in C++ (and `08`, `09` would not compile as integers at all), so the
// version is read as text, never as a number.
#define XPD_SYCL_STRINGIZE_(x) #x
#define XPD_SYCL_STRINGIZE(x) XPD_SYCL_STRINGIZE_(x)

// "24" "06" "0" "+git.abc" -> "24.06.0+git.abc"
inline std::string versionText(const char* major, const char* minor, const char* patch, const char* suffix = "") {
  return std::string(major) + "." + minor + "." + patch + (suffix ? suffix : "");
}

// Whether device allocations get made resident on the other devices of their context:
// the mechanism of the shadowing reports (a host copy per peer on the xe driver).
//   peers    every device of the context (with peer access): DPC++'s Level Zero adapter
//            by default (UR_L0_USM_RESIDENT unset = 0x2; intel/llvm#22873)
//   owner    the device of the allocation only (UR_L0_USM_RESIDENT device digit 1)
//   none     never (AdaptiveCpp's Level Zero backend has no zeContextMakeMemoryResident
//            call at all, 24.06; UR_L0_USM_RESIDENT device digit 0)
//   unknown  anything else: an expectation that depends on it must not guess
struct Residency {
  std::string value;
  std::string basis;
};

// DPC++'s Level Zero adapter reads UR_L0_USM_RESIDENT (else the older
// SYCL_PI_LEVEL_ZERO_USM_RESIDENT) as 0xHSD, one hex digit per memory kind (host,
// shared, device), parsed like std::stoi(s, nullptr, 0); `shift` picks the digit (0:
// device, 4: shared, 8: host). The adapter's default is 0x2.
inline Residency dpcppResidency(const char* ur, const char* pi, int shift) {
  const char* name = ur ? "UR_L0_USM_RESIDENT" : "SYCL_PI_LEVEL_ZERO_USM_RESIDENT";
  const char* text = ur ? ur : pi;
  long value = 0x2;
  std::string basis = "DPC++ Level Zero adapter default (UR_L0_USM_RESIDENT unset: 0x2)";
  if (text) {
    char* end = nullptr;
    errno = 0;
    value = std::strtol(text, &end, 0);
    if (end == text || errno != 0 || value < 0) return {"unknown", std::string(name) + "=" + text + " is not a number the adapter reads"};
    basis = std::string(name) + "=" + text;
  }
  switch ((value >> shift) & 0xF) {
    case 0: return {"none", basis};
    case 1: return {"owner", basis};
    case 2: return {"peers", basis};
    default: return {"unknown", basis + ": digit " + std::to_string((value >> shift) & 0xF) + " has no documented meaning"};
  }
}

// ---- peer copies ------------------------------------------------------------------------

// How bytes get from one device's allocation to another's. SYCL 2020 makes device USM
// accessible on its own device only: a queue::memcpy between two devices' memory is
// portable only where the sycl_ext_oneapi_peer_access extension granted the access.
//   same-device  both are one device (the CPU as two logical devices) in one context
//   peer-access  queue::memcpy after device::ext_oneapi_enable_peer_access
//   staged-host  read into host memory on the source's queue, written on the destination's
enum class Route { SameDevice, PeerAccess, StagedHost };

inline const char* routeName(Route r) {
  switch (r) {
    case Route::SameDevice: return "same-device";
    case Route::PeerAccess: return "peer-access";
    case Route::StagedHost: return "staged-host";
  }
  return "?";
}

inline Route chooseRoute(bool sameDevice, bool sameContext, bool peerAccess) {
  if (!sameContext) return Route::StagedHost;  // a USM pointer is valid in its own context only
  if (sameDevice) return Route::SameDevice;
  return peerAccess ? Route::PeerAccess : Route::StagedHost;
}

// ---- asynchronous errors ----------------------------------------------------------------

// Errors of work already running (a kernel, a copy) arrive asynchronously, through the
// async_handler of the queue (or context) the runtime hands them to. One store per
// queue, so that a wait rethrows what was handed to that queue and not another's; the
// handler only keeps them (it may be called from a destructor, where a throw would end
// the process).
class AsyncErrors {
 public:
  explicit AsyncErrors(std::string where) : where_(std::move(where)) {}

  template <typename List>
  void add(const List& errors) {
    const std::lock_guard<std::mutex> lock(mutex_);
    for (const std::exception_ptr& e : errors) pending_.push_back(e);
  }

  // The first error pending (null if none) and how many more came with it; all are
  // forgotten: they are one failure, reported once.
  std::exception_ptr take(size_t* more) {
    const std::lock_guard<std::mutex> lock(mutex_);
    *more = pending_.empty() ? 0 : pending_.size() - 1;
    std::exception_ptr first = pending_.empty() ? nullptr : pending_.front();
    pending_.clear();
    return first;
  }

  // "device 1, copy queue": where the runtime handed the errors.
  const std::string& where() const { return where_; }

 private:
  std::string where_;
  std::mutex mutex_;
  std::vector<std::exception_ptr> pending_;
};

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
