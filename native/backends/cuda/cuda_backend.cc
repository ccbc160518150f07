// The CUDA backend, built as its own plugin (libxpudiag_cuda.so) and opened by the addon
// with dlopen. It links the CUDA runtime statically, so at run time it needs only the
// driver (libcuda.so.1); NCCL is opened lazily (nccl_loader.h).
//
// Like every backend it is driven by one thread at a time. cudaSetDevice is per host
// thread, so every entry point selects its device before its first CUDA call.

// The interface types are thrown across the plugin boundary and must keep default
// visibility even though the plugin hides everything else.
#pragma GCC visibility push(default)
#include "xpudiag/backend.h"
#include "xpudiag/plugin.h"
#include "xpudiag/pci.h"
#pragma GCC visibility pop

#include <dlfcn.h>
#include <link.h>
#include <limits.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <cuda_runtime_api.h>

#include "kernels.h"
#include "nccl_loader.h"

namespace xpd {
namespace cuda {
namespace {

void check(cudaError_t e, const char* call, const std::string& context = "") {
  if (e == cudaSuccess) return;
  // A failed runtime call also sets the thread's last error; clear it so the next
  // kernel launch check does not report this failure a second time.
  (void)cudaGetLastError();
  const std::string what = cudaGetErrorString(e);
  throw ApiError(call, static_cast<long long>(e), cudaGetErrorName(e), context.empty() ? what : context + ": " + what);
}

void checkNccl(const NcclApi& api, int r, const char* call) {
  if (r == kNcclSuccess) return;
  const char* s = api.getErrorString ? api.getErrorString(r) : nullptr;
  throw ApiError(call, r, NcclLoader::resultName(r), s ? s : "");
}

// "13.0" from 13000 (CUDART_VERSION style: major * 1000 + minor * 10).
std::string cudaVersionString(int v) { return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10); }

// The NVIDIA kernel module's version ("580.95.05") from its /proc file.
std::string nvidiaModuleVersion(const std::string& line) {
  std::istringstream in(line);
  std::string tok;
  while (in >> tok) {
    bool digitsAndDots = !tok.empty() && std::isdigit(static_cast<unsigned char>(tok[0]));
    for (char c : tok) digitsAndDots = digitsAndDots && (std::isdigit(static_cast<unsigned char>(c)) || c == '.');
    if (digitsAndDots && tok.find('.') != std::string::npos) return tok;
  }
  return "";
}

// Which libcuda.so.1 the runtime loaded (the static runtime opens it by soname).
std::string loadedDriverLibrary() {
  void* h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
  if (!h) return "";
  std::string path;
  struct link_map* lm = nullptr;
  if (dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name) {
    char* real = realpath(lm->l_name, nullptr);
    path = real ? real : lm->l_name;
    std::free(real);
  }
  dlclose(h);  // drops only the reference RTLD_NOLOAD took
  return path;
}

std::string uuidString(const cudaUUID_t& u) {
  const auto* b = reinterpret_cast<const unsigned char*>(u.bytes);
  char out[64];
  std::snprintf(out, sizeof out, "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
                b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return out;
}

enum class Variant { Malloc, MallocAsync, Managed, Host };

const char* variantName(Variant v) {
  switch (v) {
    case Variant::Malloc: return "cudaMalloc";
    case Variant::MallocAsync: return "cudaMallocAsync";
    case Variant::Managed: return "cudaMallocManaged";
    case Variant::Host: return "cudaMallocHost";
  }
  return "?";
}

class CudaBackend final : public Backend {
 public:
  CudaBackend() = default;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  // Separate from the constructor so that a failure half way through still runs the
  // destructor (the caller holds the object in a unique_ptr), which frees whatever
  // was created.
  void init(const Options& options) {
    for (const auto& [key, value] : options) {
      if (key != "peerAccess") {
        throw std::invalid_argument("cuda backend: unknown option '" + key + "' (known: peerAccess=auto|off)");
      }
      if (value != "auto" && value != "off") {
        throw std::invalid_argument("cuda backend: option peerAccess must be auto or off, not '" + value + "'");
      }
      peerAccessOption_ = value;
    }

    int n = 0;
    const cudaError_t e = cudaGetDeviceCount(&n);
    if (e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver) {
      (void)cudaGetLastError();
      throw xpd::Unavailable(std::string("no CUDA device: cudaGetDeviceCount returned ") + cudaGetErrorName(e) +
                             (e == cudaErrorNoDevice ? " (no NVIDIA driver/GPU on this machine)"
                                                     : " (no NVIDIA driver on this machine, or one older than "
                                                       "this plugin's CUDA runtime " +
                                                           cudaVersionString(CUDART_VERSION) + ")"));
    }
    check(e, "cudaGetDeviceCount");
    if (n <= 0) throw xpd::Unavailable("no CUDA device: cudaGetDeviceCount returned 0 devices");

    devs_.resize(static_cast<size_t>(n));
    for (int d = 0; d < n; ++d) {
      check(cudaSetDevice(d), "cudaSetDevice");
      Dev& dev = devs_[static_cast<size_t>(d)];
      check(cudaDeviceGetAttribute(&dev.smCount, cudaDevAttrMultiProcessorCount, d), "cudaDeviceGetAttribute");
      for (cudaStream_t& s : dev.queue) {
        // Non-blocking: no implicit ordering with the legacy default stream, so the
        // queues order only what the caller orders with events.
        check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
      }
    }
    for (int d = 0; d < n; ++d) {
      for (int p = 0; p < n; ++p) {
        if (p != d) enablePeer(d, p);
      }
    }
  }

  ~CudaBackend() override {
    // Best effort: a destructor cannot report, and after a sticky device error every
    // call fails anyway. Order: drain the queues, then free what used them.
    for (size_t d = 0; d < devs_.size(); ++d) {
      if (cudaSetDevice(static_cast<int>(d)) != cudaSuccess) continue;
      for (cudaStream_t s : devs_[d].queue) {
        if (s) (void)cudaStreamSynchronize(s);
      }
    }
    if (nccl_.loaded()) {
      for (NcclComm c : comms_) {
        if (c) (void)nccl_.api().commDestroy(c);
      }
    }
    for (const auto& [handle, ev] : events_) {
      (void)handle;
      (void)cudaSetDevice(ev.device);
      (void)cudaEventDestroy(ev.event);
    }
    for (const auto& [key, pool] : eventPool_) {
      (void)cudaSetDevice(key.first);
      for (cudaEvent_t ev : pool) (void)cudaEventDestroy(ev);
    }
    for (const auto& [ptr, device] : buffers_) {
      (void)cudaSetDevice(device);
      (void)cudaFree(ptr);
    }
    for (const auto& [ptr, rec] : allocs_) {
      (void)freeAllocation(ptr, rec);
    }
    for (size_t d = 0; d < devs_.size(); ++d) {
      if (cudaSetDevice(static_cast<int>(d)) != cudaSuccess) continue;
      for (cudaStream_t s : devs_[d].queue) {
        if (s) (void)cudaStreamDestroy(s);
      }
      // Only what this instance enabled: peer access belongs to the process-wide
      // primary context, which other users in the process may share.
      for (int p : devs_[d].peersEnabledHere) (void)cudaDeviceDisablePeerAccess(p);
    }
    (void)cudaGetLastError();
  }

  std::string name() const override { return "cuda"; }
  int deviceCount() override { return static_cast<int>(devs_.size()); }

  Facts facts() override {
    Facts f;
    f.backend = "cuda";
    int v = 0;
    check(cudaDriverGetVersion(&v), "cudaDriverGetVersion");
    f.runtimes["cudaDriver"] = cudaVersionString(v);
    check(cudaRuntimeGetVersion(&v), "cudaRuntimeGetVersion");
    f.runtimes["cudaRuntime"] = cudaVersionString(v);
    f.extra["cudaRuntimeLinkage"] = "static (cudart_static " + cudaVersionString(CUDART_VERSION) + ")";
    const std::string module = readFirstLine("/proc/driver/nvidia/version");
    if (!module.empty()) {
      f.extra["nvidiaKernelModule"] = module;
      const std::string mv = nvidiaModuleVersion(module);
      if (!mv.empty()) f.runtimes["nvidiaKernelModule"] = mv;
    }
    const std::string driverLib = loadedDriverLibrary();
    if (!driverLib.empty()) f.extra["cudaDriverLibrary"] = driverLib;
    if (const char* vis = std::getenv("CUDA_VISIBLE_DEVICES")) f.extra["CUDA_VISIBLE_DEVICES"] = vis;
    f.extra["peerAccessOption"] = peerAccessOption_;

    if (nccl_.load()) {
      const std::string nv = nccl_.version();
      if (!nv.empty()) f.runtimes["nccl"] = nv;
      f.extra["ncclLibrary"] = nccl_.path();
      f.extra["ncclSource"] = nccl_.source();
    } else {
      f.extra["ncclError"] = nccl_.error();
    }

    const int n = deviceCount();
    for (int d = 0; d < n; ++d) {
      check(cudaSetDevice(d), "cudaSetDevice");
      cudaDeviceProp p{};
      check(cudaGetDeviceProperties(&p, d), "cudaGetDeviceProperties");
      DeviceInfo info;
      info.index = d;
      info.vendor = "NVIDIA";
      info.name = p.name;
      info.memoryBytes = p.totalGlobalMem;
      char bus[64] = {0};
      check(cudaDeviceGetPCIBusId(bus, sizeof bus, d), "cudaDeviceGetPCIBusId");
      info.pciBusId = canonicalBusId(bus);
      const PciFacts pci = pciFacts(info.pciBusId);
      info.pciId = pci.pciId;
      info.kernelDriver = pci.kernelDriver.empty() ? "nvidia" : pci.kernelDriver;
      info.extra["computeCapability"] = std::to_string(p.major) + "." + std::to_string(p.minor);
      info.extra["multiProcessors"] = std::to_string(p.multiProcessorCount);
      info.extra["uuid"] = uuidString(p.uuid);
      for (int q = 0; q < n; ++q) {
        if (q == d) continue;
        int can = 0;
        check(cudaDeviceCanAccessPeer(&can, d, q), "cudaDeviceCanAccessPeer");
        if (can) info.peers.push_back(q);
        int rank = 0, access = 0, atomics = 0, arrays = 0;
        check(cudaDeviceGetP2PAttribute(&rank, cudaDevP2PAttrPerformanceRank, d, q), "cudaDeviceGetP2PAttribute");
        check(cudaDeviceGetP2PAttribute(&access, cudaDevP2PAttrAccessSupported, d, q), "cudaDeviceGetP2PAttribute");
        check(cudaDeviceGetP2PAttribute(&atomics, cudaDevP2PAttrNativeAtomicSupported, d, q), "cudaDeviceGetP2PAttribute");
        check(cudaDeviceGetP2PAttribute(&arrays, cudaDevP2PAttrCudaArrayAccessSupported, d, q), "cudaDeviceGetP2PAttribute");
        const std::string k = std::to_string(q);
        // Native peer atomics exist over NVLink only, which makes them the simplest
        // link test the runtime offers; the raw attributes are recorded beside it.
        info.extra["link." + k] = !access ? "none" : atomics ? "NVLink" : "PCIe";
        info.extra["p2p." + k + ".accessSupported"] = std::to_string(access);
        info.extra["p2p." + k + ".nativeAtomicSupported"] = std::to_string(atomics);
        info.extra["p2p." + k + ".performanceRank"] = std::to_string(rank);
        info.extra["p2p." + k + ".cudaArrayAccessSupported"] = std::to_string(arrays);
        const auto st = devs_[static_cast<size_t>(d)].peerAccess.find(q);
        if (st != devs_[static_cast<size_t>(d)].peerAccess.end()) info.extra["peerAccess." + k] = st->second;
      }
      f.devices.push_back(std::move(info));
    }
    return f;
  }

  // ---- allocation probe -------------------------------------------------------

  std::vector<std::string> allocVariants() const override { return {"cudaMalloc", "cudaMallocAsync", "cudaMallocManaged", "cudaMallocHost"}; }

  Allocation allocate(int device, const std::string& variant, size_t bytes) override {
    const Variant v = parseVariant(variant);
    use(device);
    void* p = nullptr;
    switch (v) {
      case Variant::Malloc: check(cudaMalloc(&p, bytes), "cudaMalloc"); break;
      case Variant::MallocAsync: {
        int pools = 0;
        check(cudaDeviceGetAttribute(&pools, cudaDevAttrMemoryPoolsSupported, device), "cudaDeviceGetAttribute");
        if (!pools) throw Unsupported("cudaMallocAsync: device " + std::to_string(device) + " has no memory pools");
        cudaStream_t s = queue(device, kComputeQueue);
        check(cudaMallocAsync(&p, bytes, s), "cudaMallocAsync");
        // Stream-ordered: the memory exists once the stream gets there. Wait, so a
        // reading taken after allocate() sees it.
        const cudaError_t e = cudaStreamSynchronize(s);
        if (e != cudaSuccess) {
          (void)cudaFreeAsync(p, s);
          check(e, "cudaStreamSynchronize");
        }
        break;
      }
      case Variant::Managed: {
        int managed = 0;
        check(cudaDeviceGetAttribute(&managed, cudaDevAttrManagedMemory, device), "cudaDeviceGetAttribute");
        if (!managed) throw Unsupported("cudaMallocManaged: device " + std::to_string(device) + " has no managed memory");
        size_t freeBytes = 0, totalBytes = 0;
        check(cudaMemGetInfo(&freeBytes, &totalBytes), "cudaMemGetInfo");
        // Beyond the device's free memory the driver would page the excess to host
        // memory, and the probe would measure that paging instead of shadowing.
        if (bytes > freeBytes) {
          throw Unsupported("cudaMallocManaged: " + std::to_string(bytes) + " bytes exceed device " + std::to_string(device) + "'s free memory (" +
                            std::to_string(freeBytes) + " bytes)");
        }
        check(cudaMallocManaged(&p, bytes, cudaMemAttachGlobal), "cudaMallocManaged");
        break;
      }
      case Variant::Host: check(cudaMallocHost(&p, bytes), "cudaMallocHost"); break;
    }
    Allocation a;
    a.ptr = p;
    a.bytes = bytes;
    a.device = device;
    a.variant = variantName(v);
    if (p) allocs_[p] = AllocRec{device, v, bytes};
    return a;
  }

  void touch(Allocation& a, Touch mode) override {
    if (mode == Touch::None || !a.ptr || a.bytes == 0) return;
    const AllocRec& rec = findAllocation(a);
    use(rec.device);
    if (mode == Touch::Fill) {
      if (rec.variant == Variant::Host) {
        std::memset(a.ptr, 0xA5, a.bytes);  // pinned host memory: the CPU writes it
      } else {
        cudaStream_t s = queue(rec.device, kComputeQueue);
        check(cudaMemsetAsync(a.ptr, 0xA5, a.bytes, s), "cudaMemsetAsync");
        check(cudaStreamSynchronize(s), "cudaStreamSynchronize");
      }
      return;
    }
    // Read
    if (rec.variant == Variant::Host || rec.variant == Variant::Managed) {
      // The CPU reads one byte of every page (managed pages migrate to the host).
      const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
      const volatile unsigned char* b = static_cast<const volatile unsigned char*>(a.ptr);
      unsigned sum = 0;
      for (size_t i = 0; i < a.bytes; i += page) sum += b[i];
      sum += b[a.bytes - 1];
      sink_ += sum;
      return;
    }
    // Device memory: copy it all back through a bounded staging buffer.
    constexpr size_t kChunk = size_t(16) << 20;
    std::vector<unsigned char> stage(a.bytes < kChunk ? a.bytes : kChunk);
    for (size_t off = 0; off < a.bytes; off += stage.size()) {
      const size_t n = a.bytes - off < stage.size() ? a.bytes - off : stage.size();
      check(cudaMemcpy(stage.data(), static_cast<const unsigned char*>(a.ptr) + off, n, cudaMemcpyDeviceToHost), "cudaMemcpy");
    }
  }

  void release(Allocation& a) override {
    if (!a.ptr) return;
    const auto it = allocs_.find(a.ptr);
    if (it == allocs_.end()) {
      throw ApiError("release", cudaErrorInvalidValue, "cudaErrorInvalidValue", "pointer was not allocated by this backend, or was already released");
    }
    void* const p = it->first;
    const AllocRec rec = it->second;
    // Forget it first: a failed free is not retried (as a double free) by the destructor.
    allocs_.erase(it);
    a.ptr = nullptr;
    check(freeAllocation(p, rec), variantFreeCall(rec.variant));
  }

  // ---- collective primitives ----------------------------------------------------

  void* deviceAlloc(int device, size_t bytes) override {
    use(device);
    void* p = nullptr;
    check(cudaMalloc(&p, bytes), "cudaMalloc");
    if (p) buffers_[p] = device;
    return p;
  }

  void deviceFree(int device, void* p) override {
    if (!p) return;
    const auto it = buffers_.find(p);
    if (it == buffers_.end() || it->second != device) {
      throw ApiError("cudaFree", cudaErrorInvalidDevicePointer, "cudaErrorInvalidDevicePointer",
                     "not a deviceAlloc buffer of device " + std::to_string(device));
    }
    use(device);
    check(cudaFree(p), "cudaFree");
    buffers_.erase(it);
  }

  // The queues are non-blocking streams, unordered with the legacy stream a plain
  // cudaMemcpy uses, and cudaMemcpy from pageable memory returns once the data is
  // staged, before it lands in device memory (seen on H200: a peer copy enqueued
  // right after read the last bytes stale). So: drain both queues, copy on the compute
  // queue, and wait for that queue.
  void upload(int device, void* dst, const void* src, size_t bytes) override { transfer(device, dst, src, bytes, cudaMemcpyHostToDevice, "upload"); }

  void download(int device, void* dst, const void* src, size_t bytes) override { transfer(device, dst, src, bytes, cudaMemcpyDeviceToHost, "download"); }

  void fill32(int device, int q, void* dst, uint32_t pattern, size_t bytes) override {
    if (bytes % 4 != 0) throw std::invalid_argument("fill32: " + std::to_string(bytes) + " bytes is not a multiple of 4");
    check(cuda::fill32(launch(device, q), static_cast<uint32_t*>(dst), pattern, bytes / 4), "fill32 kernel launch");
  }

  void copyPeer(int dstDevice, int q, void* dst, int srcDevice, const void* src, size_t bytes) override {
    checkDevice(srcDevice);
    cudaStream_t s = queue(dstDevice, q);
    use(dstDevice);
    check(cudaMemcpyPeerAsync(dst, dstDevice, src, srcDevice, bytes, s), "cudaMemcpyPeerAsync");
  }

  void sumF32(int device, int q, float* out, const float* a, const float* b, size_t n) override {
    check(cuda::sumF32(launch(device, q), out, a, b, n), "sumF32 kernel launch");
  }

  void addF32(int device, int q, float* out, const float* in, size_t n) override { check(cuda::addF32(launch(device, q), out, in, n), "addF32 kernel launch"); }

  void f32ToBf16(int device, int q, uint16_t* out, const float* in, size_t n, bool rne) override {
    check(cuda::f32ToBf16(launch(device, q), out, in, n, rne), "f32ToBf16 kernel launch");
  }

  void addBf16(int device, int q, float* out, const uint16_t* in, size_t n) override {
    check(cuda::addBf16(launch(device, q), out, in, n), "addBf16 kernel launch");
  }

  void sumBf16Pair(int device, int q, float* out, const uint16_t* a, const uint16_t* b, size_t n) override {
    check(cuda::sumBf16Pair(launch(device, q), out, a, b, n), "sumBf16Pair kernel launch");
  }

  // Kernels reach a peer's buffers where this instance (or another user of the
  // context) enabled peer access; anything else would fault.
  bool peerKernelAccess(int device, int peer) override {
    checkDevice(device);
    checkDevice(peer);
    const auto& access = devs_[static_cast<size_t>(device)].peerAccess;
    const auto it = access.find(peer);
    return it != access.end() && it->second.rfind("enabled", 0) == 0;
  }

  void sumF32Shared(int device, int q, float* outMine, const float* mine, int peer, float* outTheirs, const float* theirs, size_t n) override {
    requirePeer(device, peer);
    check(cuda::sumF32Shared(launch(device, q), outMine, outTheirs, mine, theirs, n), "sumF32Shared kernel launch");
  }

  void sumF32Bf16FromPeer(int device, int q, float* out, const float* mine, int peer, const uint16_t* theirs, size_t n) override {
    requirePeer(device, peer);
    check(cuda::sumF32Bf16(launch(device, q), out, mine, theirs, n), "sumF32Bf16 kernel launch");
  }

  void sumBf16PairFromPeer(int device, int q, float* out, const uint16_t* mine, int peer, const uint16_t* theirs, size_t n) override {
    requirePeer(device, peer);
    check(cuda::sumBf16Pair(launch(device, q), out, mine, theirs, n), "sumBf16Pair kernel launch");
  }

  // Events that are only waited on skip the timestamp (cudaEventDisableTiming): cheaper
  // to record and to wait on, and an all-reduce call records a dozen of them.
  Event recordMarker(int device, int q) override { return record(device, q, false); }

  Event recordEvent(int device, int q) override { return record(device, q, true); }

  void waitEvent(int device, int q, Event e) override {
    const EventRec& rec = findEvent(e);
    cudaStream_t s = queue(device, q);
    use(device);
    check(cudaStreamWaitEvent(s, rec.event, 0), "cudaStreamWaitEvent");
  }

  void destroyEvent(Event e) override {
    const auto it = events_.find(e);
    if (it == events_.end()) return;
    use(it->second.device);
    const cudaEvent_t ev = it->second.event;
    const int device = it->second.device;
    const bool timing = it->second.timing;
    events_.erase(it);
    eventPool_[{device, timing}].push_back(ev);
  }

  double elapsedMs(Event start, Event end) override {
    const EventRec& a = findEvent(start);
    const EventRec& b = findEvent(end);
    use(b.device);
    check(cudaEventSynchronize(a.event), "cudaEventSynchronize");
    check(cudaEventSynchronize(b.event), "cudaEventSynchronize");
    float ms = 0.0f;
    check(cudaEventElapsedTime(&ms, a.event, b.event), "cudaEventElapsedTime");
    return ms;
  }

  void synchronize(int device) override {
    checkDevice(device);
    use(device);
    for (cudaStream_t s : devs_[static_cast<size_t>(device)].queue) check(cudaStreamSynchronize(s), "cudaStreamSynchronize");
  }

  // NCCL over all devices from this one thread: one communicator per device from
  // ncclCommInitAll (made on first use and kept), the all-reduce of every device in
  // one group, each on its device's compute queue so that events on queue 0 time it.
  bool libraryAllReduce(const std::string& library, const std::string& dtype, const std::vector<void*>& in, const std::vector<void*>& out,
                        size_t count) override {
    if (library != "nccl") return false;
    int type = 0;
    if (dtype == "f32") {
      type = kNcclFloat32;
    } else if (dtype == "bf16") {
      type = kNcclBfloat16;
    } else {
      throw Unsupported("nccl all-reduce: dtype '" + dtype + "' (f32 and bf16 only)");
    }
    const int n = deviceCount();
    if (in.size() != static_cast<size_t>(n) || out.size() != static_cast<size_t>(n)) {
      throw std::invalid_argument("nccl all-reduce: need one input and one output buffer per device (" + std::to_string(n) + ")");
    }
    if (!nccl_.load()) return false;
    const NcclApi& api = nccl_.api();
    if (comms_.empty()) {
      std::vector<NcclComm> comms(static_cast<size_t>(n), nullptr);
      std::vector<int> devices(static_cast<size_t>(n));
      for (int d = 0; d < n; ++d) devices[static_cast<size_t>(d)] = d;
      checkNccl(api, api.commInitAll(comms.data(), n, devices.data()), "ncclCommInitAll");
      comms_ = std::move(comms);
    }
    checkNccl(api, api.groupStart(), "ncclGroupStart");
    int failed = kNcclSuccess;
    for (int d = 0; d < n && failed == kNcclSuccess; ++d) {
      const size_t i = static_cast<size_t>(d);
      failed = api.allReduce(in[i], out[i], count, type, kNcclSum, comms_[i], devs_[i].queue[kComputeQueue]);
    }
    // The group must be closed even when a call inside it failed.
    const int ended = api.groupEnd();
    checkNccl(api, failed, "ncclAllReduce");
    checkNccl(api, ended, "ncclGroupEnd");
    return true;
  }

 private:
  Event record(int device, int q, bool timing) {
    cudaStream_t s = queue(device, q);
    use(device);
    // Events are pooled per device and kind: an all-reduce call records about ten at small
    // sizes, and creating each one anew would cost more than a small call itself.
    cudaEvent_t ev = nullptr;
    auto& pool = eventPool_[{device, timing}];
    if (!pool.empty()) {
      ev = pool.back();
      pool.pop_back();
    } else {
      check(cudaEventCreateWithFlags(&ev, timing ? cudaEventDefault : cudaEventDisableTiming), "cudaEventCreateWithFlags");
    }
    const cudaError_t e = cudaEventRecord(ev, s);
    if (e != cudaSuccess) {
      (void)cudaEventDestroy(ev);
      check(e, "cudaEventRecord");
    }
    const Event handle = reinterpret_cast<Event>(ev);
    events_[handle] = EventRec{ev, device, timing};
    return handle;
  }
  struct Dev {
    cudaStream_t queue[2] = {nullptr, nullptr};  // kComputeQueue, kCopyQueue
    int smCount = 1;
    std::vector<int> peersEnabledHere;
    std::map<int, std::string> peerAccess;  // peer -> how access stands, for facts()
  };
  struct AllocRec {
    int device;
    Variant variant;
    size_t bytes;
  };
  struct EventRec {
    cudaEvent_t event;
    int device;
    bool timing;
  };

  void requirePeer(int device, int peer) {
    if (!peerKernelAccess(device, peer))
      throw Unsupported("cuda backend: a kernel on device " + std::to_string(device) + " cannot reach device " + std::to_string(peer) +
                        "'s memory (peer access not enabled)");
  }

  void checkDevice(int device) const {
    if (device < 0 || device >= static_cast<int>(devs_.size())) {
      throw ApiError("cudaSetDevice", cudaErrorInvalidDevice, "cudaErrorInvalidDevice",
                     "device " + std::to_string(device) + " of " + std::to_string(devs_.size()));
    }
  }

  void use(int device) {
    checkDevice(device);
    check(cudaSetDevice(device), "cudaSetDevice");
  }

  cudaStream_t queue(int device, int q) const {
    checkDevice(device);
    if (q != kComputeQueue && q != kCopyQueue) {
      throw std::invalid_argument("queue " + std::to_string(q) + ": the cuda backend has queues 0 (compute) and 1 (copy)");
    }
    return devs_[static_cast<size_t>(device)].queue[q];
  }

  void transfer(int device, void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, const char* what) {
    synchronize(device);
    cudaStream_t s = queue(device, kComputeQueue);
    check(cudaMemcpyAsync(dst, src, bytes, kind, s), "cudaMemcpyAsync", what);
    check(cudaStreamSynchronize(s), "cudaStreamSynchronize", what);
  }

  Launch launch(int device, int q) {
    Launch l;
    l.stream = queue(device, q);
    l.maxBlocks = devs_[static_cast<size_t>(device)].smCount * 8;
    use(device);
    return l;
  }

  void enablePeer(int d, int p) {
    Dev& dev = devs_[static_cast<size_t>(d)];
    int can = 0;
    check(cudaDeviceCanAccessPeer(&can, d, p), "cudaDeviceCanAccessPeer");
    if (!can) {
      dev.peerAccess[p] = "not possible";
      return;
    }
    if (peerAccessOption_ == "off") {
      dev.peerAccess[p] = "off (option peerAccess=off)";
      return;
    }
    check(cudaSetDevice(d), "cudaSetDevice");
    const cudaError_t e = cudaDeviceEnablePeerAccess(p, 0);
    if (e == cudaErrorPeerAccessAlreadyEnabled) {
      (void)cudaGetLastError();
      dev.peerAccess[p] = "enabled (already, by another user of the context)";
      return;
    }
    check(e, "cudaDeviceEnablePeerAccess");
    dev.peersEnabledHere.push_back(p);
    dev.peerAccess[p] = "enabled";
  }

  static Variant parseVariant(const std::string& v) {
    for (Variant x : {Variant::Malloc, Variant::MallocAsync, Variant::Managed, Variant::Host}) {
      if (v == variantName(x)) return x;
    }
    throw Unsupported("cuda backend: no allocation variant '" + v + "' (cudaMalloc, cudaMallocAsync, cudaMallocManaged, cudaMallocHost)");
  }

  static const char* variantFreeCall(Variant v) {
    switch (v) {
      case Variant::MallocAsync: return "cudaFreeAsync";
      case Variant::Host: return "cudaFreeHost";
      case Variant::Malloc:
      case Variant::Managed: return "cudaFree";
    }
    return "cudaFree";
  }

  cudaError_t freeAllocation(void* p, const AllocRec& rec) {
    cudaError_t e = cudaSetDevice(rec.device);
    if (e != cudaSuccess) return e;
    switch (rec.variant) {
      case Variant::Malloc:
      case Variant::Managed: return cudaFree(p);
      case Variant::Host: return cudaFreeHost(p);
      case Variant::MallocAsync: {
        cudaStream_t s = devs_[static_cast<size_t>(rec.device)].queue[kComputeQueue];
        e = cudaFreeAsync(p, s);
        if (e == cudaSuccess) e = cudaStreamSynchronize(s);
        // The pool keeps freed memory up to its release threshold; trim it so a
        // release reading sees the memory go back, as for the other variants.
        cudaMemPool_t pool = nullptr;
        if (e == cudaSuccess) e = cudaDeviceGetDefaultMemPool(&pool, rec.device);
        if (e == cudaSuccess) e = cudaMemPoolTrimTo(pool, 0);
        return e;
      }
    }
    return cudaErrorInvalidValue;
  }

  const AllocRec& findAllocation(const Allocation& a) const {
    const auto it = allocs_.find(a.ptr);
    if (it == allocs_.end()) {
      throw ApiError("touch", cudaErrorInvalidValue, "cudaErrorInvalidValue", "allocation unknown to this backend");
    }
    return it->second;
  }

  const EventRec& findEvent(Event e) const {
    const auto it = events_.find(e);
    if (it == events_.end()) {
      throw ApiError("cudaEvent", cudaErrorInvalidResourceHandle, "cudaErrorInvalidResourceHandle", "event unknown to this backend, or already destroyed");
    }
    return it->second;
  }

  std::string peerAccessOption_ = "auto";
  std::vector<Dev> devs_;
  std::map<void*, AllocRec> allocs_;                                    // allocate() results not yet released
  std::map<void*, int> buffers_;                                        // deviceAlloc() buffers not yet freed -> device
  std::map<Event, EventRec> events_;                                    // recorded events not yet destroyed
  std::map<std::pair<int, bool>, std::vector<cudaEvent_t>> eventPool_;  // destroyed events, for reuse per (device, timing)
  NcclLoader nccl_;
  std::vector<NcclComm> comms_;
  unsigned sink_ = 0;  // keeps host reads of touch(Read) observable
};

}  // namespace
}  // namespace cuda
}  // namespace xpd

XPUDIAG_DEFINE_PLUGIN(xpd::cuda::CudaBackend, "cuda backend");
