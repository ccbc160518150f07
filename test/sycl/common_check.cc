// Checks the SYCL plugin's plain-C++ part (native/backends/sycl/sycl_common.h) with g++:
// the BF16 conversions its kernels run against the shared reference (core/bf16.h) and
// the shipped truncation, option parsing, the variant table, the facts read from the
// environment. Built and run by test/sycl/sycl.test.ts; prints "ok" and exits 0.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

#include "backends/sycl/sycl_common.h"
#include "core/bf16.h"

using namespace xpd;
using namespace xpd::syclb;

static int failures = 0;
#define CHECK(cond)                                                       \
  do {                                                                    \
    if (!(cond)) {                                                        \
      std::fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                         \
    }                                                                     \
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
  CHECK(mappedLibraries({"libstdc++.so"}).find("libstdc++.so") != std::string::npos);
  CHECK(mappedLibraries({"libno-such-library.so"}).empty());
  CHECK(hexId("0x8086") == "8086" && hexId("0xE20B") == "e20b");
  const PciFacts none = pciFacts("");
  CHECK(none.pciId.empty() && none.kernelDriver.empty());
}

int main() {
  bf16();
  options();
  variants();
  facts();
  if (failures) {
    std::fprintf(stderr, "%d checks failed\n", failures);
    return 1;
  }
  std::printf("ok\n");
  return 0;
}
