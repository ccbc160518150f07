// The one interface every backend implements (host, ze, cuda, sycl).
//
// Backends that need their own compiler (nvcc, icpx) are built as separate shared
// libraries exporting `xpudiag_backend_create` (see plugin.h) and opened by the addon
// at run time, so this header must stay plain C++17 with no vendor types.
//
// Errors are C++ exceptions: `ApiError` names the failing call and its result code,
// `Unsupported` is the typed "this backend cannot do that" answer (never a silent
// no-op). Plugins are built with the same compiler family and libstdc++, so
// exceptions cross the shared-library boundary safely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace xpd {

class ApiError : public std::runtime_error {
 public:
  ApiError(std::string call, long long code, std::string codeName, const std::string& detail = "")
      : std::runtime_error(call + " failed: " + codeName + (detail.empty() ? "" : " (" + detail + ")")),
        call_(std::move(call)),
        code_(code),
        codeName_(std::move(codeName)) {}
  const std::string& call() const { return call_; }
  long long code() const { return code_; }
  const std::string& codeName() const { return codeName_; }

 private:
  std::string call_;
  long long code_;
  std::string codeName_;
};

class Unsupported : public std::runtime_error {
 public:
  explicit Unsupported(const std::string& what) : std::runtime_error(what) {}
};

// The backend cannot run on this machine at all (no loader, no driver, no device,
// plugin not built): the runner reports the case as `skip` with this message.
// Plugins signal it by starting their create() error message with "unavailable: ".
class Unavailable : public std::runtime_error {
 public:
  explicit Unavailable(const std::string& what) : std::runtime_error(what) {}
};

struct DeviceInfo {
  int index = 0;
  std::string vendor;  // "Intel", "NVIDIA", "host"
  std::string name;
  std::string pciId;         // "8086:e20b" (vendor:device), empty if unknown
  std::string pciBusId;      // "0000:03:00.0", empty if unknown
  std::string kernelDriver;  // "xe", "i915", "nvidia", empty if unknown
  uint64_t memoryBytes = 0;
  std::vector<int> peers;                    // indices of devices this one can access directly
  std::map<std::string, std::string> extra;  // backend-specific facts (link type, ...)
};

struct Facts {
  std::string backend;
  // runtime component -> version string ("levelZeroLoader", "levelZeroDriver", "cuda", ...)
  std::map<std::string, std::string> runtimes;
  std::map<std::string, std::string> extra;  // e.g. driver library path in use
  std::vector<DeviceInfo> devices;
};

// Options that change how a backend sets itself up; every one is recorded per case.
// Keys a backend does not know are an error (raised by the backend), so a typo in a
// suite cannot silently change nothing.
using Options = std::map<std::string, std::string>;

enum class Touch { None, Fill, Read };

// One allocation made through a named variant ("malloc", "zeMemAllocDevice", ...).
struct Allocation {
  void* ptr = nullptr;
  size_t bytes = 0;
  int device = 0;
  std::string variant;
  uintptr_t handle = 0;  // backend bookkeeping (mapping length, pool id, ...)
};

// Opaque event for ordering work between device queues and for device-side timing.
using Event = uintptr_t;

// Queues: every device has at least two in-order queues, 0 (compute) and 1 (copy).
// Work enqueued on one queue runs in order; cross-queue order needs record/wait.
constexpr int kComputeQueue = 0;
constexpr int kCopyQueue = 1;

// A backend is used by one thread at a time. Its destructor frees whatever is left:
// allocations, device buffers, events, library communicators.
class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::string name() const = 0;
  virtual Facts facts() = 0;
  virtual int deviceCount() = 0;

  // ---- allocation probe -------------------------------------------------------
  virtual std::vector<std::string> allocVariants() const = 0;
  virtual Allocation allocate(int device, const std::string& variant, size_t bytes) = 0;
  virtual void touch(Allocation& a, Touch mode) = 0;
  virtual void release(Allocation& a) = 0;

  // Driver-side counters for leak checks (allocations the driver still holds, ...);
  // empty where the driver exposes none. Read after a case has freed everything.
  virtual std::map<std::string, double> counters() { return {}; }

  // ---- primitives for the collectives in core/ (all enqueue asynchronously) ----
  virtual void* deviceAlloc(int device, size_t bytes) {
    (void)device;
    (void)bytes;
    throw Unsupported(name() + ": device buffers");
  }
  virtual void deviceFree(int device, void* p) {
    (void)device;
    (void)p;
  }
  // Synchronous host <-> device transfers, used for inputs and checks only: ordered
  // after all work already queued on that device, complete on return.
  virtual void upload(int device, void* dst, const void* src, size_t bytes) {
    (void)device;
    (void)dst;
    (void)src;
    (void)bytes;
    throw Unsupported(name() + ": upload");
  }
  virtual void download(int device, void* dst, const void* src, size_t bytes) {
    (void)device;
    (void)dst;
    (void)src;
    (void)bytes;
    throw Unsupported(name() + ": download");
  }
  // Fill `bytes` (multiple of 4) with a 32-bit pattern: poisoning outputs.
  virtual void fill32(int device, int queue, void* dst, uint32_t pattern, size_t bytes) {
    (void)device;
    (void)queue;
    (void)dst;
    (void)pattern;
    (void)bytes;
    throw Unsupported(name() + ": fill");
  }
  // How copyPeer moves bytes from srcDevice's memory to dstDevice's, in a word the
  // report carries per row ("peer-access", "staged-host", ...); empty where the backend
  // has a single route and says nothing more of it.
  virtual std::string copyRoute(int dstDevice, int srcDevice) {
    (void)dstDevice;
    (void)srcDevice;
    return "";
  }
  // Copy from srcDevice's memory into dstDevice's memory, enqueued on dstDevice's queue.
  virtual void copyPeer(int dstDevice, int queue, void* dst, int srcDevice, const void* src, size_t bytes) {
    (void)dstDevice;
    (void)queue;
    (void)dst;
    (void)srcDevice;
    (void)src;
    (void)bytes;
    throw Unsupported(name() + ": peer copy");
  }
  // out[i] += in[i]
  virtual void addF32(int device, int queue, float* out, const float* in, size_t n) {
    (void)device;
    (void)queue;
    (void)out;
    (void)in;
    (void)n;
    throw Unsupported(name() + ": add f32");
  }
  // out[i] = a[i] + b[i]: the out-of-place add, one pass over memory. The default
  // (copy, then add) is correct everywhere; backends with kernels do it in one.
  virtual void sumF32(int device, int queue, float* out, const float* a, const float* b, size_t n) {
    copyPeer(device, queue, out, device, a, n * 4);
    addF32(device, queue, out, b, n);
  }
  // out[i] = bf16(in[i]) by round-to-nearest-even (rne=true) or truncation
  virtual void f32ToBf16(int device, int queue, uint16_t* out, const float* in, size_t n, bool rne) {
    (void)device;
    (void)queue;
    (void)out;
    (void)in;
    (void)n;
    (void)rne;
    throw Unsupported(name() + ": f32->bf16");
  }
  // out[i] += float(in[i])
  virtual void addBf16(int device, int queue, float* out, const uint16_t* in, size_t n) {
    (void)device;
    (void)queue;
    (void)out;
    (void)in;
    (void)n;
    throw Unsupported(name() + ": add bf16");
  }
  // out[i] = float(a[i]) + float(b[i])
  virtual void sumBf16Pair(int device, int queue, float* out, const uint16_t* a, const uint16_t* b, size_t n) {
    (void)device;
    (void)queue;
    (void)out;
    (void)a;
    (void)b;
    (void)n;
    throw Unsupported(name() + ": bf16 pair sum");
  }

  // ---- kernels that reach into a peer's memory (CUDA peer access over NVLink) --
  // Whether a kernel on `device` may read and write `peer`'s device buffers directly.
  // The three primitives below are only called where this holds both ways. They take
  // the place of a copy engine plus a local kernel: one launch instead of a copy, an
  // event and an add per chunk, which at 64 MiB decided whether the host's enqueue
  // rate or the link bounded a call (two H200, see README).
  virtual bool peerKernelAccess(int device, int peer) {
    (void)device;
    (void)peer;
    return false;
  }
  // For i < n: s = mine[i] + theirs[i]; outMine[i] = outTheirs[i] = s. theirs and
  // outTheirs are buffers of `peer`. Two devices that each take half of a tensor
  // all-reduce it with one kernel each; every element is summed once, so both hold the
  // same bits, and in place is safe because no element is touched by both devices.
  virtual void sumF32Shared(int device, int queue, float* outMine, const float* mine, int peer, float* outTheirs, const float* theirs, size_t n) {
    (void)device;
    (void)queue;
    (void)outMine;
    (void)mine;
    (void)peer;
    (void)outTheirs;
    (void)theirs;
    (void)n;
    throw Unsupported(name() + ": peer kernels");
  }
  // out[i] = mine[i] + float(theirs[i]); theirs (BF16) is a buffer of `peer`; mine may be out.
  virtual void sumF32Bf16FromPeer(int device, int queue, float* out, const float* mine, int peer, const uint16_t* theirs, size_t n) {
    (void)device;
    (void)queue;
    (void)out;
    (void)mine;
    (void)peer;
    (void)theirs;
    (void)n;
    throw Unsupported(name() + ": peer kernels");
  }
  // out[i] = float(mine[i]) + float(theirs[i]); theirs is a buffer of `peer`.
  virtual void sumBf16PairFromPeer(int device, int queue, float* out, const uint16_t* mine, int peer, const uint16_t* theirs, size_t n) {
    (void)device;
    (void)queue;
    (void)out;
    (void)mine;
    (void)peer;
    (void)theirs;
    (void)n;
    throw Unsupported(name() + ": peer kernels");
  }

  virtual Event recordEvent(int device, int queue) {
    (void)device;
    (void)queue;
    throw Unsupported(name() + ": events");
  }
  // An event only waited on, never timed: backends where timing costs extra (CUDA)
  // record a cheaper one.
  virtual Event recordMarker(int device, int queue) { return recordEvent(device, queue); }
  virtual void waitEvent(int device, int queue, Event e) {
    (void)device;
    (void)queue;
    (void)e;
    throw Unsupported(name() + ": events");
  }
  virtual void destroyEvent(Event e) { (void)e; }
  // Milliseconds between two recorded (and completed) events of the same device.
  virtual double elapsedMs(Event start, Event end) {
    (void)start;
    (void)end;
    throw Unsupported(name() + ": event timing");
  }
  virtual void synchronize(int device) {
    (void)device;
    throw Unsupported(name() + ": synchronize");
  }

  // A vendor library's own all-reduce (NCCL, oneCCL), run over all devices:
  // in[d]/out[d] (one per device) are device buffers of `count` elements of `dtype`
  // ("f32", "bf16"); it runs on each device's queue 0, so events there time it.
  // Returns false when the backend has no such library.
  virtual bool libraryAllReduce(const std::string& library, const std::string& dtype, const std::vector<void*>& in, const std::vector<void*>& out,
                                size_t count) {
    (void)library;
    (void)dtype;
    (void)in;
    (void)out;
    (void)count;
    return false;
  }
};

}  // namespace xpd
