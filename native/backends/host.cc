#include "backends/host.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/bf16.h"

namespace xpd {
namespace {

constexpr uintptr_t kMalloc = 1, kMmap = 2;
constexpr int kQueuesPerDevice = 2;
constexpr size_t kBufferAlign = 4096;

using Clock = std::chrono::steady_clock;

// Test-only faults, so the all-reduce checker can be shown to catch real bugs.
enum class Fault {
  None,
  SkipLast,     // every add/sum primitive leaves the last element of its range alone
  NoWait,       // waitEvent orders nothing
  WorkerThrow,  // addF32 fails inside the worker thread
  CopyFlip,     // copyPeer flips one bit of the last byte it copies
};

// A recorded event: completes when its queue reaches the marker.
struct EventState {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  Clock::time_point at;
};

// One in-order queue executed by its own thread. Work is plain host code on host
// memory; ordering between queues exists only through events (a marker task on one
// queue, a blocking wait task on another), exactly like device queues.
class Queue {
 public:
  struct Task {
    std::function<void()> run;
    bool marker = false;  // runs even after an error, so no waiter blocks forever
  };

  Queue() : worker_([this] { loop(); }) {}

  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  // The owner drains every queue before destroying any (a queue may be waiting on
  // another's marker), so here only the thread is left to stop.
  ~Queue() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
    }
    wake_.notify_all();
    worker_.join();
  }

  void push(Task t) {
    {
      std::lock_guard<std::mutex> lock(m_);
      tasks_.push_back(std::move(t));
    }
    wake_.notify_one();
  }

  // Blocks until every task pushed so far has run. Never throws.
  void waitIdle() {
    std::unique_lock<std::mutex> lock(m_);
    idle_.wait(lock, [this] { return tasks_.empty() && !running_; });
  }

  // Takes the first error a task threw since the last call (null if none).
  std::exception_ptr takeError() {
    std::lock_guard<std::mutex> lock(m_);
    std::exception_ptr e = error_;
    error_ = nullptr;
    return e;
  }

  void setSerializer(std::mutex* m, std::chrono::milliseconds delay) {
    serialize_ = m;
    delay_ = delay;
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(m_);
    for (;;) {
      wake_.wait(lock, [this] { return stop_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stop_ and nothing left
      Task t = std::move(tasks_.front());
      tasks_.pop_front();
      const bool skip = error_ && !t.marker;
      running_ = true;
      lock.unlock();
      std::exception_ptr failed;
      if (!skip) {
        try {
          execute(t);
        } catch (...) {
          failed = std::current_exception();
        }
      }
      lock.lock();
      running_ = false;
      if (failed && !error_) error_ = failed;
      if (tasks_.empty()) idle_.notify_all();
    }
  }

  void execute(Task& t) {
    if (!serialize_) {
      t.run();
      return;
    }
    // Fault mode no-wait: queues run unordered, but one task at a time across all
    // queues (so the injected bug shows as wrong data, never as a data race), and the
    // copy queues start late so the missing wait is reliably visible.
    if (delay_.count() > 0 && !t.marker) std::this_thread::sleep_for(delay_);
    std::lock_guard<std::mutex> lock(*serialize_);
    t.run();
  }

  std::mutex m_;
  std::condition_variable wake_, idle_;
  std::deque<Task> tasks_;
  bool running_ = false;
  bool stop_ = false;
  std::exception_ptr error_;
  std::mutex* serialize_ = nullptr;  // set before any task is pushed
  std::chrono::milliseconds delay_{0};
  std::thread worker_;  // last: starts after every other member exists
};

class HostBackend : public Backend {
 public:
  explicit HostBackend(const Options& options) {
    for (const auto& [key, value] : options) {
      if (key == "devices") {
        char* end = nullptr;
        long n = strtol(value.c_str(), &end, 10);
        if (!end || *end || n < 1 || n > 64) throw std::invalid_argument("host backend: devices must be 1..64, got '" + value + "'");
        devices_ = static_cast<int>(n);
      } else if (key == "fault") {
        if (value == "none")
          fault_ = Fault::None;
        else if (value == "skip-last")
          fault_ = Fault::SkipLast;
        else if (value == "no-wait")
          fault_ = Fault::NoWait;
        else if (value == "worker-throw")
          fault_ = Fault::WorkerThrow;
        else if (value == "copy-flip")
          fault_ = Fault::CopyFlip;
        else
          throw std::invalid_argument("host backend: fault must be none, skip-last, no-wait, worker-throw or copy-flip, got '" + value + "'");
      } else if (key == "peerKernels") {
        if (value != "on" && value != "off") throw std::invalid_argument("host backend: option peerKernels must be on or off, got '" + value + "'");
        peerKernels_ = value == "on";
      } else {
        throw std::invalid_argument("host backend: unknown option '" + key + "' (known: devices, fault, peerKernels)");
      }
    }
  }

  ~HostBackend() override {
    // Drain everything before stopping anything: a queue may be blocked on a marker of
    // another queue. Then free what the caller left behind.
    for (auto& q : queues_) q->waitIdle();
    queues_.clear();
    for (const auto& [addr, buf] : buffers_) free(reinterpret_cast<void*>(addr));
  }

  std::string name() const override { return "host"; }
  int deviceCount() override { return devices_; }

  Facts facts() override {
    Facts f;
    f.backend = "host";
    long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGESIZE);
    for (int i = 0; i < devices_; ++i) {
      DeviceInfo d;
      d.index = i;
      d.vendor = "host";
      d.name = "host memory (simulated device " + std::to_string(i) + ")";
      d.memoryBytes = pages > 0 && pageSize > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(pageSize) : 0;
      for (int j = 0; j < devices_; ++j)
        if (j != i) d.peers.push_back(j);
      d.extra["link"] = "memcpy";
      d.extra["queues"] = std::to_string(kQueuesPerDevice) + " worker threads";
      f.devices.push_back(std::move(d));
    }
    if (fault_ != Fault::None) f.extra["fault"] = faultName();
    f.extra["peerKernels"] = peerKernels_ ? "on" : "off";
    return f;
  }

  std::vector<std::string> allocVariants() const override {
    return {"malloc", "mmap-lazy", "mmap-populate", "fault-segv", "fault-abort", "fault-hang", "fault-oom"};
  }

  Allocation allocate(int device, const std::string& variant, size_t bytes) override {
    checkDevice(device);
    if (bytes == 0) throw std::invalid_argument("host backend: allocation size must be > 0");
    Allocation a;
    a.bytes = bytes;
    a.device = device;
    a.variant = variant;
    if (variant == "malloc") {
      a.ptr = malloc(bytes);
      if (!a.ptr) throw ApiError("malloc", ENOMEM, "ENOMEM", std::to_string(bytes) + " bytes");
      a.handle = kMalloc;
    } else if (variant == "mmap-lazy" || variant == "mmap-populate") {
      int flags = MAP_PRIVATE | MAP_ANONYMOUS | (variant == "mmap-populate" ? MAP_POPULATE : 0);
      void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
      if (p == MAP_FAILED) throw ApiError("mmap", errno, strerror(errno), std::to_string(bytes) + " bytes");
      a.ptr = p;
      a.handle = kMmap;
    } else if (variant == "fault-segv") {
      // Test-only: proves that a driver crash becomes an `error` result, not the end of the run.
      raise(SIGSEGV);
    } else if (variant == "fault-abort") {
      abort();
    } else if (variant == "fault-hang") {
      for (;;) pause();
    } else if (variant == "fault-oom") {
      throw ApiError("hostAllocate", -1, "OUT_OF_DEVICE_MEMORY", "test-only fault variant");
    } else {
      throw std::invalid_argument("host backend: unknown variant '" + variant + "'");
    }
    return a;
  }

  void touch(Allocation& a, Touch mode) override {
    if (mode == Touch::Fill) {
      memset(a.ptr, 0xA5, a.bytes);
    } else if (mode == Touch::Read) {
      // One read per page is what a host read-back costs; volatile keeps it from being elided.
      const volatile unsigned char* p = static_cast<const unsigned char*>(a.ptr);
      const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
      unsigned sum = 0;
      for (size_t off = 0; off < a.bytes; off += page) sum += p[off];
      sink_ += sum;
    }
  }

  void release(Allocation& a) override {
    if (!a.ptr) return;
    if (a.handle == kMalloc)
      free(a.ptr);
    else if (a.handle == kMmap && munmap(a.ptr, a.bytes) != 0)
      throw ApiError("munmap", errno, strerror(errno));
    a.ptr = nullptr;
  }

  // ---- collective primitives ----------------------------------------------------
  //
  // Every pointer range is checked against the buffers of the device it is said to
  // belong to, at enqueue time: an algorithm that addresses the wrong device, or runs
  // past a buffer, fails here with a usage error instead of corrupting memory.

  void* deviceAlloc(int device, size_t bytes) override {
    checkDevice(device);
    if (bytes == 0) throw std::invalid_argument("host backend: deviceAlloc of 0 bytes");
    const size_t rounded = (bytes + kBufferAlign - 1) / kBufferAlign * kBufferAlign;
    void* p = aligned_alloc(kBufferAlign, rounded);
    if (!p) throw ApiError("aligned_alloc", ENOMEM, "ENOMEM", std::to_string(bytes) + " bytes on device " + std::to_string(device));
    ensureQueues();
    buffers_[reinterpret_cast<uintptr_t>(p)] = Buffer{device, bytes};
    return p;
  }

  void deviceFree(int device, void* p) override {
    if (!p) return;
    auto it = buffers_.find(reinterpret_cast<uintptr_t>(p));
    if (it == buffers_.end() || it->second.device != device)
      throw std::invalid_argument("host backend: deviceFree: not a buffer of device " + std::to_string(device));
    // Like cudaFree: wait for all queued work first, any queue may still read it.
    for (auto& q : queues_) q->waitIdle();
    buffers_.erase(it);
    free(p);
  }

  // Synchronous: waits for all queued work first (a queue may still read or write the
  // buffer), then copies on the calling thread.
  void upload(int device, void* dst, const void* src, size_t bytes) override {
    checkRange(device, dst, bytes, "upload");
    for (auto& q : queues_) q->waitIdle();
    if (bytes) memcpy(dst, src, bytes);
  }

  void download(int device, void* dst, const void* src, size_t bytes) override {
    checkRange(device, src, bytes, "download");
    for (auto& q : queues_) q->waitIdle();
    if (bytes) memcpy(dst, src, bytes);
  }

  void fill32(int device, int queue, void* dst, uint32_t pattern, size_t bytes) override {
    if (bytes % 4) throw std::invalid_argument("host backend: fill32 of " + std::to_string(bytes) + " bytes (not a multiple of 4)");
    checkRange(device, dst, bytes, "fill32");
    auto* d = static_cast<uint32_t*>(dst);
    const size_t n = bytes / 4;
    push(device, queue, [d, n, pattern] {
      for (size_t i = 0; i < n; ++i) d[i] = pattern;
    });
  }

  void copyPeer(int dstDevice, int queue, void* dst, int srcDevice, const void* src, size_t bytes) override {
    checkRange(dstDevice, dst, bytes, "copyPeer destination");
    checkRange(srcDevice, src, bytes, "copyPeer source");
    if (bytes == 0) return;
    const bool flip = fault_ == Fault::CopyFlip;
    push(dstDevice, queue, [dst, src, bytes, flip] {
      memcpy(dst, src, bytes);
      if (flip) static_cast<unsigned char*>(dst)[bytes - 1] ^= 0x10;
    });
  }

  void addF32(int device, int queue, float* out, const float* in, size_t n) override {
    checkRange(device, out, n * 4, "addF32 out");
    checkRange(device, in, n * 4, "addF32 in");
    const size_t m = effective(n);
    const bool fail = fault_ == Fault::WorkerThrow;
    push(device, queue, [out, in, m, fail] {
      if (fail) throw ApiError("addF32", -1, "INJECTED_WORKER_FAULT", "test-only fault worker-throw");
      for (size_t i = 0; i < m; ++i) out[i] += in[i];
    });
  }

  void sumF32(int device, int queue, float* out, const float* a, const float* b, size_t n) override {
    checkRange(device, out, n * 4, "sumF32 out");
    checkRange(device, a, n * 4, "sumF32 a");
    checkRange(device, b, n * 4, "sumF32 b");
    const size_t m = effective(n);
    const bool fail = fault_ == Fault::WorkerThrow;
    push(device, queue, [out, a, b, m, fail] {
      if (fail) throw ApiError("sumF32", -1, "INJECTED_WORKER_FAULT", "test-only fault worker-throw");
      for (size_t i = 0; i < m; ++i) out[i] = a[i] + b[i];
    });
  }

  void f32ToBf16(int device, int queue, uint16_t* out, const float* in, size_t n, bool rne) override {
    checkRange(device, out, n * 2, "f32ToBf16 out");
    checkRange(device, in, n * 4, "f32ToBf16 in");
    push(device, queue, [out, in, n, rne] {
      if (rne) {
        for (size_t i = 0; i < n; ++i) out[i] = f32ToBf16Rne(in[i]);
      } else {
        for (size_t i = 0; i < n; ++i) out[i] = f32ToBf16Trunc(in[i]);
      }
    });
  }

  void addBf16(int device, int queue, float* out, const uint16_t* in, size_t n) override {
    checkRange(device, out, n * 4, "addBf16 out");
    checkRange(device, in, n * 2, "addBf16 in");
    const size_t m = effective(n);
    push(device, queue, [out, in, m] {
      for (size_t i = 0; i < m; ++i) out[i] += bf16ToF32(in[i]);
    });
  }

  void sumBf16Pair(int device, int queue, float* out, const uint16_t* a, const uint16_t* b, size_t n) override {
    sumBf16PairOf(device, queue, out, a, device, b, n, "sumBf16Pair");
  }

  // The simulated devices share one address space, as NVLink peers with peer access
  // do: a device's worker may touch a peer's buffers (option peerKernels=off models a
  // backend without, so that auto falls back to the copy engines).
  bool peerKernelAccess(int device, int peer) override {
    checkDevice(device);
    checkDevice(peer);
    return peerKernels_ && device != peer;
  }

  void sumF32Shared(int device, int queue, float* outMine, const float* mine, int peer, float* outTheirs, const float* theirs, size_t n) override {
    checkRange(device, outMine, n * 4, "sumF32Shared outMine");
    checkRange(device, mine, n * 4, "sumF32Shared mine");
    checkRange(peer, outTheirs, n * 4, "sumF32Shared outTheirs");
    checkRange(peer, theirs, n * 4, "sumF32Shared theirs");
    const size_t m = effective(n);
    push(device, queue, [outMine, mine, outTheirs, theirs, m] {
      for (size_t i = 0; i < m; ++i) {
        const float s = mine[i] + theirs[i];
        outMine[i] = s;
        outTheirs[i] = s;
      }
    });
  }

  void sumF32Bf16FromPeer(int device, int queue, float* out, const float* mine, int peer, const uint16_t* theirs, size_t n) override {
    checkRange(device, out, n * 4, "sumF32Bf16FromPeer out");
    checkRange(device, mine, n * 4, "sumF32Bf16FromPeer mine");
    checkRange(peer, theirs, n * 2, "sumF32Bf16FromPeer theirs");
    const size_t m = effective(n);
    push(device, queue, [out, mine, theirs, m] {
      for (size_t i = 0; i < m; ++i) out[i] = mine[i] + bf16ToF32(theirs[i]);
    });
  }

  void sumBf16PairFromPeer(int device, int queue, float* out, const uint16_t* mine, int peer, const uint16_t* theirs, size_t n) override {
    sumBf16PairOf(device, queue, out, mine, peer, theirs, n, "sumBf16PairFromPeer");
  }

  Event recordEvent(int device, int queue) override {
    Queue& q = at(device, queue);
    auto ev = std::make_shared<EventState>();
    const Event id = ++nextEvent_;
    events_[id] = ev;
    q.push({[ev] {
              {
                std::lock_guard<std::mutex> lock(ev->m);
                ev->done = true;
                ev->at = Clock::now();
              }
              ev->cv.notify_all();
            },
            true});
    return id;
  }

  void waitEvent(int device, int queue, Event e) override {
    Queue& q = at(device, queue);
    std::shared_ptr<EventState> ev = find(e);
    if (fault_ == Fault::NoWait) return;
    q.push({[ev] {
              std::unique_lock<std::mutex> lock(ev->m);
              ev->cv.wait(lock, [&] { return ev->done; });
            },
            false});
  }

  // The event state lives on in the tasks that still refer to it.
  void destroyEvent(Event e) override { events_.erase(e); }

  double elapsedMs(Event start, Event end) override {
    std::shared_ptr<EventState> a = find(start), b = find(end);
    Clock::time_point ta, tb;
    for (auto [ev, t] : {std::pair{a.get(), &ta}, std::pair{b.get(), &tb}}) {
      std::lock_guard<std::mutex> lock(ev->m);
      if (!ev->done) throw ApiError("elapsedMs", -1, "NOT_READY", "event not completed yet (synchronize first)");
      *t = ev->at;
    }
    return std::chrono::duration<double, std::milli>(tb - ta).count();
  }

  void synchronize(int device) override {
    checkDevice(device);
    if (queues_.empty()) return;
    std::exception_ptr first;
    for (int q = 0; q < kQueuesPerDevice; ++q) {
      Queue& queue = at(device, q);
      queue.waitIdle();
      if (std::exception_ptr e = queue.takeError(); e && !first) first = e;
    }
    if (first) std::rethrow_exception(first);
  }

 private:
  struct Buffer {
    int device;
    size_t bytes;
  };

  const char* faultName() const {
    switch (fault_) {
      case Fault::SkipLast: return "skip-last";
      case Fault::NoWait: return "no-wait";
      case Fault::WorkerThrow: return "worker-throw";
      case Fault::CopyFlip: return "copy-flip";
      case Fault::None: break;
    }
    return "none";
  }

  size_t effective(size_t n) const { return fault_ == Fault::SkipLast && n > 0 ? n - 1 : n; }

  void checkDevice(int device) const {
    if (device < 0 || device >= devices_)
      throw std::invalid_argument("host backend: device " + std::to_string(device) + " out of range (devices=" + std::to_string(devices_) + ")");
  }

  // Threads only once collectives are used: the allocation probe measures host memory
  // and must not pay for 2N idle thread stacks.
  void ensureQueues() {
    if (!queues_.empty()) return;
    queues_.reserve(static_cast<size_t>(devices_ * kQueuesPerDevice));
    for (int i = 0; i < devices_ * kQueuesPerDevice; ++i) {
      queues_.push_back(std::make_unique<Queue>());
      if (fault_ == Fault::NoWait) queues_.back()->setSerializer(&serialize_, std::chrono::milliseconds(i % kQueuesPerDevice == kCopyQueue ? 10 : 0));
    }
  }

  Queue& at(int device, int queue) {
    checkDevice(device);
    if (queue < 0 || queue >= kQueuesPerDevice) throw std::invalid_argument("host backend: queue " + std::to_string(queue) + " (queues are 0 compute, 1 copy)");
    ensureQueues();
    return *queues_[static_cast<size_t>(device * kQueuesPerDevice + queue)];
  }

  void push(int device, int queue, std::function<void()> fn) { at(device, queue).push({std::move(fn), false}); }

  std::shared_ptr<EventState> find(Event e) const {
    auto it = events_.find(e);
    if (it == events_.end()) throw std::invalid_argument("host backend: unknown or destroyed event " + std::to_string(e));
    return it->second;
  }

  // out = float(a) + float(b) on device's queue; b lives on bDevice (the device itself,
  // or a peer for the peer-kernel exchange).
  void sumBf16PairOf(int device, int queue, float* out, const uint16_t* a, int bDevice, const uint16_t* b, size_t n, const std::string& what) {
    checkRange(device, out, n * 4, (what + " out").c_str());
    checkRange(device, a, n * 2, (what + " a").c_str());
    checkRange(bDevice, b, n * 2, (what + " b").c_str());
    const size_t m = effective(n);
    push(device, queue, [out, a, b, m] {
      for (size_t i = 0; i < m; ++i) out[i] = bf16ToF32(a[i]) + bf16ToF32(b[i]);
    });
  }

  void checkRange(int device, const void* p, size_t bytes, const char* what) const {
    checkDevice(device);
    const uintptr_t lo = reinterpret_cast<uintptr_t>(p);
    auto it = buffers_.upper_bound(lo);
    if (p && it != buffers_.begin()) {
      --it;
      const Buffer& b = it->second;
      if (b.device == device && lo >= it->first && bytes <= b.bytes && lo - it->first <= b.bytes - bytes) return;
    }
    throw std::invalid_argument(std::string("host backend: ") + what + ": " + std::to_string(bytes) + " bytes at " + std::to_string(lo) +
                                " are not inside one buffer of device " + std::to_string(device));
  }

  int devices_ = 2;
  Fault fault_ = Fault::None;
  bool peerKernels_ = true;
  unsigned sink_ = 0;
  // Touched by the calling thread only; the workers see nothing but their tasks.
  std::map<uintptr_t, Buffer> buffers_;
  std::map<Event, std::shared_ptr<EventState>> events_;
  Event nextEvent_ = 0;
  std::mutex serialize_;
  std::vector<std::unique_ptr<Queue>> queues_;  // device * 2 + queue
};

}  // namespace

std::unique_ptr<Backend> createHostBackend(const Options& options) { return std::make_unique<HostBackend>(options); }

}  // namespace xpd
