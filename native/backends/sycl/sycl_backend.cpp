// The SYCL backend, built as its own plugin (libxpudiag_sycl.so) by a SYCL compiler
// (oneAPI icpx -fsycl, or AdaptiveCpp acpp) and opened by the addon with dlopen.
//
// Written to the SYCL 2020 specification. The oneAPI extensions it uses are marked
// "extension:" below and each sits behind its feature-test macro, with a core fallback:
//   sycl_ext_oneapi_enqueue_barrier  queue::ext_oneapi_submit_barrier (events)
//   sycl_ext_oneapi_peer_access      device::ext_oneapi_can_access_peer (facts only)
//   sycl_ext_intel_device_info       PCI address and device id (facts only)
//
// What it compares: sycl::aligned_alloc_device (and malloc_device, malloc_shared,
// malloc_host) against the ze backend's zeMemAllocDevice, under the same factor: a
// context per device (contextDevices=one) or one context over all devices (all, the case
// reported to copy device memory into host memory). Allocations of 4 MiB or less may be
// served from the runtime's USM pool (see sycl_common.h).
//
// Peer copies: queue::memcpy between two devices' allocations needs both in one context,
// so copyPeer is a device-to-device memcpy with contextDevices=all only; with one it
// stages the data through host memory and returns when the copy is complete.
//
// The plugin is built with the system's libstdc++ (icpx and acpp use the GCC toolchain
// they find), like the addon, so the exceptions of backend.h cross the library boundary.
#pragma GCC visibility push(default)
#include "xpudiag/backend.h"
#include "xpudiag/plugin.h"
#pragma GCC visibility pop

#include <sycl/sycl.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "sycl_common.h"

namespace xpd {
namespace syclb {
namespace {

#if defined(__ACPP__) || defined(__HIPSYCL__) || defined(__OPENSYCL__)
#define XPD_SYCL_ACPP 1
#endif

ApiError apiError(const std::string& call, const sycl::exception& e) {
  const std::string name = e.code().message();
  return ApiError(call, e.code().value(), name.empty() ? "sycl error " + std::to_string(e.code().value()) : name,
                  e.what());
}

// Runs f, turning a sycl::exception into an ApiError that names the call.
template <typename F>
auto guarded(const std::string& call, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const sycl::exception& e) {
    throw apiError(call, e);
  }
}

// Errors of work already running (a kernel, a copy) arrive asynchronously: at
// wait_and_throw, and in some implementations when a queue or context is destroyed
// (AdaptiveCpp's ~queue, DPC++'s before the unified runtime), where a handler that
// threw would end the process. The handler only keeps them; waitAndThrow() rethrows
// the first, inside guarded(), which names the call.
class AsyncErrors {
 public:
  void add(const sycl::exception_list& errors) {
    const std::lock_guard<std::mutex> lock(mutex_);
    for (const std::exception_ptr& e : errors) pending_.push_back(e);
  }
  void rethrowFirst() {
    std::exception_ptr first;
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (pending_.empty()) return;
      first = pending_.front();
      pending_.clear();
    }
    std::rethrow_exception(first);
  }

 private:
  std::mutex mutex_;
  std::vector<std::exception_ptr> pending_;
};

AsyncErrors& asyncErrors() {
  static AsyncErrors errors;
  return errors;
}

void asyncHandler(sycl::exception_list errors) { asyncErrors().add(errors); }

// extension sycl_ext_oneapi_peer_access, which DPC++ implemented long before it defined
// the feature macro (intel/llvm#21393; libsycl 7 = oneAPI 2024.0 has it). Only the Level
// Zero, CUDA and HIP backends support it: on OpenCL the query can end the process in the
// runtime (not an exception), so it is never asked there.
bool peerSupported(sycl::device self, const sycl::device& peer) {
#if !defined(XPD_SYCL_ACPP) && (defined(SYCL_EXT_ONEAPI_PEER_ACCESS) || (defined(__LIBSYCL_MAJOR_VERSION) && __LIBSYCL_MAJOR_VERSION >= 7))
  const sycl::backend b = self.get_backend();
  if (b != sycl::backend::ext_oneapi_level_zero && b != sycl::backend::ext_oneapi_cuda && b != sycl::backend::ext_oneapi_hip) return false;
  try {
    // Not a const member function in the extension: hence `self` by value.
    return self.ext_oneapi_can_access_peer(peer, sycl::ext::oneapi::peer_access::access_supported);
  } catch (const sycl::exception&) {
    return false;
  }
#else
  (void)self;
  (void)peer;
  return false;
#endif
}

// A queue or an event: wait for it, then raise what its work reported asynchronously.
template <typename Waitable>
void waitAndThrow(Waitable& w) {
  w.wait_and_throw();
  asyncErrors().rethrowFirst();
}

std::string syclImplementation() {
#if defined(XPD_SYCL_ACPP)
#if defined(ACPP_VERSION_MAJOR)
  return "AdaptiveCpp " + std::to_string(ACPP_VERSION_MAJOR) + "." + (ACPP_VERSION_MINOR < 10 ? "0" : "") +
         std::to_string(ACPP_VERSION_MINOR) + "." + std::to_string(ACPP_VERSION_PATCH);
#else
  return "AdaptiveCpp";
#endif
#elif defined(__LIBSYCL_MAJOR_VERSION)
  std::string s = "oneAPI DPC++ (libsycl " + std::to_string(__LIBSYCL_MAJOR_VERSION) + "." +
                  std::to_string(__LIBSYCL_MINOR_VERSION) + "." + std::to_string(__LIBSYCL_PATCH_VERSION);
#if defined(__SYCL_COMPILER_VERSION)
  s += ", compiler build " + std::to_string(__SYCL_COMPILER_VERSION);
#endif
#if defined(__INTEL_LLVM_COMPILER)
  s += ", icpx " + std::to_string(__INTEL_LLVM_COMPILER);
#endif
  return s + ")";
#elif defined(XPUDIAG_SYCL_STUB)
  return XPUDIAG_SYCL_STUB;  // test/sycl/stub: g++ and a host emulation, never shipped
#else
  return "unknown SYCL implementation";
#endif
}

std::string backendName(sycl::backend b) {
  switch (b) {
#if defined(XPD_SYCL_ACPP)
    case sycl::backend::level_zero: return "level_zero";
#if defined(ACPP_VERSION_MAJOR) && ACPP_VERSION_MAJOR >= 24
    case sycl::backend::ocl: return "opencl";  // AdaptiveCpp's OpenCL backend: 24.02 and later
#endif
    case sycl::backend::cuda: return "cuda";
    case sycl::backend::hip: return "hip";
    case sycl::backend::omp: return "omp";
#else
    case sycl::backend::ext_oneapi_level_zero: return "level_zero";
    case sycl::backend::opencl: return "opencl";
    case sycl::backend::ext_oneapi_cuda: return "cuda";
    case sycl::backend::ext_oneapi_hip: return "hip";
#endif
    default: return "other (" + std::to_string(static_cast<int>(b)) + ")";
  }
}

// The GPUs of one platform: the first Level Zero platform that has any, else the first
// platform that has any. ONEAPI_DEVICE_SELECTOR (recorded with every report) narrows
// what the runtime shows, e.g. to opencl:gpu.
std::vector<sycl::device> pickDevices() {
  std::vector<sycl::platform> platforms;
  try {
    platforms = sycl::platform::get_platforms();
  } catch (const sycl::exception& e) {
    throw Unavailable(std::string("the SYCL runtime found no platform (") + e.what() + ")");
  }
  std::string seen;
  const sycl::platform* chosen = nullptr;
  for (const sycl::platform& p : platforms) {
    const std::string be = backendName(p.get_backend());
    const size_t gpus = p.get_devices(sycl::info::device_type::gpu).size();
    seen += (seen.empty() ? "" : "; ") + p.get_info<sycl::info::platform::name>() + " [" + be + ", " +
            std::to_string(gpus) + " GPU]";
    if (gpus == 0) continue;
    if (!chosen || (be == "level_zero" && backendName(chosen->get_backend()) != "level_zero")) chosen = &p;
  }
  if (!chosen) {
    throw Unavailable("no GPU in any SYCL platform (" + (seen.empty() ? std::string("no platforms") : seen) +
                      "); an Intel GPU needs the compute runtime (Level Zero or OpenCL driver)");
  }
  return chosen->get_devices(sycl::info::device_type::gpu);
}

class SyclBackend final : public Backend {
 public:
  SyclBackend() = default;
  SyclBackend(const SyclBackend&) = delete;
  SyclBackend& operator=(const SyclBackend&) = delete;

  void init(const Options& options) {
    opts_ = parseOptions(options);
    const std::vector<sycl::device> devices = pickDevices();
    guarded("sycl::context", [&] {
      if (opts_.contextAll) contexts_.emplace_back(devices, asyncHandler);
      else
        for (const sycl::device& d : devices) contexts_.emplace_back(d, asyncHandler);
    });
    for (size_t i = 0; i < devices.size(); ++i) {
      // Event timing needs profiling queues, which a device without the aspect refuses.
      Dev nd{devices[i], opts_.contextAll ? 0 : i, {}, {}, devices[i].has(sycl::aspect::queue_profiling)};
      const sycl::context& ctx = contexts_[nd.context];
      guarded("sycl::queue", [&] {
        const sycl::property_list props =
            nd.profiling ? sycl::property_list{sycl::property::queue::in_order{}, sycl::property::queue::enable_profiling{}}
                         : sycl::property_list{sycl::property::queue::in_order{}};
        for (int q = 0; q < 2; ++q) nd.queue.emplace_back(ctx, nd.device, asyncHandler, props);
      });
      devs_.push_back(std::move(nd));
    }
  }

  ~SyclBackend() override {
    // Best effort: drain, then free what the queued work used.
    for (Dev& d : devs_) {
      for (sycl::queue& q : d.queue) {
        try {
          q.wait();
        } catch (...) {
        }
      }
    }
    events_.clear();
    for (const auto& [p, device] : buffers_) {
      try {
        sycl::free(p, contextOf(device));
      } catch (...) {
      }
    }
    for (const auto& [p, rec] : allocs_) {
      try {
        sycl::free(p, contexts_[rec.context]);
      } catch (...) {
      }
    }
  }

  std::string name() const override { return "sycl"; }
  int deviceCount() override { return static_cast<int>(devs_.size()); }

  Facts facts() override {
    return guarded("sycl device info", [&] {
      Facts f;
      f.backend = "sycl";
      f.runtimes["sycl"] = syclImplementation();
#if defined(SYCL_LANGUAGE_VERSION)
      f.extra["syclLanguageVersion"] = std::to_string(SYCL_LANGUAGE_VERSION);
#endif
      // The runtime actually loaded, and the Level Zero / OpenCL driver behind it: their
      // file names carry the versions (libsycl.so.8.0.0, libze_intel_gpu.so.1.6.33578).
      const std::string libs = mappedLibraries({"libsycl.so", "libur_loader.so", "libur_adapter_", "libacpp-rt.so",
                                                "libhipSYCL-rt.so", "libze_loader.so", "libze_intel_gpu.so",
                                                "libigdrcl.so"});
      if (!libs.empty()) f.extra["syclLibraries"] = libs;
      f.extra["contextDevices"] = opts_.contextAll ? "all" : "one";
      f.extra["peerCopy"] = opts_.contextAll ? "queue::memcpy between devices of one context"
                                             : "staged through host memory (devices in separate contexts)";
      for (const auto& [k, v] : poolFacts()) f.extra[k] = v;
      if (!devs_.empty()) {
        const sycl::platform p = devs_[0].device.get_platform();
        f.extra["platform"] = p.get_info<sycl::info::platform::name>();
        f.extra["platformVersion"] = p.get_info<sycl::info::platform::version>();
        f.runtimes["syclDeviceDriver"] = backendName(devs_[0].device.get_backend()) + " " +
                                         devs_[0].device.get_info<sycl::info::device::driver_version>();
      }
      for (size_t i = 0; i < devs_.size(); ++i) f.devices.push_back(deviceInfo(static_cast<int>(i)));
      return f;
    });
  }

  std::vector<std::string> allocVariants() const override { return variantNames(); }

  Allocation allocate(int device, const std::string& variant, size_t bytes) override {
    const Variant v = parseVariant(variant);
    Dev& d = dev(device);
    const sycl::context& ctx = contexts_[d.context];
    void* p = guarded(variantCall(v), [&]() -> void* {
      switch (v) {
        case Variant::AlignedAllocDevice: return sycl::aligned_alloc_device(kAlignment, bytes, d.device, ctx);
        case Variant::MallocDevice: return sycl::malloc_device(bytes, d.device, ctx);
        case Variant::MallocShared: return sycl::malloc_shared(bytes, d.device, ctx);
        case Variant::MallocHost: return sycl::malloc_host(bytes, ctx);
      }
      return nullptr;
    });
    // USM allocation functions report failure by returning nullptr.
    if (!p && bytes) throw ApiError(variantCall(v), 0, "nullptr", "allocation of " + std::to_string(bytes) + " bytes failed");
    allocs_[p] = AllocRec{device, v, d.context};
    Allocation a;
    a.ptr = p;
    a.bytes = bytes;
    a.device = device;
    a.variant = variant;
    a.handle = d.context;
    return a;
  }

  void touch(Allocation& a, Touch mode) override {
    if (mode == Touch::None || !a.ptr || a.bytes == 0) return;
    const AllocRec& rec = findAllocation(a);
    sycl::queue& q = queue(rec.device, kComputeQueue);
    if (mode == Touch::Fill) {
      guarded("sycl::queue::memset", [&] {
        q.memset(a.ptr, 0xA5, a.bytes);
        waitAndThrow(q);
      });
      return;
    }
    if (hostAccessible(rec.variant)) {
      // The CPU reads one byte of every page, where the memory is (as the ze backend does).
      const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
      const volatile unsigned char* b = static_cast<const volatile unsigned char*>(a.ptr);
      unsigned sum = 0;
      for (size_t i = 0; i < a.bytes; i += page) sum += b[i];
      sink_ += sum + b[a.bytes - 1];
      return;
    }
    // Device memory: copied back through a bounded host buffer.
    std::vector<unsigned char> stage(std::min(a.bytes, kStageBytes));
    guarded("sycl::queue::memcpy", [&] {
      for (size_t off = 0; off < a.bytes; off += stage.size()) {
        const size_t n = std::min(stage.size(), a.bytes - off);
        q.memcpy(stage.data(), static_cast<const unsigned char*>(a.ptr) + off, n);
        waitAndThrow(q);
        sink_ += stage[0];
      }
    });
  }

  void release(Allocation& a) override {
    if (!a.ptr) return;
    const auto it = allocs_.find(a.ptr);
    if (it == allocs_.end()) {
      throw std::invalid_argument("sycl: release of a pointer this backend did not allocate, or already released");
    }
    const size_t context = it->second.context;
    allocs_.erase(it);  // forgotten first: a failed free is not retried by the destructor
    void* p = a.ptr;
    a.ptr = nullptr;
    guarded("sycl::free", [&] { sycl::free(p, contexts_[context]); });
  }

  // ---- collective primitives ----------------------------------------------------------

  void* deviceAlloc(int device, size_t bytes) override {
    Dev& d = dev(device);
    void* p = guarded("sycl::malloc_device", [&] { return sycl::malloc_device(bytes, d.device, contexts_[d.context]); });
    if (!p && bytes) throw ApiError("sycl::malloc_device", 0, "nullptr", "allocation of " + std::to_string(bytes) + " bytes failed");
    if (p) buffers_[p] = device;
    return p;
  }

  void deviceFree(int device, void* p) override {
    if (!p) return;
    const auto it = buffers_.find(p);
    if (it == buffers_.end() || it->second != device) {
      throw std::invalid_argument("sycl: deviceFree of a pointer that is not a deviceAlloc buffer of device " +
                                  std::to_string(device));
    }
    buffers_.erase(it);
    guarded("sycl::free", [&] { sycl::free(p, contextOf(device)); });
  }

  // Ordered after all work queued on the device (queue 0 is in order; queue 1 is drained
  // first), complete on return.
  void upload(int device, void* dst, const void* src, size_t bytes) override { transfer(device, dst, src, bytes); }
  void download(int device, void* dst, const void* src, size_t bytes) override { transfer(device, dst, src, bytes); }

  void fill32(int device, int q, void* dst, uint32_t pattern, size_t bytes) override {
    if (bytes % 4 != 0) throw std::invalid_argument("fill32: " + std::to_string(bytes) + " bytes is not a multiple of 4");
    sycl::queue& Q = queue(device, q);
    guarded("sycl::queue::fill", [&] { Q.fill(dst, pattern, bytes / 4); });
  }

  void copyPeer(int dstDevice, int q, void* dst, int srcDevice, const void* src, size_t bytes) override {
    sycl::queue& Q = queue(dstDevice, q);
    Dev& s = dev(srcDevice);
    if (bytes == 0) return;
    if (s.context == dev(dstDevice).context) {
      guarded("sycl::queue::memcpy", [&] { Q.memcpy(dst, src, bytes); });
      return;
    }
    // Separate contexts: through the host. What the destination queue waits for (the
    // source's recorded events) is complete once that queue drains; then the source is
    // read on a queue of its own (so work queued later on the source's queues is not
    // waited for), and written on the destination queue, in order with its work.
    guarded("sycl::queue::memcpy (staged through host)", [&] {
      waitAndThrow(Q);
      if (s.stage.empty()) {
        s.stage.emplace_back(contexts_[s.context], s.device, asyncHandler,
                             sycl::property_list{sycl::property::queue::in_order{}});
      }
      staging_.resize(std::min(bytes, kStageBytes));
      for (size_t off = 0; off < bytes; off += staging_.size()) {
        const size_t n = std::min(staging_.size(), bytes - off);
        s.stage[0].memcpy(staging_.data(), static_cast<const unsigned char*>(src) + off, n);
        waitAndThrow(s.stage[0]);
        Q.memcpy(static_cast<unsigned char*>(dst) + off, staging_.data(), n);
        waitAndThrow(Q);
      }
    });
  }

  void addF32(int device, int q, float* out, const float* in, size_t n) override {
    launch(device, q, n, "addF32 kernel", [=](size_t i) { out[i] += in[i]; });
  }

  void sumF32(int device, int q, float* out, const float* a, const float* b, size_t n) override {
    launch(device, q, n, "sumF32 kernel", [=](size_t i) { out[i] = a[i] + b[i]; });
  }

  void f32ToBf16(int device, int q, uint16_t* out, const float* in, size_t n, bool rne) override {
    if (rne) launch(device, q, n, "f32ToBf16 kernel", [=](size_t i) { out[i] = bf16Rne(in[i]); });
    else launch(device, q, n, "f32ToBf16 kernel", [=](size_t i) { out[i] = bf16Trunc(in[i]); });
  }

  void addBf16(int device, int q, float* out, const uint16_t* in, size_t n) override {
    launch(device, q, n, "addBf16 kernel", [=](size_t i) { out[i] += bf16Value(in[i]); });
  }

  void sumBf16Pair(int device, int q, float* out, const uint16_t* a, const uint16_t* b, size_t n) override {
    launch(device, q, n, "sumBf16Pair kernel", [=](size_t i) { out[i] = bf16Value(a[i]) + bf16Value(b[i]); });
  }

  // An event completes when everything queued before it on that queue has completed.
  // A timed one is an empty kernel (core SYCL): on an in-order queue DPC++ may answer a
  // barrier with the queue's last event instead, which before intel/llvm#12949 was a
  // default-constructed event without profiling info.
  Event recordEvent(int device, int q) override { return record(device, q, [](sycl::queue& Q) { return Q.single_task([] {}); }); }

  // Only waited on: the barrier extension where there is one, no kernel launched.
  Event recordMarker(int device, int q) override {
#if defined(SYCL_EXT_ONEAPI_ENQUEUE_BARRIER)
    return record(device, q, [](sycl::queue& Q) { return Q.ext_oneapi_submit_barrier(); });  // extension: sycl_ext_oneapi_enqueue_barrier
#else
    return recordEvent(device, q);
#endif
  }

  void waitEvent(int device, int q, Event e) override {
    const EventRec& rec = findEvent(e);
    sycl::queue& Q = queue(device, q);
    guarded("wait event", [&] {
#if defined(SYCL_EXT_ONEAPI_ENQUEUE_BARRIER)
      Q.ext_oneapi_submit_barrier(std::vector<sycl::event>{rec.event});  // extension: sycl_ext_oneapi_enqueue_barrier
#else
      Q.submit([&](sycl::handler& h) {
        h.depends_on(rec.event);
        h.single_task([] {});
      });
#endif
    });
  }

  void destroyEvent(Event e) override { events_.erase(e); }

  // Between the completion of two events of one device, from the device's clock.
  double elapsedMs(Event start, Event end) override {
    const EventRec& a = findEvent(start);
    const EventRec& b = findEvent(end);
    if (a.device != b.device) throw std::invalid_argument("sycl: elapsedMs of events on different devices");
    if (!dev(a.device).profiling) throw Unsupported("sycl: event timing (device has no aspect::queue_profiling)");
    return guarded("sycl::event::get_profiling_info", [&] {
      sycl::event ea = a.event, eb = b.event;
      waitAndThrow(ea);
      waitAndThrow(eb);
      const uint64_t t0 = ea.get_profiling_info<sycl::info::event_profiling::command_end>();
      const uint64_t t1 = eb.get_profiling_info<sycl::info::event_profiling::command_end>();
      return (static_cast<double>(t1) - static_cast<double>(t0)) / 1e6;
    });
  }

  void synchronize(int device) override {
    for (sycl::queue& q : dev(device).queue) guarded("sycl::queue::wait_and_throw", [&] { waitAndThrow(q); });
  }

 private:
  struct Dev {
    sycl::device device;
    size_t context;                 // index into contexts_
    std::vector<sycl::queue> queue;  // kComputeQueue, kCopyQueue: in order
    std::vector<sycl::queue> stage;  // made on first staged peer copy from this device
    bool profiling;
  };
  struct AllocRec {
    int device;
    Variant variant;
    size_t context;
  };
  struct EventRec {
    sycl::event event;
    int device;
  };

  static constexpr size_t kStageBytes = size_t(16) << 20;
  // Kernels are launched over at most 2^30 items at a time: DPC++ may assume that ids
  // fit in an int (-fsycl-id-queries-fit-in-int).
  static constexpr size_t kMaxLaunch = size_t(1) << 30;

  Dev& dev(int device) {
    if (device < 0 || device >= static_cast<int>(devs_.size())) {
      throw std::invalid_argument("sycl: device " + std::to_string(device) + " out of range (" +
                                  std::to_string(devs_.size()) + " devices)");
    }
    return devs_[static_cast<size_t>(device)];
  }

  const sycl::context& contextOf(int device) { return contexts_[dev(device).context]; }

  sycl::queue& queue(int device, int q) {
    Dev& d = dev(device);
    if (q != kComputeQueue && q != kCopyQueue) {
      throw std::invalid_argument("queue " + std::to_string(q) + ": the sycl backend has queues 0 (compute) and 1 (copy)");
    }
    return d.queue[static_cast<size_t>(q)];
  }

  template <typename F>
  void launch(int device, int q, size_t n, const char* what, F f) {
    sycl::queue& Q = queue(device, q);
    guarded(what, [&] {
      for (size_t off = 0; off < n; off += kMaxLaunch) {
        const size_t len = std::min(kMaxLaunch, n - off);
        Q.parallel_for(sycl::range<1>(len), [=](sycl::id<1> i) { f(off + i[0]); });
      }
    });
  }

  void transfer(int device, void* dst, const void* src, size_t bytes) {
    Dev& d = dev(device);
    guarded("sycl::queue::memcpy", [&] {
      waitAndThrow(d.queue[kCopyQueue]);
      if (bytes) d.queue[kComputeQueue].memcpy(dst, src, bytes);
      waitAndThrow(d.queue[kComputeQueue]);
    });
  }

  const AllocRec& findAllocation(const Allocation& a) const {
    const auto it = allocs_.find(a.ptr);
    if (it == allocs_.end()) throw std::invalid_argument("sycl: allocation unknown to this backend");
    return it->second;
  }

  template <typename Submit>
  Event record(int device, int q, Submit submit) {
    sycl::queue& Q = queue(device, q);
    sycl::event e = guarded("record event", [&] { return submit(Q); });
    const Event handle = ++lastEvent_;
    events_.emplace(handle, EventRec{e, device});
    return handle;
  }

  const EventRec& findEvent(Event e) const {
    const auto it = events_.find(e);
    if (it == events_.end()) throw std::invalid_argument("sycl: event unknown to this backend, or already destroyed");
    return it->second;
  }

  DeviceInfo deviceInfo(int index) {
    const sycl::device& d = dev(index).device;
    DeviceInfo info;
    info.index = index;
    info.name = d.get_info<sycl::info::device::name>();
    info.vendor = d.get_info<sycl::info::device::vendor>();
    info.memoryBytes = d.get_info<sycl::info::device::global_mem_size>();
    char hex[16];
    std::snprintf(hex, sizeof hex, "%04x", static_cast<unsigned>(d.get_info<sycl::info::device::vendor_id>()));
    info.extra["vendorId"] = hex;
#if defined(SYCL_EXT_INTEL_DEVICE_INFO)
    // extension: sycl_ext_intel_device_info; device_id and its aspect came in its version 5
#if SYCL_EXT_INTEL_DEVICE_INFO >= 5
    if (d.has(sycl::aspect::ext_intel_device_id)) {
      const std::string vendor = hex;
      std::snprintf(hex, sizeof hex, "%04x", static_cast<unsigned>(d.get_info<sycl::ext::intel::info::device::device_id>()));
      info.pciId = vendor + ":" + hex;
    }
#endif
    if (d.has(sycl::aspect::ext_intel_pci_address)) {
      info.pciBusId = d.get_info<sycl::ext::intel::info::device::pci_address>();
      for (char& c : info.pciBusId) c = static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    }
#endif
    const PciFacts pci = pciFacts(info.pciBusId);
    if (!pci.pciId.empty()) info.pciId = pci.pciId;
    info.kernelDriver = pci.kernelDriver;
    info.extra["backend"] = backendName(d.get_backend());
    info.extra["driverVersion"] = d.get_info<sycl::info::device::driver_version>();
    info.extra["version"] = d.get_info<sycl::info::device::version>();
    info.extra["maxMemAllocSize"] = std::to_string(d.get_info<sycl::info::device::max_mem_alloc_size>());
    info.extra["queueProfiling"] = dev(index).profiling ? "yes" : "no";
    for (int j = 0; j < deviceCount(); ++j) {
      if (j != index && peerSupported(dev(index).device, dev(j).device)) info.peers.push_back(j);
    }
    return info;
  }

  PluginOptions opts_;
  std::vector<sycl::context> contexts_;  // one, or one per device
  std::vector<Dev> devs_;
  std::map<void*, AllocRec> allocs_;  // allocate() results not yet released
  std::map<void*, int> buffers_;      // deviceAlloc() buffers not yet freed -> device
  std::map<Event, EventRec> events_;  // recorded events not yet destroyed
  Event lastEvent_ = 0;
  std::vector<unsigned char> staging_;  // host buffer of staged peer copies
  unsigned sink_ = 0;                   // keeps host reads of touch(Read) observable
};

}  // namespace
}  // namespace syclb
}  // namespace xpd

XPUDIAG_DEFINE_PLUGIN(xpd::syclb::SyclBackend, "sycl backend");
