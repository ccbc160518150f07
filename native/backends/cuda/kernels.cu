// Grid-stride element-wise kernels for the collective primitives (see kernels.h).
//
// Each kernel first walks `nvec` groups of 4 elements with vector accesses, then the
// remaining `n - 4 * nvec` elements one by one; the launcher sets nvec = 0 when the
// pointers are not aligned for the vector path.
#include "kernels.h"

namespace xpd {
namespace cuda {
namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ size_t firstIndex() { return size_t(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ __forceinline__ size_t gridStride() { return size_t(gridDim.x) * blockDim.x; }

// bf16 -> f32 is exact: the bf16 bits are the top half of the f32.
__device__ __forceinline__ float bf16Bits(uint32_t h) { return __uint_as_float((h & 0xffffu) << 16); }

// Round to nearest even with the semantics of __float2bfloat16_rn (its software path
// in cuda_bf16.hpp: NaN -> canonical 0x7FFF, subnormals kept, overflow -> inf). Spelled
// out in integer arithmetic rather than cvt.rn.bf16.f32 so that the result is the same
// bits on every GPU and PTX JIT target, and the same as the CPU references elsewhere.
__device__ __forceinline__ uint32_t toBf16Rne(float f) {
  const uint32_t x = __float_as_uint(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return 0x7fffu;
  const uint32_t hi = x >> 16, lo = x & 0xffffu;
  return hi + ((lo > 0x8000u || (lo == 0x8000u && (hi & 1u))) ? 1u : 0u);
}

// Truncation keeps the top 16 bits, exactly like the shipped SYCL code, including its
// quirk that a NaN whose payload sits only in the low 16 bits becomes an infinity.
__device__ __forceinline__ uint32_t toBf16Trunc(float f) { return __float_as_uint(f) >> 16; }

__device__ __forceinline__ uint32_t toBf16(float f, bool rne) { return rne ? toBf16Rne(f) : toBf16Trunc(f); }

__global__ void fill32Kernel(uint32_t* dst, uint32_t pattern, size_t nvec, size_t n) {
  const uint4 p = make_uint4(pattern, pattern, pattern, pattern);
  uint4* v = reinterpret_cast<uint4*>(dst);
  for (size_t i = firstIndex(); i < nvec; i += gridStride()) v[i] = p;
  for (size_t i = 4 * nvec + firstIndex(); i < n; i += gridStride()) dst[i] = pattern;
}

__global__ void addF32Kernel(float* out, const float* in, size_t nvec, size_t n) {
  float4* o = reinterpret_cast<float4*>(out);
  const float4* a = reinterpret_cast<const float4*>(in);
  for (size_t i = firstIndex(); i < nvec; i += gridStride()) {
    float4 r = o[i];
    const float4 x = a[i];
    r.x += x.x;
    r.y += x.y;
    r.z += x.z;
    r.w += x.w;
    o[i] = r;
  }
  for (size_t i = 4 * nvec + firstIndex(); i < n; i += gridStride()) out[i] += in[i];
}

__global__ void sumF32Kernel(float* out, const float* a, const float* b, size_t nvec, size_t n) {
  float4* o = reinterpret_cast<float4*>(out);
  const float4* x = reinterpret_cast<const float4*>(a);
  const float4* y = reinterpret_cast<const float4*>(b);
  for (size_t i = firstIndex(); i < nvec; i += gridStride()) {
    const float4 p = x[i];
    const float4 q = y[i];
    o[i] = make_float4(p.x + q.x, p.y + q.y, p.z + q.z, p.w + q.w);
  }
  for (size_t i = 4 * nvec + firstIndex(); i < n; i += gridStride()) out[i] = a[i] + b[i];
}

__global__ void f32ToBf16Kernel(uint16_t* out, const float* in, size_t nvec, size_t n, bool rne) {
  uint2* o = reinterpret_cast<uint2*>(out);
  const float4* a = reinterpret_cast<const float4*>(in);
  for (size_t i = firstIndex(); i < nvec; i += gridStride()) {
    const float4 x = a[i];
    // Little endian: element 4i sits in the low half of .x.
    o[i] = make_uint2(toBf16(x.x, rne) | (toBf16(x.y, rne) << 16), toBf16(x.z, rne) | (toBf16(x.w, rne) << 16));
  }
  for (size_t i = 4 * nvec + firstIndex(); i < n; i += gridStride()) out[i] = uint16_t(toBf16(in[i], rne));
}

__global__ void addBf16Kernel(float* out, const uint16_t* in, size_t nvec, size_t n) {
  float4* o = reinterpret_cast<float4*>(out);
  const uint2* a = reinterpret_cast<const uint2*>(in);
  for (size_t i = firstIndex(); i < nvec; i += gridStride()) {
    float4 r = o[i];
    const uint2 h = a[i];
    r.x += bf16Bits(h.x);
    r.y += bf16Bits(h.x >> 16);
    r.z += bf16Bits(h.y);
    r.w += bf16Bits(h.y >> 16);
    o[i] = r;
  }
  for (size_t i = 4 * nvec + firstIndex(); i < n; i += gridStride()) out[i] += bf16Bits(in[i]);
}

__global__ void sumBf16PairKernel(float* out, const uint16_t* a, const uint16_t* b, size_t nvec, size_t n) {
  float4* o = reinterpret_cast<float4*>(out);
  const uint2* va = reinterpret_cast<const uint2*>(a);
  const uint2* vb = reinterpret_cast<const uint2*>(b);
  for (size_t i = firstIndex(); i < nvec; i += gridStride()) {
    const uint2 x = va[i], y = vb[i];
    o[i] = make_float4(bf16Bits(x.x) + bf16Bits(y.x), bf16Bits(x.x >> 16) + bf16Bits(y.x >> 16), bf16Bits(x.y) + bf16Bits(y.y),
                       bf16Bits(x.y >> 16) + bf16Bits(y.y >> 16));
  }
  for (size_t i = 4 * nvec + firstIndex(); i < n; i += gridStride()) out[i] = bf16Bits(a[i]) + bf16Bits(b[i]);
}

__global__ void sumF32SharedKernel(float* outA, float* outB, const float* a, const float* b, size_t nvec, size_t n) {
  float4* oa = reinterpret_cast<float4*>(outA);
  float4* ob = reinterpret_cast<float4*>(outB);
  const float4* x = reinterpret_cast<const float4*>(a);
  const float4* y = reinterpret_cast<const float4*>(b);
  for (size_t i = firstIndex(); i < nvec; i += gridStride()) {
    const float4 p = x[i];
    const float4 q = y[i];
    const float4 s = make_float4(p.x + q.x, p.y + q.y, p.z + q.z, p.w + q.w);
    oa[i] = s;
    ob[i] = s;
  }
  for (size_t i = 4 * nvec + firstIndex(); i < n; i += gridStride()) {
    const float s = a[i] + b[i];
    outA[i] = s;
    outB[i] = s;
  }
}

__global__ void sumF32Bf16Kernel(float* out, const float* a, const uint16_t* b, size_t nvec, size_t n) {
  float4* o = reinterpret_cast<float4*>(out);
  const float4* x = reinterpret_cast<const float4*>(a);
  const uint2* y = reinterpret_cast<const uint2*>(b);
  for (size_t i = firstIndex(); i < nvec; i += gridStride()) {
    const float4 p = x[i];
    const uint2 h = y[i];
    o[i] = make_float4(p.x + bf16Bits(h.x), p.y + bf16Bits(h.x >> 16), p.z + bf16Bits(h.y), p.w + bf16Bits(h.y >> 16));
  }
  for (size_t i = 4 * nvec + firstIndex(); i < n; i += gridStride()) out[i] = a[i] + bf16Bits(b[i]);
}

bool aligned(const void* p, size_t alignment) { return reinterpret_cast<uintptr_t>(p) % alignment == 0; }

// Enough blocks for the larger of the two loops, capped so a huge array does not
// launch millions of blocks that each do one step.
unsigned blocksFor(const Launch& l, size_t nvec, size_t n) {
  const size_t units = nvec > n - 4 * nvec ? nvec : n - 4 * nvec;
  size_t blocks = (units + kThreads - 1) / kThreads;
  const size_t cap = l.maxBlocks > 0 ? size_t(l.maxBlocks) : 1;
  if (blocks > cap) blocks = cap;
  return blocks == 0 ? 1u : unsigned(blocks);
}

}  // namespace

cudaError_t fill32(const Launch& l, uint32_t* dst, uint32_t pattern, size_t n) {
  if (n == 0) return cudaSuccess;
  const size_t nvec = aligned(dst, 16) ? n / 4 : 0;
  fill32Kernel<<<blocksFor(l, nvec, n), kThreads, 0, l.stream>>>(dst, pattern, nvec, n);
  return cudaGetLastError();
}

cudaError_t sumF32(const Launch& l, float* out, const float* a, const float* b, size_t n) {
  if (n == 0) return cudaSuccess;
  const size_t nvec = aligned(out, 16) && aligned(a, 16) && aligned(b, 16) ? n / 4 : 0;
  sumF32Kernel<<<blocksFor(l, nvec, n), kThreads, 0, l.stream>>>(out, a, b, nvec, n);
  return cudaGetLastError();
}

cudaError_t addF32(const Launch& l, float* out, const float* in, size_t n) {
  if (n == 0) return cudaSuccess;
  const size_t nvec = aligned(out, 16) && aligned(in, 16) ? n / 4 : 0;
  addF32Kernel<<<blocksFor(l, nvec, n), kThreads, 0, l.stream>>>(out, in, nvec, n);
  return cudaGetLastError();
}

cudaError_t f32ToBf16(const Launch& l, uint16_t* out, const float* in, size_t n, bool rne) {
  if (n == 0) return cudaSuccess;
  const size_t nvec = aligned(out, 8) && aligned(in, 16) ? n / 4 : 0;
  f32ToBf16Kernel<<<blocksFor(l, nvec, n), kThreads, 0, l.stream>>>(out, in, nvec, n, rne);
  return cudaGetLastError();
}

cudaError_t addBf16(const Launch& l, float* out, const uint16_t* in, size_t n) {
  if (n == 0) return cudaSuccess;
  const size_t nvec = aligned(out, 16) && aligned(in, 8) ? n / 4 : 0;
  addBf16Kernel<<<blocksFor(l, nvec, n), kThreads, 0, l.stream>>>(out, in, nvec, n);
  return cudaGetLastError();
}

cudaError_t sumBf16Pair(const Launch& l, float* out, const uint16_t* a, const uint16_t* b, size_t n) {
  if (n == 0) return cudaSuccess;
  const size_t nvec = aligned(out, 16) && aligned(a, 8) && aligned(b, 8) ? n / 4 : 0;
  sumBf16PairKernel<<<blocksFor(l, nvec, n), kThreads, 0, l.stream>>>(out, a, b, nvec, n);
  return cudaGetLastError();
}

cudaError_t sumF32Shared(const Launch& l, float* outA, float* outB, const float* a, const float* b, size_t n) {
  if (n == 0) return cudaSuccess;
  const size_t nvec = aligned(outA, 16) && aligned(outB, 16) && aligned(a, 16) && aligned(b, 16) ? n / 4 : 0;
  sumF32SharedKernel<<<blocksFor(l, nvec, n), kThreads, 0, l.stream>>>(outA, outB, a, b, nvec, n);
  return cudaGetLastError();
}

cudaError_t sumF32Bf16(const Launch& l, float* out, const float* a, const uint16_t* b, size_t n) {
  if (n == 0) return cudaSuccess;
  const size_t nvec = aligned(out, 16) && aligned(a, 16) && aligned(b, 8) ? n / 4 : 0;
  sumF32Bf16Kernel<<<blocksFor(l, nvec, n), kThreads, 0, l.stream>>>(out, a, b, nvec, n);
  return cudaGetLastError();
}

}  // namespace cuda
}  // namespace xpd
