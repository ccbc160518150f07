// Checks the SYCL plugin's plain-C++ part (native/backends/sycl/sycl_common.h) with g++:
// the BF16 conversions its kernels run against the shared reference (core/bf16.h) and
// the shipped truncation, option parsing, the variant table, the facts read from the
// environment. Built and run by test/sycl/sycl.test.ts; prints "ok" and exits 0.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>
#include <string>

#include "backends/sycl/sycl_common.h"
#include "core/bf16.h"

using namespace xpd;
using namespace xpd::syclb;

static int failures = 0;
#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                                   \
    }                                                                               \
  } while (0)

template <typename E, typename F>
static bool throws(F f) {
  try {
    f();
  } catch (const E&) {
    return true;
  } catch (...) {
    return false;
  }
  return false;
}

static void bf16() {
  // Every exponent with assorted mantissas, plus the edges: the RNE kernel matches the
  // shared reference on every non-NaN value, truncation is the top half of the bits.
  uint32_t state = 12345;
  for (int i = 0; i < 2000000; ++i) {
    state = state * 1664525u + 1013904223u;
    const uint32_t bits = (i & 1) ? state : (state & 0xffff0000u) | (i & 2 ? 0x8000u : 0x7fffu);
    const float f = bitsF32(bits);
    if (!f32IsNan(bits)) CHECK(bf16Rne(f) == f32ToBf16Rne(f));
    CHECK(bf16Trunc(f) == static_cast<uint16_t>(bits >> 16));
    CHECK(f32ToBits(bf16Value(static_cast<uint16_t>(bits >> 16))) == (bits & 0xffff0000u));
  }
  // Ties go to even; overflow rounds to infinity; NaN stays NaN (canonical 0x7FFF).
  CHECK(bf16Rne(bitsF32(0x3f808000u)) == 0x3f80);
  CHECK(bf16Rne(bitsF32(0x3f818000u)) == 0x3f82);
  CHECK(bf16Rne(bitsF32(0x7f7fffffu)) == 0x7f80);
  CHECK(bf16Rne(std::numeric_limits<float>::quiet_NaN()) == 0x7fff);
  // The shipped truncation's quirk: a NaN with its payload in the low half becomes inf.
  CHECK(bf16Trunc(bitsF32(0x7f800001u)) == 0x7f80);
  CHECK(bf16Value(0x3f80) == 1.0f);
}

static void options() {
  CHECK(parseOptions({}).contextAll);  // the platform's default context, as SYCL programs get
  CHECK(!parseOptions({{"contextDevices", "one"}}).contextAll);
  CHECK(parseOptions({{"contextDevices", "all"}}).contextAll);
  CHECK(throws<std::invalid_argument>([] { parseOptions({{"contextDevices", "some"}}); }));
  CHECK(throws<std::invalid_argument>([] { parseOptions({{"residency", "peers"}}); }));
  // The CPU device: opt-in by option or by XPUDIAG_SYCL_DEVICE; the option wins.
  CHECK(parseOptions({}).deviceType == DeviceType::Gpu && parseOptions({}).deviceTypeFrom == "default");
  CHECK(parseOptions({{"deviceType", "cpu"}}).deviceType == DeviceType::Cpu);
  CHECK(parseOptions({{"deviceType", "cpu"}}).deviceTypeFrom == "option");
  CHECK(parseOptions({}, "cpu").deviceType == DeviceType::Cpu && parseOptions({}, "cpu").deviceTypeFrom == "XPUDIAG_SYCL_DEVICE");
  CHECK(parseOptions({{"deviceType", "gpu"}}, "cpu").deviceType == DeviceType::Gpu);
  CHECK(parseOptions({}, "").deviceType == DeviceType::Gpu);  // set but empty: as unset
  CHECK(throws<std::invalid_argument>([] { parseOptions({{"deviceType", "fpga"}}); }));
  CHECK(throws<std::invalid_argument>([] { parseOptions({}, "CPU"); }));
  CHECK(std::string(deviceTypeName(DeviceType::Cpu)) == "cpu" && kCpuLogicalDevices == 2);
}

static void implementations() {
  // The version is read as text: `08` is no integer literal, `06` an octal one.
#define XPD_TEST_MINOR 08
  CHECK(versionText("24", XPD_SYCL_STRINGIZE(XPD_TEST_MINOR), "0", "+git.1") == "24.08.0+git.1");
#undef XPD_TEST_MINOR
  CHECK(versionText("24", "06", "0") == "24.06.0");
  // DPC++'s Level Zero adapter: 0xHSD, default 0x2; base detected as std::stoi(s, 0, 0).
  CHECK(dpcppResidency(nullptr, nullptr, 0).value == "peers");
  CHECK(dpcppResidency(nullptr, nullptr, 0).basis.find("default") != std::string::npos);
  CHECK(dpcppResidency(nullptr, nullptr, 4).value == "none");  // shared: digit 0 by default
  CHECK(dpcppResidency("0x1", nullptr, 0).value == "owner");
  CHECK(dpcppResidency("0x1", nullptr, 0).basis == "UR_L0_USM_RESIDENT=0x1");
  CHECK(dpcppResidency("0x010", nullptr, 0).value == "none" && dpcppResidency("0x010", nullptr, 4).value == "owner");
  CHECK(dpcppResidency("0", nullptr, 0).value == "none");
  CHECK(dpcppResidency(nullptr, "0x002", 0).value == "peers");  // the older name
  CHECK(dpcppResidency(nullptr, "0x002", 0).basis == "SYCL_PI_LEVEL_ZERO_USM_RESIDENT=0x002");
  CHECK(dpcppResidency("0x1", "0x2", 0).value == "owner");  // the newer name wins
  CHECK(dpcppResidency("0x7", nullptr, 0).value == "unknown");
  CHECK(dpcppResidency("peers", nullptr, 0).value == "unknown");
}

static void memory() {
  const uint64_t total = uint64_t(24) << 30;
  // AdaptiveCpp's OpenMP device: SIZE_MAX (16 EiB) becomes MemTotal, and says so.
  const MemorySize omp = plausibleMemory(std::numeric_limits<uint64_t>::max(), true, total);
  CHECK(omp.bytes == total && omp.note.find("18446744073709551615") != std::string::npos);
  CHECK(plausibleMemory(uint64_t(8) << 30, true, total).note.empty());                               // a CPU device's honest size stays
  CHECK(plausibleMemory(uint64_t(16) << 30, false, total).bytes == uint64_t(16) << 30);              // a GPU's may exceed host memory
  CHECK(plausibleMemory(uint64_t(1) << 60, false, total).bytes == uint64_t(1) << 53);                // past what JavaScript holds exactly
  CHECK(plausibleMemory(std::numeric_limits<uint64_t>::max(), true, 0).bytes == uint64_t(1) << 53);  // no MemTotal
  CHECK(hostMemTotalBytes() > 0);
}

static void routes() {
  CHECK(chooseRoute(true, true, false) == Route::SameDevice);
  CHECK(chooseRoute(true, false, true) == Route::StagedHost);  // one device, two contexts: pointers of one are not valid in the other
  CHECK(chooseRoute(false, true, true) == Route::PeerAccess);
  CHECK(chooseRoute(false, true, false) == Route::StagedHost);
  CHECK(std::string(routeName(Route::StagedHost)) == "staged-host" && std::string(routeName(Route::PeerAccess)) == "peer-access");
}

static void asyncErrors() {
  AsyncErrors a("device 0's compute queue"), b("device 1's compute queue");
  b.add(std::vector<std::exception_ptr>{std::make_exception_ptr(std::runtime_error("first")), std::make_exception_ptr(std::runtime_error("second"))});
  size_t more = 9;
  CHECK(!a.take(&more) && more == 0);  // another queue's errors are not this one's
  const std::exception_ptr e = b.take(&more);
  CHECK(e && more == 1 && b.where() == "device 1's compute queue");
  try {
    std::rethrow_exception(e);
  } catch (const std::runtime_error& x) {
    CHECK(std::string(x.what()) == "first");
  }
  CHECK(!b.take(&more));  // reported once
}

static void variants() {
  const std::vector<std::string> names = variantNames();
  CHECK((names == std::vector<std::string>{"aligned_alloc_device", "malloc_device", "malloc_shared", "malloc_host"}));
  for (const std::string& n : names) CHECK(variantName(parseVariant(n)) == n);
  CHECK(throws<Unsupported>([] { parseVariant("zeMemAllocDevice"); }));
  CHECK(!hostAccessible(Variant::AlignedAllocDevice) && !hostAccessible(Variant::MallocDevice));
  CHECK(hostAccessible(Variant::MallocShared) && hostAccessible(Variant::MallocHost));
  CHECK(std::string(variantCall(Variant::AlignedAllocDevice)) == "sycl::aligned_alloc_device");
  CHECK(kAlignment == 64);
}

static void facts() {
  unsetenv("UR_L0_USM_ALLOCATOR");
  setenv("UR_L0_DISABLE_USM_ALLOCATOR", "1", 1);
  auto f = poolFacts();
  CHECK(f.count("usmPool") == 1 && f["usmPool"].find("4 MiB") != std::string::npos);
  CHECK(f["UR_L0_DISABLE_USM_ALLOCATOR"] == "1");
  CHECK(f.count("UR_L0_USM_ALLOCATOR") == 0);  // recorded only when set
  setenv("UR_L0_USM_ALLOCATOR", "1;32M", 1);
  CHECK(poolFacts()["UR_L0_USM_ALLOCATOR"] == "1;32M");
  CHECK(poolFacts(false)["usmPool"].find("AdaptiveCpp") != std::string::npos);
  CHECK(mappedLibraries({"libstdc++.so"}).find("libstdc++.so") != std::string::npos);
  CHECK(mappedLibraries({"libno-such-library.so"}).empty());
  CHECK(hexId("0x8086") == "8086" && hexId("0xE20B") == "e20b");
  const PciFacts none = pciFacts("");
  CHECK(none.pciId.empty() && none.kernelDriver.empty());
}

int main() {
  bf16();
  options();
  implementations();
  memory();
  routes();
  asyncErrors();
  variants();
  facts();
  if (failures) {
    std::fprintf(stderr, "%d checks failed\n", failures);
    return 1;
  }
  std::printf("ok\n");
  return 0;
}
