// BF16 <-> FP32 conversions shared by the host backend, the checks and (through
// XPD_HD) device code: one definition, so every backend rounds the same way.
//
// BF16 is the upper half of an FP32: same exponent range, 8 significant bits.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__CUDACC__) || defined(__HIPCC__)
#define XPD_HD __host__ __device__
#else
#define XPD_HD
#endif

namespace xpd {

XPD_HD inline uint32_t f32Bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

XPD_HD inline float bitsF32(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

XPD_HD inline bool f32IsNan(uint32_t bits) { return (bits & 0x7fffffffu) > 0x7f800000u; }

// Round to nearest, ties to even (what ggml's fp32->bf16 and CUDA's __float2bfloat16
// do). Adding 0x7fff plus the lowest kept bit carries into the kept half exactly when
// the dropped half is above the midpoint, or at it with an odd kept half. The carry may
// run into the exponent: that is the correct rounding up to the next binade or to inf.
XPD_HD inline uint16_t f32ToBf16Rne(float f) {
  const uint32_t u = f32Bits(f);
  // A NaN must stay a NaN: rounding could carry its payload into the sign bit or leave
  // only zero mantissa bits (inf). Set the quiet bit and keep the sign.
  if (f32IsNan(u)) return static_cast<uint16_t>((u >> 16) | 0x0040u);
  const uint32_t lsb = (u >> 16) & 1u;
  return static_cast<uint16_t>((u + 0x7fffu + lsb) >> 16);
}

// Truncation (toward zero), as the shipped SYCL all-reduce converts (`bits >> 16`).
// Unlike a bare shift, a NaN whose payload lies only in the dropped half stays a NaN
// instead of becoming inf: a diagnostic tool must not turn a NaN into a number.
XPD_HD inline uint16_t f32ToBf16Trunc(float f) {
  const uint32_t u = f32Bits(f);
  if (f32IsNan(u)) return static_cast<uint16_t>((u >> 16) | 0x0040u);
  return static_cast<uint16_t>(u >> 16);
}

XPD_HD inline float bf16ToF32(uint16_t h) { return bitsF32(static_cast<uint32_t>(h) << 16); }

}  // namespace xpd
