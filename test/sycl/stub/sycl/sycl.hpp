// A stand-in for <sycl/sycl.hpp>, for tests on machines without a SYCL compiler: the
// part of the SYCL 2020 API that the xpudiag plugin uses, emulated on the host so that
// g++ builds the plugin and the real core drives it.
//
// It is NOT a SYCL implementation and proves nothing about one: queues run each command
// at once on the calling thread, "device" memory is host memory, kernels are loops. It
// offers only what every implementation the plugin is built with offers, so that code
// a real compiler rejects is rejected here too: nothing AdaptiveCpp lacks (no
// platform::get_backend, no ext_oneapi_* members) unless modelling DPC++, and each
// implementation's own names only in its model. The model, chosen by macro:
//   (default)               oneAPI DPC++: SYCL_IMPLEMENTATION_ONEAPI, libsycl 8.0.0, its
//                           backend names, sycl_ext_oneapi_peer_access,
//                           sycl_ext_oneapi_enqueue_barrier, sycl_ext_intel_device_info;
//                           asynchronous errors handed to the failing queue's handler
//   XPD_SYCL_STUB_ACPP      AdaptiveCpp 24.08.0 (ACPP_VERSION_MINOR is `08`, which does
//                           not compile as an integer), its backend names, no extensions,
//                           Level Zero devices without profiling, the OpenMP CPU device
//                           reporting SIZE_MAX bytes of memory, one store of asynchronous
//                           errors handed to whichever queue is waited on
//   XPD_SYCL_STUB_CORE_ONLY an implementation xpudiag does not know: SYCL 2020 core only
//
// The rules it checks, whatever the implementation: a USM pointer is used only with
// queues and frees of its own context; device USM only on its own device unless peer
// access to it was enabled (SYCL 2020: device allocations are accessible on their own
// device); profiling queues only on devices with aspect::queue_profiling, profiling info
// only from them.
//
// Variables: XPD_SYCL_STUB_GPUS (default 2; 0: none), XPD_SYCL_STUB_CPUS (default 1),
// XPD_SYCL_STUB_NO_PEER=1 (GPUs cannot access each other), XPD_SYCL_STUB_FAIL_ALLOC=1
// (every USM allocation throws), XPD_SYCL_STUB_ASYNC_FAULT=1 (every parallel_for kernel
// fails asynchronously) or =gpu<N> (only kernels on GPU N): the error reaches an
// async_handler at wait_and_throw, or, still pending, when the queue's last copy is
// destroyed.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#define XPUDIAG_SYCL_STUB "xpudiag SYCL stub (host emulation, tests only)"
#if defined(XPD_SYCL_STUB_ACPP)
#define SYCL_IMPLEMENTATION_ACPP
#define ACPP_VERSION_MAJOR 24
#define ACPP_VERSION_MINOR 08
#define ACPP_VERSION_PATCH 0
#define ACPP_VERSION_SUFFIX "+stub"
#elif !defined(XPD_SYCL_STUB_CORE_ONLY)
#define XPD_SYCL_STUB_DPCPP 1
#define SYCL_IMPLEMENTATION_ONEAPI
#define __LIBSYCL_MAJOR_VERSION 8
#define __LIBSYCL_MINOR_VERSION 0
#define __LIBSYCL_PATCH_VERSION 0
#define SYCL_EXT_ONEAPI_ENQUEUE_BARRIER 1
#define SYCL_EXT_ONEAPI_PEER_ACCESS 1
#define SYCL_EXT_INTEL_DEVICE_INFO 7  // the version current DPC++ defines (device_id needs 5)
#endif
#define SYCL_LANGUAGE_VERSION 202012

namespace sycl {

enum class errc { success = 0, runtime, kernel, accessor, nd_range, event, kernel_argument, build, invalid,
                  memory_allocation, platform, profiling, feature_not_supported, kernel_not_supported, backend_mismatch };

inline const std::error_category& sycl_category() noexcept {
  struct Cat : std::error_category {
    const char* name() const noexcept override { return "sycl"; }
    std::string message(int c) const override {
      static const char* names[] = {"success", "runtime", "kernel", "accessor", "nd_range", "event", "kernel_argument", "build",
                                    "invalid", "memory_allocation", "platform", "profiling", "feature_not_supported",
                                    "kernel_not_supported", "backend_mismatch"};
      return c >= 0 && c < 15 ? names[c] : "unknown";
    }
  };
  static const Cat cat;
  return cat;
}

class exception : public std::exception {
 public:
  exception(errc c, const std::string& what) : code_(static_cast<int>(c), sycl_category()), what_(what) {}
  const std::error_code& code() const noexcept { return code_; }
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  std::error_code code_;
  std::string what_;
};

using exception_list = std::vector<std::exception_ptr>;
using async_handler = std::function<void(exception_list)>;

// The enumerators are implementation-defined (SYCL 2020 4.1): each model has its own.
#if defined(XPD_SYCL_STUB_ACPP)
enum class backend { cuda, hip, level_zero, ocl, omp };
constexpr backend kStubGpuBackend = backend::level_zero;
constexpr backend kStubCpuBackend = backend::omp;
#elif defined(XPD_SYCL_STUB_DPCPP)
enum class backend { opencl, ext_oneapi_level_zero, ext_oneapi_cuda, ext_oneapi_hip };
constexpr backend kStubGpuBackend = backend::ext_oneapi_level_zero;
constexpr backend kStubCpuBackend = backend::opencl;
#else
enum class backend { stub_gpu, stub_cpu };
constexpr backend kStubGpuBackend = backend::stub_gpu;
constexpr backend kStubCpuBackend = backend::stub_cpu;
#endif

enum class aspect {
  cpu, gpu, queue_profiling, usm_device_allocations,
#if defined(XPD_SYCL_STUB_DPCPP)
  ext_intel_pci_address, ext_intel_device_id,
#endif
};

namespace info {
enum class device_type { cpu, gpu, accelerator, all };
namespace device {
struct name { using type = std::string; };
struct vendor { using type = std::string; };
struct vendor_id { using type = uint32_t; };
struct driver_version { using type = std::string; };
struct version { using type = std::string; };
struct global_mem_size { using type = uint64_t; };
struct max_mem_alloc_size { using type = uint64_t; };
}  // namespace device
namespace platform {
struct name { using type = std::string; };
struct version { using type = std::string; };
}  // namespace platform
namespace event_profiling {
struct command_submit { using type = uint64_t; };
struct command_start { using type = uint64_t; };
struct command_end { using type = uint64_t; };
}  // namespace event_profiling
}  // namespace info

#if defined(XPD_SYCL_STUB_DPCPP)
namespace ext {
namespace intel::info::device {
struct device_id { using type = uint32_t; };
struct pci_address { using type = std::string; };
}  // namespace intel::info::device
namespace oneapi {
enum class peer_access { access_supported, atomics_supported };
}
}  // namespace ext
#endif

namespace stub {
inline int count(const char* var, int dflt) {
  const char* v = std::getenv(var);
  return v ? std::atoi(v) : dflt;
}
inline bool set(const char* var) {
  const char* v = std::getenv(var);
  return v && *v == '1';
}
// Devices 0 .. GPUS-1 are GPUs, the rest CPUs; each platform holds its own.
inline int gpus() { return count("XPD_SYCL_STUB_GPUS", 2); }
inline int cpus() { return count("XPD_SYCL_STUB_CPUS", 1); }
// Pairs (self, peer) where peer access was enabled: self may use peer's device USM.
inline std::set<std::pair<int, int>>& peerEnabled() {
  static std::set<std::pair<int, int>> s;
  return s;
}
}  // namespace stub

class platform;

class device {
 public:
  explicit device(int index = 0) : index_(index) {}
  int stubIndex() const { return index_; }
  bool operator==(const device& o) const { return index_ == o.index_; }
  bool is_gpu() const { return index_ < stub::gpus(); }
  bool is_cpu() const { return !is_gpu(); }
  backend get_backend() const { return is_gpu() ? kStubGpuBackend : kStubCpuBackend; }
  platform get_platform() const;
  bool has(aspect a) const {
    switch (a) {
      case aspect::cpu: return is_cpu();
      case aspect::gpu: return is_gpu();
#if defined(XPD_SYCL_STUB_ACPP)
      case aspect::queue_profiling: return is_cpu();  // AdaptiveCpp's Level Zero devices have no execution timestamps
#else
      case aspect::queue_profiling: return true;
#endif
      default: return a == aspect::usm_device_allocations;
    }
  }
#if defined(XPD_SYCL_STUB_DPCPP)
  // Not const, as in the extension and DPC++'s device.hpp: a call on a const device must fail here too.
  bool ext_oneapi_can_access_peer(const device& peer, ext::oneapi::peer_access = ext::oneapi::peer_access::access_supported) {
    return is_gpu() && peer.is_gpu() && !stub::set("XPD_SYCL_STUB_NO_PEER");
  }
  void ext_oneapi_enable_peer_access(const device& peer) {
    if (!ext_oneapi_can_access_peer(peer)) throw exception(errc::invalid, "stub: peer access is not supported between these devices");
    stub::peerEnabled().emplace(index_, peer.index_);
  }
  void ext_oneapi_disable_peer_access(const device& peer) { stub::peerEnabled().erase({index_, peer.index_}); }
#endif
  template <typename T>
  typename T::type get_info() const {
    if constexpr (std::is_same_v<T, info::device::name>) return (is_gpu() ? "stub GPU " : "stub CPU ") + std::to_string(index_);
    else if constexpr (std::is_same_v<T, info::device::vendor>) return "xpudiag";
    else if constexpr (std::is_same_v<T, info::device::vendor_id>) return 0x8086u;
    else if constexpr (std::is_same_v<T, info::device::driver_version>) return "0.0.0+stub";
    else if constexpr (std::is_same_v<T, info::device::version>) return "0.0";
    else if constexpr (std::is_same_v<T, info::device::global_mem_size>) {
#if defined(XPD_SYCL_STUB_ACPP)
      // AdaptiveCpp's OpenMP device: std::numeric_limits<std::size_t>::max() ("TODO", 24.06).
      if (is_cpu()) return std::numeric_limits<uint64_t>::max();
#endif
      return uint64_t(1) << 30;
    } else if constexpr (std::is_same_v<T, info::device::max_mem_alloc_size>) return uint64_t(1) << 30;
#if defined(XPD_SYCL_STUB_DPCPP)
    else if constexpr (std::is_same_v<T, ext::intel::info::device::device_id>) return 0xe20bu;
    else if constexpr (std::is_same_v<T, ext::intel::info::device::pci_address>) return "0000:00:00.0";
#endif
    else static_assert(sizeof(T) == 0, "stub: unknown device info");
  }

 private:
  int index_;
};

// A platform of the GPUs and one of the CPUs, as the implementations show them. No
// get_backend: AdaptiveCpp's platform has none (24.06).
class platform {
 public:
  explicit platform(bool gpus = true) : gpus_(gpus) {}
  static std::vector<platform> get_platforms() { return {platform(true), platform(false)}; }
  std::vector<device> get_devices(info::device_type t = info::device_type::all) const {
    std::vector<device> out;
    const bool want = t == info::device_type::all || (gpus_ ? t == info::device_type::gpu : t == info::device_type::cpu);
    if (!want) return out;
    const int first = gpus_ ? 0 : stub::gpus();
    const int n = gpus_ ? stub::gpus() : stub::cpus();
    for (int i = 0; i < n; ++i) out.emplace_back(first + i);
    return out;
  }
  template <typename T>
  typename T::type get_info() const {
    if constexpr (std::is_same_v<T, info::platform::name>) return gpus_ ? "xpudiag SYCL stub GPUs" : "xpudiag SYCL stub CPU";
    else if constexpr (std::is_same_v<T, info::platform::version>) return "0.0";
    else static_assert(sizeof(T) == 0, "stub: unknown platform info");
  }

 private:
  bool gpus_;
};

inline platform device::get_platform() const { return platform(is_gpu()); }

class context {
 public:
  context(const device& d, const async_handler& h = {}) : context(std::vector<device>{d}, h) {}
  context(const std::vector<device>& ds, const async_handler& = {}) : devices_(ds), id_(std::make_shared<int>(0)) {}
  bool operator==(const context& o) const { return id_ == o.id_; }
  bool contains(const device& d) const {
    for (const device& x : devices_)
      if (x == d) return true;
    return false;
  }

 private:
  std::vector<device> devices_;
  std::shared_ptr<int> id_;
};

namespace property::queue {
struct in_order {};
struct enable_profiling {};
}  // namespace property::queue

class property_list {
 public:
  template <typename... P>
  property_list(P... p) {
    (note(p), ...);
  }
  bool profiling() const { return profiling_; }

 private:
  void note(property::queue::enable_profiling) { profiling_ = true; }
  void note(property::queue::in_order) {}
  bool profiling_ = false;
};

// USM pointers, the context each belongs to, and the device of a device allocation.
namespace stub {
struct Usm {
  context ctx;
  size_t bytes;
  int device;  // -1: not device USM (shared, host)
};
inline std::map<const void*, Usm>& usm() {
  static std::map<const void*, Usm> m;
  return m;
}
// The allocation holding p, if p is USM.
inline const Usm* find(const void* p) {
  auto& m = usm();
  auto it = m.upper_bound(p);
  if (it == m.begin()) return nullptr;
  --it;
  const auto* b = static_cast<const unsigned char*>(it->first);
  return static_cast<const unsigned char*>(p) < b + it->second.bytes ? &it->second : nullptr;
}
inline void* alloc(size_t bytes, const context& ctx, int device) {
  // XPD_SYCL_STUB_FAIL_ALLOC=1: every allocation fails as a runtime out of memory would.
  if (set("XPD_SYCL_STUB_FAIL_ALLOC"))
    throw exception(errc::memory_allocation, "stub: UR_RESULT_ERROR_OUT_OF_DEVICE_MEMORY (XPD_SYCL_STUB_FAIL_ALLOC=1)");
  void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
  if (p) usm().emplace(p, Usm{ctx, bytes ? bytes : 1, device});
  return p;
}
inline uint64_t now() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}
// Whether a kernel on GPU `device` fails (XPD_SYCL_STUB_ASYNC_FAULT=1 or gpu<N>).
inline bool kernelFails(int device) {
  const char* a = std::getenv("XPD_SYCL_STUB_ASYNC_FAULT");
  if (!a) return false;
  if (std::strcmp(a, "1") == 0) return true;
  return std::strncmp(a, "gpu", 3) == 0 && std::atoi(a + 3) == device;
}
// Errors of work that failed, not yet handed to a handler. DPC++ keeps them per queue;
// AdaptiveCpp in one store for the process, handed to whichever queue is waited on.
struct Async {
  async_handler handler;
  exception_list pending;
};
inline std::vector<std::weak_ptr<Async>>& everyQueue() {
  static std::vector<std::weak_ptr<Async>> all;
  return all;
}
inline void deliver(Async& a) {
  exception_list errors;
#if defined(XPD_SYCL_STUB_ACPP)
  for (auto& w : everyQueue()) {
    if (auto q = w.lock()) {
      errors.insert(errors.end(), q->pending.begin(), q->pending.end());
      q->pending.clear();
    }
  }
#endif
  errors.insert(errors.end(), a.pending.begin(), a.pending.end());
  a.pending.clear();
  if (errors.empty()) return;
  if (a.handler) a.handler(errors);
  else std::terminate();  // SYCL 2020 4.13.1.2: the default handler terminates
}
}  // namespace stub

class event {
 public:
  event() = default;
  event(uint64_t t, bool profiling, std::shared_ptr<stub::Async> async) : t_(t), profiling_(profiling), async_(std::move(async)) {}
  void wait() {}
  // SYCL 2020: hands the errors of the event's command to the handler of its queue.
  void wait_and_throw() {
    if (async_) stub::deliver(*async_);
  }
  template <typename T>
  uint64_t get_profiling_info() const {
    if (!profiling_) throw exception(errc::invalid, "stub: profiling info of a queue without enable_profiling");
    return t_;
  }

 private:
  uint64_t t_ = 0;
  bool profiling_ = false;
  std::shared_ptr<stub::Async> async_;
};

template <int N>
class id {
 public:
  explicit id(size_t i) : i_(i) {}
  size_t operator[](int) const { return i_; }

 private:
  size_t i_;
};

template <int N>
class range {
 public:
  explicit range(size_t n) : n_(n) {}
  size_t size() const { return n_; }

 private:
  size_t n_;
};

class handler {
 public:
  void depends_on(const event&) {}
  template <typename F>
  void single_task(const F& f) {
    f();
  }
  template <typename F>
  void parallel_for(range<1> r, const F& f) {
    for (size_t i = 0; i < r.size(); ++i) f(id<1>(i));
  }
};

class queue {
  // Shared by the copies of one queue, as a real queue's implementation is.
  struct Shared : stub::Async {
    ~Shared() { stub::deliver(*this); }  // noexcept: a handler that throws here ends the process
  };

 public:
  queue() : queue(context(device(0)), device(0)) {}
  queue(const context& c, const device& d, const async_handler& h = {}, const property_list& props = {})
      : ctx_(c), dev_(d), profiling_(props.profiling()), async_(std::make_shared<Shared>()) {
    if (!c.contains(d)) throw exception(errc::invalid, "stub: queue device not in its context");
    if (profiling_ && !d.has(aspect::queue_profiling))
      throw exception(errc::feature_not_supported, "stub: enable_profiling on a device without aspect::queue_profiling");
    async_->handler = h;
    stub::everyQueue().push_back(async_);
  }
  context get_context() const { return ctx_; }
  device get_device() const { return dev_; }

  event memcpy(void* dst, const void* src, size_t n) {
    check(dst, "memcpy destination");
    check(src, "memcpy source");
    std::memcpy(dst, src, n);
    return done();
  }
  event memset(void* dst, int v, size_t n) {
    check(dst, "memset destination");
    std::memset(dst, v, n);
    return done();
  }
  template <typename T>
  event fill(void* dst, const T& pattern, size_t count) {
    check(dst, "fill destination");
    for (size_t i = 0; i < count; ++i) std::memcpy(static_cast<unsigned char*>(dst) + i * sizeof(T), &pattern, sizeof(T));
    return done();
  }
  template <typename F>
  event single_task(const F& f) {
    f();
    return done();
  }
  template <typename F>
  event parallel_for(range<1> r, const F& f) {
    if (dev_.is_gpu() && stub::kernelFails(dev_.stubIndex())) {
      async_->pending.push_back(std::make_exception_ptr(exception(
          errc::kernel, "stub: the kernel failed on the device (GPU " + std::to_string(dev_.stubIndex()) + ", XPD_SYCL_STUB_ASYNC_FAULT)")));
      return done();
    }
    handler h;
    h.parallel_for(r, f);
    return done();
  }
  template <typename F>
  event submit(F cgf) {
    handler h;
    cgf(h);
    return done();
  }
#if defined(SYCL_EXT_ONEAPI_ENQUEUE_BARRIER)
  event ext_oneapi_submit_barrier() { return done(); }
  event ext_oneapi_submit_barrier(const std::vector<event>&) { return done(); }
#endif
  void wait() {}
  void wait_and_throw() { stub::deliver(*async_); }

 private:
  void check(const void* p, const char* what) const {
    const stub::Usm* u = stub::find(p);
    if (!u) return;
    if (!(u->ctx == ctx_)) throw exception(errc::invalid, std::string("stub: ") + what + " is USM of another context");
    if (u->device >= 0 && u->device != dev_.stubIndex() && !stub::peerEnabled().count({dev_.stubIndex(), u->device})) {
      throw exception(errc::invalid, std::string("stub: ") + what + " is device USM of device " + std::to_string(u->device) +
                                         ", used on device " + std::to_string(dev_.stubIndex()) +
                                         " without peer access (SYCL 2020: device allocations are accessible on their own device)");
    }
  }
  event done() const { return event(stub::now(), profiling_, async_); }

  context ctx_;
  device dev_;
  bool profiling_;
  std::shared_ptr<Shared> async_;
};

inline void* malloc_device(size_t bytes, const device& d, const context& ctx) { return stub::alloc(bytes, ctx, d.stubIndex()); }
inline void* aligned_alloc_device(size_t, size_t bytes, const device& d, const context& ctx) { return stub::alloc(bytes, ctx, d.stubIndex()); }
inline void* malloc_shared(size_t bytes, const device&, const context& ctx) { return stub::alloc(bytes, ctx, -1); }
inline void* malloc_host(size_t bytes, const context& ctx) { return stub::alloc(bytes, ctx, -1); }
template <typename T>
T* malloc_device(size_t count, const queue& q) {
  return static_cast<T*>(stub::alloc(count * sizeof(T), q.get_context(), q.get_device().stubIndex()));
}

inline void free(void* p, const context& ctx) {
  if (!p) return;
  auto& m = stub::usm();
  auto it = m.find(p);
  if (it == m.end()) throw exception(errc::invalid, "stub: free of a pointer that is not a USM allocation");
  if (!(it->second.ctx == ctx)) throw exception(errc::invalid, "stub: free with another context than the allocation's");
  m.erase(it);
  std::free(p);
}
inline void free(void* p, const queue& q) { free(p, q.get_context()); }

}  // namespace sycl
