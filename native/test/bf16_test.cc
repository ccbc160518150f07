// BF16 conversion: RNE ties to even, NaN, inf, overflow, subnormals, truncation, and
// a comparison with a reference rounding computed in double over many values.
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "core/bf16.h"
#include "core/sweep.h"

using namespace xpd;

static int failures = 0;

#define EXPECT_EQ16(expr, want)                                                                      \
  do {                                                                                               \
    const unsigned got_ = (expr), want_ = (want);                                                    \
    if (got_ != want_) {                                                                             \
      std::printf("FAIL %s:%d: %s = 0x%04x, want 0x%04x\n", __FILE__, __LINE__, #expr, got_, want_); \
      ++failures;                                                                                    \
    }                                                                                                \
  } while (0)

#define EXPECT_TRUE(cond)                                         \
  do {                                                            \
    if (!(cond)) {                                                \
      std::printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                 \
    }                                                             \
  } while (0)

static uint16_t rne(uint32_t bits) { return f32ToBf16Rne(bitsF32(bits)); }
static uint16_t trunc16(uint32_t bits) { return f32ToBf16Trunc(bitsF32(bits)); }
static bool isNan16(uint16_t h) { return (h & 0x7f80u) == 0x7f80u && (h & 0x007fu) != 0; }

// Nearest BF16 by exhaustive neighbourhood search in double; ties to the even one.
static uint16_t referenceRne(float x) {
  const uint16_t t = static_cast<uint16_t>(f32Bits(x) >> 16);  // toward zero
  const uint16_t up = static_cast<uint16_t>(t + 1);            // away from zero (may be inf)
  const double dx = x;
  // Past the largest finite value, IEEE rounding treats inf as if it were 2^128.
  const double lo = bf16ToF32(t), hi = (up & 0x7fffu) == 0x7f80u ? std::copysign(0x1p128, dx) : bf16ToF32(up);
  const double dl = std::fabs(dx - lo), dh = std::fabs(hi - dx);
  if (dl < dh) return t;
  if (dh < dl) return up;
  return (t & 1) ? up : t;
}

int main() {
  // Exact values stay.
  EXPECT_EQ16(rne(0x3f800000), 0x3f80);  // 1.0
  EXPECT_EQ16(rne(0x80000000), 0x8000);  // -0.0 keeps its sign
  EXPECT_EQ16(rne(0x00000000), 0x0000);
  // Ties go to even: 1 + 2^-8 lies halfway between 0x3f80 (even) and 0x3f81.
  EXPECT_EQ16(rne(0x3f808000), 0x3f80);
  EXPECT_EQ16(rne(0x3f818000), 0x3f82);  // halfway between 0x3f81 and 0x3f82 (even)
  EXPECT_EQ16(rne(0xbf808000), 0xbf80);  // negative ties too
  EXPECT_EQ16(rne(0xbf818000), 0xbf82);
  EXPECT_EQ16(rne(0x3f808001), 0x3f81);  // just above the tie
  EXPECT_EQ16(rne(0x3f807fff), 0x3f80);  // just below
  // Carry into the exponent: the largest mantissa rounds up to the next binade.
  EXPECT_EQ16(rne(0x3fffffff), 0x4000);
  // Overflow: FLT_MAX rounds to inf; truncation keeps the largest finite BF16.
  EXPECT_EQ16(rne(0x7f7fffff), 0x7f80);
  EXPECT_EQ16(trunc16(0x7f7fffff), 0x7f7f);
  // Infinities.
  EXPECT_EQ16(rne(0x7f800000), 0x7f80);
  EXPECT_EQ16(rne(0xff800000), 0xff80);
  EXPECT_EQ16(trunc16(0xff800000), 0xff80);
  // NaNs stay NaN, keep their sign, and are quiet; a payload only in the low half must
  // not turn into inf (a bare `>> 16` would give 0x7f80).
  EXPECT_EQ16(rne(0x7fc00000), 0x7fc0);
  EXPECT_TRUE(isNan16(rne(0x7f800001)));
  EXPECT_TRUE(isNan16(trunc16(0x7f800001)));
  EXPECT_EQ16(trunc16(0x7f800001) & 0x8000, 0);
  EXPECT_EQ16(rne(0xff800001) & 0x8000, 0x8000);
  EXPECT_TRUE(isNan16(rne(0x7fffffff)));  // would carry into the sign bit
  EXPECT_TRUE(std::isnan(bf16ToF32(0x7fc1)));
  // Subnormals: BF16 has them too (8 bits fewer).
  EXPECT_EQ16(rne(0x00000001), 0x0000);  // 2^-149 rounds to zero
  EXPECT_EQ16(rne(0x00010000), 0x0001);  // the smallest BF16 subnormal, exact
  EXPECT_EQ16(rne(0x00008000), 0x0000);  // tie -> even (zero)
  EXPECT_EQ16(rne(0x00018000), 0x0002);  // tie -> even
  EXPECT_EQ16(rne(0x007fffff), 0x0080);  // largest subnormal rounds up to the smallest normal
  EXPECT_EQ16(trunc16(0x007fffff), 0x007f);
  EXPECT_EQ16(rne(0x80018000), 0x8002);
  // Truncation goes toward zero.
  EXPECT_EQ16(trunc16(0x3f80ffff), 0x3f80);
  EXPECT_EQ16(trunc16(0xbf80ffff), 0xbf80);

  // Every BF16 value converts back to itself, both ways; every NaN stays a NaN.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = bf16ToF32(static_cast<uint16_t>(h));
    if (isNan16(static_cast<uint16_t>(h))) {
      EXPECT_TRUE(isNan16(f32ToBf16Rne(f)) && isNan16(f32ToBf16Trunc(f)));
    } else if (f32ToBf16Rne(f) != h || f32ToBf16Trunc(f) != h) {
      std::printf("FAIL round trip of 0x%04x\n", h);
      ++failures;
      break;
    }
  }

  // Against the reference on 4M values spread over every exponent (and all the
  // low-half bit patterns near ties).
  int mismatches = 0;
  for (uint64_t i = 0; i < (4u << 20); ++i) {
    uint32_t bits = static_cast<uint32_t>(mix64(i));
    if (i & 1) bits = (bits & 0xffff0000u) | (0x8000u + static_cast<uint32_t>(i % 3) - 1);  // at and around ties
    const float x = bitsF32(bits);
    if (std::isnan(x)) continue;
    const uint16_t got = f32ToBf16Rne(x);
    const uint16_t want = std::isinf(x) ? static_cast<uint16_t>(bits >> 16) : referenceRne(x);
    // Truncation: never larger in magnitude, less than one BF16 ulp away.
    const uint16_t t = f32ToBf16Trunc(x);
    const bool truncOk =
        std::isinf(x) || (std::fabs(static_cast<double>(bf16ToF32(t))) <= std::fabs(static_cast<double>(x)) && t == static_cast<uint16_t>(bits >> 16));
    if ((got != want || !truncOk) && mismatches++ < 5) std::printf("FAIL 0x%08x: rne 0x%04x want 0x%04x, trunc 0x%04x\n", bits, got, want, t);
  }
  failures += mismatches;

  std::printf("%s: bf16 conversions (%d failures)\n", failures ? "FAIL" : "ok", failures);
  return failures ? 1 : 0;
}
