// Element-wise kernels of the CUDA backend, behind plain C++ launchers so that the
// backend itself compiles with the host compiler (and its warnings).
//
// Every launcher enqueues one grid-stride kernel on `stream` and returns the launch
// result. Pointers that are suitably aligned (16 bytes for f32/u32 arrays, 8 bytes
// for bf16 arrays) take the vector path (float4 / 8-byte loads); any other alignment
// falls back to scalar accesses, so callers may pass sub-buffer offsets.
#pragma once

#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

namespace xpd {
namespace cuda {

struct Launch {
  cudaStream_t stream = nullptr;
  int maxBlocks = 1;  // upper bound on the grid: a few blocks per SM saturate memory
};

cudaError_t fill32(const Launch& l, uint32_t* dst, uint32_t pattern, size_t n);
cudaError_t addF32(const Launch& l, float* out, const float* in, size_t n);
// out[i] = a[i] + b[i]
cudaError_t sumF32(const Launch& l, float* out, const float* a, const float* b, size_t n);
// rne: round to nearest even with __float2bfloat16_rn's semantics (every NaN becomes
// the canonical 0x7FFF); otherwise the top 16 bits, as the shipped SYCL code does.
cudaError_t f32ToBf16(const Launch& l, uint16_t* out, const float* in, size_t n, bool rne);
cudaError_t addBf16(const Launch& l, float* out, const uint16_t* in, size_t n);
cudaError_t sumBf16Pair(const Launch& l, float* out, const uint16_t* a, const uint16_t* b, size_t n);
// s = a[i] + b[i]; outA[i] = outB[i] = s. Any of the pointers may be a peer's (peer
// access enabled): the two-shot exchange writes the sum to both devices.
cudaError_t sumF32Shared(const Launch& l, float* outA, float* outB, const float* a, const float* b, size_t n);
// out[i] = a[i] + float(b[i])
cudaError_t sumF32Bf16(const Launch& l, float* out, const float* a, const uint16_t* b, size_t n);

}  // namespace cuda
}  // namespace xpd
