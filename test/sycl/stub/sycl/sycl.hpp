// A stand-in for <sycl/sycl.hpp>, for tests on machines without a SYCL compiler: the
// part of the SYCL 2020 API (and of the oneAPI extensions) that the xpudiag plugin
// uses, emulated on the host so that g++ builds the plugin and the real core drives it.
//
// It is NOT a SYCL implementation and proves nothing about one: queues run each command
// at once on the calling thread, "device" memory is host memory, kernels are loops.
// What it does check: the plugin's C++, its bookkeeping, and the rules the plugin must
// follow whatever the implementation: a USM pointer is used only with queues and frees
// of its own context (the contextDevices=one staging path), profiling info only from
// profiling queues. XPD_SYCL_STUB_GPUS sets the number of GPUs (default 2; 0: none);
// XPD_SYCL_STUB_FAIL_ALLOC=1 makes every USM allocation throw. XPD_SYCL_STUB_ASYNC_FAULT=1
// makes every parallel_for kernel fail asynchronously: its error goes to the queue's
// async_handler at wait_and_throw, or, still pending, when the queue's last copy is
// destroyed (as AdaptiveCpp's ~queue does, and DPC++'s did before the unified runtime).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

#define XPUDIAG_SYCL_STUB "xpudiag SYCL stub (host emulation, tests only)"
#ifndef XPD_SYCL_STUB_CORE_ONLY
#define SYCL_EXT_ONEAPI_ENQUEUE_BARRIER 1
#define SYCL_EXT_ONEAPI_PEER_ACCESS 1
#define SYCL_EXT_INTEL_DEVICE_INFO 7  // the version current DPC++ defines (device_id needs 5)
#endif

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

enum class backend { opencl, ext_oneapi_level_zero, ext_oneapi_cuda, ext_oneapi_hip };
enum class aspect { gpu, queue_profiling, usm_device_allocations, ext_intel_pci_address, ext_intel_device_id };

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

namespace ext {
namespace intel::info::device {
struct device_id { using type = uint32_t; };
struct pci_address { using type = std::string; };
}  // namespace intel::info::device
namespace oneapi {
enum class peer_access { access_supported, atomics_supported };
}
}  // namespace ext

class platform;

class device {
 public:
  explicit device(int index = 0) : index_(index) {}
  int stubIndex() const { return index_; }
  bool operator==(const device& o) const { return index_ == o.index_; }
  backend get_backend() const { return backend::ext_oneapi_level_zero; }
  platform get_platform() const;
  bool has(aspect a) const { return a != aspect::ext_intel_pci_address && a != aspect::ext_intel_device_id; }
  // Not const, as in the extension and DPC++'s device.hpp: a call on a const device must fail here too.
  bool ext_oneapi_can_access_peer(const device&, ext::oneapi::peer_access = ext::oneapi::peer_access::access_supported) {
    return true;
  }
  template <typename T>
  typename T::type get_info() const {
    if constexpr (std::is_same_v<T, info::device::name>) return "stub GPU " + std::to_string(index_);
    else if constexpr (std::is_same_v<T, info::device::vendor>) return "xpudiag";
    else if constexpr (std::is_same_v<T, info::device::vendor_id>) return 0x8086u;
    else if constexpr (std::is_same_v<T, info::device::driver_version>) return "0.0.0+stub";
    else if constexpr (std::is_same_v<T, info::device::version>) return "0.0";
    else if constexpr (std::is_same_v<T, info::device::global_mem_size>) return uint64_t(1) << 30;
    else if constexpr (std::is_same_v<T, info::device::max_mem_alloc_size>) return uint64_t(1) << 30;
    else if constexpr (std::is_same_v<T, ext::intel::info::device::device_id>) return 0xe20bu;
    else if constexpr (std::is_same_v<T, ext::intel::info::device::pci_address>) return "0000:00:00.0";
    else static_assert(sizeof(T) == 0, "stub: unknown device info");
  }

 private:
  int index_;
};

inline int stubGpus() {
  const char* v = std::getenv("XPD_SYCL_STUB_GPUS");
  return v ? std::atoi(v) : 2;
}

class platform {
 public:
  static std::vector<platform> get_platforms() { return {platform()}; }
  backend get_backend() const { return backend::ext_oneapi_level_zero; }
  std::vector<device> get_devices(info::device_type t = info::device_type::all) const {
    std::vector<device> out;
    if (t == info::device_type::gpu || t == info::device_type::all)
      for (int i = 0; i < stubGpus(); ++i) out.emplace_back(i);
    return out;
  }
  template <typename T>
  typename T::type get_info() const {
    if constexpr (std::is_same_v<T, info::platform::name>) return "xpudiag SYCL stub";
    else if constexpr (std::is_same_v<T, info::platform::version>) return "0.0";
    else static_assert(sizeof(T) == 0, "stub: unknown platform info");
  }
};

inline platform device::get_platform() const { return platform(); }

class context {
 public:
  context(const device& d, const async_handler& = {}) : context(std::vector<device>{d}) {}
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

// USM pointers and the context each belongs to.
namespace stub {
struct Usm {
  context ctx;
  size_t bytes;
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
inline void* alloc(size_t bytes, const context& ctx) {
  // XPD_SYCL_STUB_FAIL_ALLOC=1: every allocation fails as a runtime out of memory would.
  if (const char* f = std::getenv("XPD_SYCL_STUB_FAIL_ALLOC"); f && *f == '1')
    throw exception(errc::memory_allocation, "stub: UR_RESULT_ERROR_OUT_OF_DEVICE_MEMORY (XPD_SYCL_STUB_FAIL_ALLOC=1)");
  void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
  if (p) usm().emplace(p, Usm{ctx, bytes ? bytes : 1});
  return p;
}
inline uint64_t now() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}
}  // namespace stub

class event {
 public:
  event() = default;
  event(uint64_t t, bool profiling) : t_(t), profiling_(profiling) {}
  void wait() {}
  void wait_and_throw() {}
  template <typename T>
  uint64_t get_profiling_info() const {
    if (!profiling_) throw exception(errc::invalid, "stub: profiling info of a queue without enable_profiling");
    return t_;
  }

 private:
  uint64_t t_ = 0;
  bool profiling_ = false;
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
  struct Async {
    async_handler handler;
    exception_list pending;
    void deliver() {
      if (pending.empty()) return;
      exception_list errors;
      errors.swap(pending);
      if (handler) handler(errors);
      else std::terminate();  // SYCL 2020 4.13.1.2: the default handler terminates
    }
    ~Async() { deliver(); }  // noexcept: a handler that throws here ends the process
  };

 public:
  queue() : queue(context(device(0)), device(0)) {}
  queue(const context& c, const device& d, const async_handler& h = {}, const property_list& props = {})
      : ctx_(c), dev_(d), profiling_(props.profiling()), async_(std::make_shared<Async>()) {
    if (!c.contains(d)) throw exception(errc::invalid, "stub: queue device not in its context");
    async_->handler = h;
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
    if (const char* a = std::getenv("XPD_SYCL_STUB_ASYNC_FAULT"); a && *a == '1') {
      async_->pending.push_back(std::make_exception_ptr(exception(errc::kernel, "stub: the kernel failed on the device (XPD_SYCL_STUB_ASYNC_FAULT=1)")));
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
  event ext_oneapi_submit_barrier() { return done(); }
  event ext_oneapi_submit_barrier(const std::vector<event>&) { return done(); }
  void wait() {}
  void wait_and_throw() { async_->deliver(); }

 private:
  void check(const void* p, const char* what) const {
    const stub::Usm* u = stub::find(p);
    if (u && !(u->ctx == ctx_)) throw exception(errc::invalid, std::string("stub: ") + what + " is USM of another context");
  }
  event done() const { return event(stub::now(), profiling_); }

  context ctx_;
  device dev_;
  bool profiling_;
  std::shared_ptr<Async> async_;
};

inline void* malloc_device(size_t bytes, const device&, const context& ctx) { return stub::alloc(bytes, ctx); }
inline void* aligned_alloc_device(size_t, size_t bytes, const device&, const context& ctx) { return stub::alloc(bytes, ctx); }
inline void* malloc_shared(size_t bytes, const device&, const context& ctx) { return stub::alloc(bytes, ctx); }
inline void* malloc_host(size_t bytes, const context& ctx) { return stub::alloc(bytes, ctx); }
template <typename T>
T* malloc_device(size_t count, const queue& q) {
  return static_cast<T*>(stub::alloc(count * sizeof(T), q.get_context()));
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
