#include "backends/host.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace xpd {
namespace {

constexpr uintptr_t kMalloc = 1, kMmap = 2;

class HostBackend : public Backend {
 public:
  explicit HostBackend(const Options& options) {
    for (const auto& [key, value] : options) {
      if (key == "devices") {
        char* end = nullptr;
        long n = strtol(value.c_str(), &end, 10);
        if (!end || *end || n < 1 || n > 64) throw std::invalid_argument("host backend: devices must be 1..64, got '" + value + "'");
        devices_ = static_cast<int>(n);
      } else {
        throw std::invalid_argument("host backend: unknown option '" + key + "' (known: devices)");
      }
    }
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
      f.devices.push_back(std::move(d));
    }
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
    if (a.handle == kMalloc) free(a.ptr);
    else if (a.handle == kMmap && munmap(a.ptr, a.bytes) != 0) throw ApiError("munmap", errno, strerror(errno));
    a.ptr = nullptr;
  }

 private:
  void checkDevice(int device) const {
    if (device < 0 || device >= devices_)
      throw std::invalid_argument("host backend: device " + std::to_string(device) + " out of range (devices=" + std::to_string(devices_) + ")");
  }

  int devices_ = 2;
  unsigned sink_ = 0;
};

}  // namespace

std::unique_ptr<Backend> createHostBackend(const Options& options) { return std::make_unique<HostBackend>(options); }

}  // namespace xpd
