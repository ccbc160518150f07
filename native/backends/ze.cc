#include "backends/ze.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <vector>

#include "../../fixtures/ze-sim/ze_sim_stats.h"
#include "backends/ze_abi.h"
#include "core/meminfo.h"
#include "xpudiag/pci.h"

namespace xpd {

const char* ze::resultName(ze::ze_result_t r) {
  switch (r) {
    case 0: return "ZE_RESULT_SUCCESS";
    case 1: return "ZE_RESULT_NOT_READY";
    case 0x70000001: return "ZE_RESULT_ERROR_DEVICE_LOST";
    case 0x70000002: return "ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY";
    case 0x70000003: return "ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY";
    case 0x70000006: return "ZE_RESULT_ERROR_DEVICE_REQUIRES_RESET";
    case 0x70000007: return "ZE_RESULT_ERROR_DEVICE_IN_LOW_POWER_STATE";
    case 0x70010000: return "ZE_RESULT_ERROR_INSUFFICIENT_PERMISSIONS";
    case 0x70010001: return "ZE_RESULT_ERROR_NOT_AVAILABLE";
    case 0x70020000: return "ZE_RESULT_ERROR_DEPENDENCY_UNAVAILABLE";
    case 0x78000001: return "ZE_RESULT_ERROR_UNINITIALIZED";
    case 0x78000002: return "ZE_RESULT_ERROR_UNSUPPORTED_VERSION";
    case 0x78000003: return "ZE_RESULT_ERROR_UNSUPPORTED_FEATURE";
    case 0x78000004: return "ZE_RESULT_ERROR_INVALID_ARGUMENT";
    case 0x78000005: return "ZE_RESULT_ERROR_INVALID_NULL_HANDLE";
    case 0x78000006: return "ZE_RESULT_ERROR_HANDLE_OBJECT_IN_USE";
    case 0x78000007: return "ZE_RESULT_ERROR_INVALID_NULL_POINTER";
    case 0x78000008: return "ZE_RESULT_ERROR_INVALID_SIZE";
    case 0x78000009: return "ZE_RESULT_ERROR_UNSUPPORTED_SIZE";
    case 0x7800000a: return "ZE_RESULT_ERROR_UNSUPPORTED_ALIGNMENT";
    case 0x7800000b: return "ZE_RESULT_ERROR_INVALID_SYNCHRONIZATION_OBJECT";
    case 0x7800000c: return "ZE_RESULT_ERROR_INVALID_ENUMERATION";
    case 0x7800000d: return "ZE_RESULT_ERROR_UNSUPPORTED_ENUMERATION";
    case 0x7800001a: return "ZE_RESULT_ERROR_OVERLAPPING_REGIONS";
    case 0x7ffffffe: return "ZE_RESULT_ERROR_UNKNOWN";
    default: return "ZE_RESULT_(unknown code)";
  }
}

namespace {

using namespace ze;

constexpr size_t kAlignment = 64;

// The loader's entry points, resolved once with dlsym.
struct Api {
  void* lib = nullptr;
  std::string path;
  zeInit_t zeInit = nullptr;
  zeDriverGet_t zeDriverGet = nullptr;
  zeDriverGetProperties_t zeDriverGetProperties = nullptr;
  zeDriverGetApiVersion_t zeDriverGetApiVersion = nullptr;
  zeDriverGetExtensionFunctionAddress_t zeDriverGetExtensionFunctionAddress = nullptr;
  zeDeviceGet_t zeDeviceGet = nullptr;
  zeDeviceGetProperties_t zeDeviceGetProperties = nullptr;
  zeDeviceGetMemoryProperties_t zeDeviceGetMemoryProperties = nullptr;
  zeDeviceGetCommandQueueGroupProperties_t zeDeviceGetCommandQueueGroupProperties = nullptr;
  zeDeviceCanAccessPeer_t zeDeviceCanAccessPeer = nullptr;
  zeDevicePciGetPropertiesExt_t zeDevicePciGetPropertiesExt = nullptr;  // API 1.3: optional
  zeContextCreateEx_t zeContextCreateEx = nullptr;
  zeContextDestroy_t zeContextDestroy = nullptr;
  zeContextMakeMemoryResident_t zeContextMakeMemoryResident = nullptr;
  zeMemAllocDevice_t zeMemAllocDevice = nullptr;
  zeMemAllocShared_t zeMemAllocShared = nullptr;
  zeMemAllocHost_t zeMemAllocHost = nullptr;
  zeMemFree_t zeMemFree = nullptr;
  zeCommandListCreateImmediate_t zeCommandListCreateImmediate = nullptr;
  zeCommandListDestroy_t zeCommandListDestroy = nullptr;
  zeCommandListAppendMemoryFill_t zeCommandListAppendMemoryFill = nullptr;
  zeCommandListAppendMemoryCopy_t zeCommandListAppendMemoryCopy = nullptr;
  zeEventPoolCreate_t zeEventPoolCreate = nullptr;
  zeEventPoolDestroy_t zeEventPoolDestroy = nullptr;
  zeEventCreate_t zeEventCreate = nullptr;
  zeEventDestroy_t zeEventDestroy = nullptr;
  zeEventHostSynchronize_t zeEventHostSynchronize = nullptr;
  zeEventHostReset_t zeEventHostReset = nullptr;
  zelLoaderGetVersions_t zelLoaderGetVersions = nullptr;          // loader extension: optional
  zelLoaderTranslateHandle_t zelLoaderTranslateHandle = nullptr;  // loader extension: optional
};

template <typename F>
void resolve(Api& api, F& fn, const char* name, bool required = true) {
  fn = reinterpret_cast<F>(dlsym(api.lib, name));
  if (!fn && required) throw Unavailable(std::string("ze: the Level Zero loader ") + api.path + " has no " + name + " (too old?)");
}

void openLoader(Api& api) {
  const char* override = getenv("XPUDIAG_ZE_LOADER");
  api.path = override && *override ? override : "libze_loader.so.1";
  api.lib = dlopen(api.path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!api.lib) {
    const char* err = dlerror();
    throw Unavailable("ze: Level Zero loader not found (" + std::string(err ? err : api.path) +
                      "); install it: apt-get install libze1 (Intel GPUs also need the compute runtime, libze-intel-gpu1)");
  }
#define XPD_RESOLVE(name) resolve(api, api.name, #name)
  XPD_RESOLVE(zeInit);
  XPD_RESOLVE(zeDriverGet);
  XPD_RESOLVE(zeDriverGetProperties);
  XPD_RESOLVE(zeDriverGetApiVersion);
  XPD_RESOLVE(zeDriverGetExtensionFunctionAddress);
  XPD_RESOLVE(zeDeviceGet);
  XPD_RESOLVE(zeDeviceGetProperties);
  XPD_RESOLVE(zeDeviceGetMemoryProperties);
  XPD_RESOLVE(zeDeviceGetCommandQueueGroupProperties);
  XPD_RESOLVE(zeDeviceCanAccessPeer);
  XPD_RESOLVE(zeContextCreateEx);
  XPD_RESOLVE(zeContextDestroy);
  XPD_RESOLVE(zeContextMakeMemoryResident);
  XPD_RESOLVE(zeMemAllocDevice);
  XPD_RESOLVE(zeMemAllocShared);
  XPD_RESOLVE(zeMemAllocHost);
  XPD_RESOLVE(zeMemFree);
  XPD_RESOLVE(zeCommandListCreateImmediate);
  XPD_RESOLVE(zeCommandListDestroy);
  XPD_RESOLVE(zeCommandListAppendMemoryFill);
  XPD_RESOLVE(zeCommandListAppendMemoryCopy);
  XPD_RESOLVE(zeEventPoolCreate);
  XPD_RESOLVE(zeEventPoolDestroy);
  XPD_RESOLVE(zeEventCreate);
  XPD_RESOLVE(zeEventDestroy);
  XPD_RESOLVE(zeEventHostSynchronize);
  XPD_RESOLVE(zeEventHostReset);
#undef XPD_RESOLVE
  resolve(api, api.zelLoaderGetVersions, "zelLoaderGetVersions", false);
  resolve(api, api.zelLoaderTranslateHandle, "zelLoaderTranslateHandle", false);
  resolve(api, api.zeDevicePciGetPropertiesExt, "zeDevicePciGetPropertiesExt", false);
}

#define ZE_CHECK(call, ...)                                                                         \
  do {                                                                                              \
    ze_result_t r_ = api_.call(__VA_ARGS__);                                                        \
    if (r_ != ZE_RESULT_SUCCESS) throw ApiError(#call, static_cast<long long>(r_), resultName(r_)); \
  } while (0)

std::string hex(uint32_t v, int width) {
  char buf[16];
  snprintf(buf, sizeof buf, "%0*x", width, v);
  return buf;
}

// The driver library the loader actually opened, from this process's mappings: the
// file name carries the compute-runtime version on Intel machines.
std::string driverLibraries(const std::string& loaderPath) {
  std::ifstream maps("/proc/self/maps");
  std::set<std::string> libs;
  std::string line;
  while (std::getline(maps, line)) {
    auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    std::string path = line.substr(slash);
    std::string base = path.substr(path.rfind('/') + 1);
    bool levelZeroish = base.find("libze_") == 0 || base.find("ze_") != std::string::npos;
    if (!levelZeroish || base.find("libze_loader") == 0 || base.find("_layer") != std::string::npos) continue;
    if (path == loaderPath) continue;
    libs.insert(path);
  }
  std::string out;
  for (const auto& l : libs) out += (out.empty() ? "" : ", ") + l;
  return out;
}

class ZeBackend : public Backend {
 public:
  explicit ZeBackend(const Options& options) {
    for (const auto& [key, value] : options) {
      if (key == "contextDevices") {
        if (value != "one" && value != "all") throw std::invalid_argument("ze: contextDevices must be one or all, got '" + value + "'");
        contextAll_ = value == "all";
      } else if (key == "residency") {
        if (value != "none" && value != "owner" && value != "peers")
          throw std::invalid_argument("ze: residency must be none, owner or peers, got '" + value + "'");
        residency_ = value;
      } else {
        throw std::invalid_argument("ze: unknown option '" + key + "' (known: contextDevices, residency)");
      }
    }
    openLoader(api_);
    // GPU drivers only: with flags 0 the loader also starts an NPU driver, which a loader
    // before 1.20 may list first.
    ze_result_t r = api_.zeInit(ZE_INIT_FLAG_GPU_ONLY);
    if (r == ZE_RESULT_ERROR_UNINITIALIZED) {
      const char* alt = getenv("ZE_ENABLE_ALT_DRIVERS");
      // Pointing the loader at a driver that does not load is a broken setup, not a
      // machine without Intel GPUs: that is an error, the other a skip.
      if (alt && *alt) throw ApiError("zeInit", r, resultName(r), std::string("no driver of ZE_ENABLE_ALT_DRIVERS=") + alt + " could be loaded");
      throw Unavailable(
          "ze: the Level Zero loader found no usable GPU driver (zeInit: ZE_RESULT_ERROR_UNINITIALIZED): none is installed "
          "(Intel: libze-intel-gpu1), or the installed one supports no GPU here; ZE_ENABLE_LOADER_DEBUG_TRACE=1 shows why");
    }
    if (r == ZE_RESULT_ERROR_INSUFFICIENT_PERMISSIONS) {
      throw Unavailable(
          "ze: the GPU driver cannot open the device (zeInit: ZE_RESULT_ERROR_INSUFFICIENT_PERMISSIONS): "
          "add this user to the group that owns /dev/dri/renderD* (usually render), then log in again");
    }
    if (r != ZE_RESULT_SUCCESS) throw ApiError("zeInit", r, resultName(r));
    uint32_t n = 0;
    ZE_CHECK(zeDriverGet, &n, nullptr);
    if (n == 0) throw ApiError("zeDriverGet", 0, "no drivers", "the loader reported zero drivers");
    std::vector<ze_driver_handle_t> drivers(n);
    ZE_CHECK(zeDriverGet, &n, drivers.data());
    driverCount_ = n;
    // The first driver with a GPU; Intel's runtime may list one driver per GPU family
    // (a discrete card and the integrated GPU apart), and a context cannot span drivers.
    for (uint32_t i = 0; i < n && devices_.empty(); ++i) {
      uint32_t nd = 0;
      ZE_CHECK(zeDeviceGet, drivers[i], &nd, nullptr);
      std::vector<ze_device_handle_t> all(nd);
      if (nd) ZE_CHECK(zeDeviceGet, drivers[i], &nd, all.data());
      for (ze_device_handle_t d : all) {
        ze_device_properties_t p{};
        p.stype = ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES;
        ZE_CHECK(zeDeviceGetProperties, d, &p);
        if (p.type != ZE_DEVICE_TYPE_GPU) continue;
        devices_.push_back(d);
        maxAllocBytes_.push_back(p.maxMemAllocSize);
      }
      if (!devices_.empty()) {
        driver_ = drivers[i];
        driverIndex_ = i;
      }
    }
    if (devices_.empty()) throw ApiError("zeDeviceGet", 0, "no devices", "no driver reported a GPU device (" + std::to_string(n) + " drivers)");
    // Asked once, before any measurement: Intel's driver answers the first query of a
    // pair with a real peer copy (contexts, allocations), which must not land in a step.
    canAccess_.assign(devices_.size(), std::vector<bool>(devices_.size(), false));
    for (size_t i = 0; i < devices_.size(); ++i) {
      for (size_t j = 0; j < devices_.size(); ++j) {
        if (i == j) continue;
        ze_bool_t can = 0;
        ZE_CHECK(zeDeviceCanAccessPeer, devices_[i], devices_[j], &can);
        canAccess_[i][j] = can != 0;
      }
    }
    void* stats = nullptr;
    if (api_.zeDriverGetExtensionFunctionAddress(driver_, ZEX_SIM_GET_STATS_NAME, &stats) == ZE_RESULT_SUCCESS) simStats_ = stats;
  }

  ~ZeBackend() override {
    // Teardown errors cannot be reported from a destructor; leak checks read counters() first.
    // Allocations outlive their context in Intel's driver (zeContextDestroy "may" free
    // them, the spec says): what a failed probe left is freed while its context exists.
    for (auto& [ptr, ctx] : live_) api_.zeMemFree(ctx, ptr);
    for (auto& [dev, list] : lists_) api_.zeCommandListDestroy(list);
    for (auto& [ctx, ev] : events_) {
      api_.zeEventDestroy(ev.event);
      api_.zeEventPoolDestroy(ev.pool);
    }
    for (auto& [key, ctx] : contexts_) api_.zeContextDestroy(ctx);
    // The loader stays loaded: drivers register exit handlers.
  }

  std::string name() const override { return "ze"; }
  int deviceCount() override { return static_cast<int>(devices_.size()); }

  Facts facts() override {
    Facts f;
    f.backend = "ze";
    ze_driver_properties_t dp{};
    dp.stype = ZE_STRUCTURE_TYPE_DRIVER_PROPERTIES;
    ZE_CHECK(zeDriverGetProperties, driver_, &dp);
    ze_api_version_t apiVersion = 0;
    ZE_CHECK(zeDriverGetApiVersion, driver_, &apiVersion);
    // Intel encodes 0x01030000 + the build number; other drivers' numbers are opaque.
    const bool intel = vendorId(0) == 0x8086;
    f.runtimes["levelZeroDriverVersion"] =
        std::to_string(dp.driverVersion) + " (0x" + hex(dp.driverVersion, 8) + (intel ? ", build " + std::to_string(dp.driverVersion & 0xFFFF) : "") + ")";
    f.runtimes["levelZeroApi"] = std::to_string(apiVersion >> 16) + "." + std::to_string(apiVersion & 0xFFFF);
    std::string versionString = driverVersionString();
    f.runtimes["levelZeroDriver"] = versionString.empty() ? f.runtimes["levelZeroDriverVersion"] : versionString;
    if (api_.zelLoaderGetVersions) {
      size_t count = 0;
      if (api_.zelLoaderGetVersions(&count, nullptr) == ZE_RESULT_SUCCESS && count > 0) {
        std::vector<zel_component_version_t> v(count);
        if (api_.zelLoaderGetVersions(&count, v.data()) == ZE_RESULT_SUCCESS) {
          for (size_t i = 0; i < count; ++i) {
            std::string ver = std::to_string(v[i].component_lib_version.major) + "." + std::to_string(v[i].component_lib_version.minor) + "." +
                              std::to_string(v[i].component_lib_version.patch);
            std::string comp(v[i].component_name, strnlen(v[i].component_name, sizeof v[i].component_name));
            f.runtimes[comp == "loader" ? "levelZeroLoader" : "levelZero." + comp] = ver;
          }
        }
      }
    }
    f.extra["loaderLibrary"] = api_.path;
    f.extra["driverLibrary"] = driverLibraries(api_.path);
    f.extra["driverCount"] = std::to_string(driverCount_);
    f.extra["driverIndex"] = std::to_string(driverIndex_);
    if (simStats_) f.extra["simulated"] = "yes (xpudiag ze-sim)";
    for (size_t i = 0; i < devices_.size(); ++i) {
      ze_device_properties_t p{};
      p.stype = ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES;
      ZE_CHECK(zeDeviceGetProperties, devices_[i], &p);
      DeviceInfo d;
      d.index = static_cast<int>(i);
      d.vendor = p.vendorId == 0x8086 ? "Intel" : "0x" + hex(p.vendorId, 4);
      d.name = std::string(p.name, strnlen(p.name, sizeof p.name));
      d.pciId = hex(p.vendorId, 4) + ":" + hex(p.deviceId, 4);
      // The kernel driver (xe or i915) from sysfs, where the driver tells the PCI address.
      ze_pci_ext_properties_t pci{};
      pci.stype = ZE_STRUCTURE_TYPE_PCI_EXT_PROPERTIES;
      if (api_.zeDevicePciGetPropertiesExt && api_.zeDevicePciGetPropertiesExt(devices_[i], &pci) == ZE_RESULT_SUCCESS) {
        char bdf[40];
        std::snprintf(bdf, sizeof bdf, "%04x:%02x:%02x.%x", pci.address.domain, pci.address.bus, pci.address.device, pci.address.function);
        d.pciBusId = bdf;
        const PciFacts sys = pciFacts(d.pciBusId);
        if (!sys.pciId.empty()) d.pciId = sys.pciId;
        d.kernelDriver = sys.kernelDriver;
      }
      uint32_t nm = 0;
      ZE_CHECK(zeDeviceGetMemoryProperties, devices_[i], &nm, nullptr);
      std::vector<ze_device_memory_properties_t> mem(nm);
      for (auto& m : mem) m.stype = ZE_STRUCTURE_TYPE_DEVICE_MEMORY_PROPERTIES;
      if (nm) ZE_CHECK(zeDeviceGetMemoryProperties, devices_[i], &nm, mem.data());
      for (const auto& m : mem) d.memoryBytes += m.totalSize;
      for (size_t j = 0; j < devices_.size(); ++j)
        if (canAccess_[i][j]) d.peers.push_back(static_cast<int>(j));
      d.extra["maxMemAllocSize"] = std::to_string(p.maxMemAllocSize);
      // How to read the numbers: an integrated GPU's device memory is system RAM, and a
      // sub-device is one tile of a card (FLAT hierarchy), whose peer is often its twin.
      d.extra["integrated"] = (p.flags & ZE_DEVICE_PROPERTY_FLAG_INTEGRATED) ? "yes" : "no";
      if (p.flags & ZE_DEVICE_PROPERTY_FLAG_SUBDEVICE) d.extra["subdevice"] = std::to_string(p.subdeviceId);
      std::string uuid;  // 8-4-4-4-12, as the other backends and --redact spell UUIDs
      for (size_t k = 0; k < kMaxDeviceUuidSize; ++k) uuid += (k == 4 || k == 6 || k == 8 || k == 10 ? "-" : "") + hex(p.uuid.id[k], 2);
      d.extra["uuid"] = uuid;
      f.devices.push_back(std::move(d));
    }
    return f;
  }

  std::vector<std::string> allocVariants() const override { return {"zeMemAllocDevice", "zeMemAllocShared", "zeMemAllocHost"}; }

  Allocation allocate(int device, const std::string& variant, size_t bytes) override {
    checkDevice(device);
    ze_context_handle_t ctx = contextFor(device);
    // Above maxMemAllocSize Intel's driver answers UNSUPPORTED_SIZE unless the relaxed
    // limit is asked for (the device's limit: about half its memory on discrete cards).
    const ze_relaxed_allocation_limits_exp_desc_t relaxed{ZE_STRUCTURE_TYPE_RELAXED_ALLOCATION_LIMITS_EXP_DESC, nullptr,
                                                          ZE_RELAXED_ALLOCATION_LIMITS_EXP_FLAG_MAX_SIZE};
    const void* chain = bytes > maxAllocBytes_[device] ? &relaxed : nullptr;
    ze_device_mem_alloc_desc_t dd{ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC, chain, 0, 0};
    ze_host_mem_alloc_desc_t hd{ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC, chain, 0};
    Allocation a;
    a.bytes = bytes;
    a.device = device;
    a.variant = variant;
    if (variant == "zeMemAllocDevice")
      ZE_CHECK(zeMemAllocDevice, ctx, &dd, bytes, kAlignment, devices_[device], &a.ptr);
    else if (variant == "zeMemAllocShared")
      ZE_CHECK(zeMemAllocShared, ctx, &dd, &hd, bytes, kAlignment, devices_[device], &a.ptr);
    else if (variant == "zeMemAllocHost")
      ZE_CHECK(zeMemAllocHost, ctx, &hd, bytes, kAlignment, &a.ptr);
    else
      throw std::invalid_argument("ze: unknown variant '" + variant + "' (known: zeMemAllocDevice, zeMemAllocShared, zeMemAllocHost)");
    a.handle = reinterpret_cast<uintptr_t>(ctx);
    try {
      makeResident(ctx, device, a);
    } catch (...) {
      api_.zeMemFree(ctx, a.ptr);
      throw;
    }
    live_[a.ptr] = ctx;
    return a;
  }

  void touch(Allocation& a, Touch mode) override {
    if (mode == Touch::None) return;
    ze_context_handle_t ctx = reinterpret_cast<ze_context_handle_t>(a.handle);
    if (mode == Touch::Fill) {
      const uint8_t pattern = 0xA5;
      submit(ctx, a.device, [&](ze_command_list_handle_t list, ze_event_handle_t done) {
        ZE_CHECK(zeCommandListAppendMemoryFill, list, a.ptr, &pattern, 1, a.bytes, done, 0, nullptr);
      });
      return;
    }
    if (a.variant != "zeMemAllocDevice") {
      // Shared and host allocations are host-accessible: read them where they are.
      const volatile unsigned char* p = static_cast<const unsigned char*>(a.ptr);
      unsigned sum = 0;
      for (size_t off = 0; off < a.bytes; off += 4096) sum += p[off];
      sink_ += sum;
      return;
    }
    // Device memory is read back chunk by chunk into host USM: the spec asks a copy's
    // destination to be device-accessible, and plain malloc memory would make Intel's
    // driver import or stage it, host memory of its own in the middle of a measurement.
    // Freed before touch() returns, so it is in no reading after the step.
    const size_t chunk = std::min<size_t>(a.bytes, 16u << 20);
    const ze_host_mem_alloc_desc_t hd{ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC, nullptr, 0};
    void* host = nullptr;
    ZE_CHECK(zeMemAllocHost, ctx, &hd, chunk, kAlignment, &host);
    try {
      for (size_t off = 0; off < a.bytes; off += chunk) {
        size_t n = std::min(chunk, a.bytes - off);
        submit(ctx, a.device, [&](ze_command_list_handle_t list, ze_event_handle_t done) {
          ZE_CHECK(zeCommandListAppendMemoryCopy, list, host, static_cast<char*>(a.ptr) + off, n, done, 0, nullptr);
        });
        sink_ += *static_cast<volatile unsigned char*>(host);
      }
    } catch (...) {
      api_.zeMemFree(ctx, host);
      throw;
    }
    ZE_CHECK(zeMemFree, ctx, host);
  }

  void release(Allocation& a) override {
    if (!a.ptr) return;
    ZE_CHECK(zeMemFree, reinterpret_cast<ze_context_handle_t>(a.handle), a.ptr);
    live_.erase(a.ptr);
    a.ptr = nullptr;
  }

  std::map<std::string, double> counters() override {
    std::map<std::string, double> out;
    if (!simStats_) return out;
    zex_sim_stats_t s{};
    auto fn = reinterpret_cast<ze_result_t (*)(ze_driver_handle_t, zex_sim_stats_t*)>(simStats_);
    ze_result_t r = fn(extensionDriver(), &s);
    if (r != ZE_RESULT_SUCCESS) throw ApiError("zexSimGetStats", r, resultName(r));
    out["liveAllocations"] = static_cast<double>(s.liveAllocations);
    out["liveDeviceBytes"] = static_cast<double>(s.liveDeviceBytes);
    out["liveHostCopyBytes"] = static_cast<double>(s.liveHostCopyBytes);
    out["totalAllocations"] = static_cast<double>(s.totalAllocations);
    out["totalFrees"] = static_cast<double>(s.totalFrees);
    return out;
  }

 private:
  struct CompletionEvent {
    ze_event_pool_handle_t pool = nullptr;
    ze_event_handle_t event = nullptr;
  };

  void checkDevice(int device) const {
    if (device < 0 || device >= static_cast<int>(devices_.size()))
      throw std::invalid_argument("ze: device " + std::to_string(device) + " out of range (" + std::to_string(devices_.size()) + " devices)");
  }

  // The context factor: one context per device ("one"), or one over all devices ("all"),
  // the case that was reported to copy device memory to the host.
  ze_context_handle_t contextFor(int device) {
    const int key = contextAll_ ? -1 : device;
    auto it = contexts_.find(key);
    if (it != contexts_.end()) return it->second;
    std::vector<ze_device_handle_t> list = contextAll_ ? devices_ : std::vector<ze_device_handle_t>{devices_[device]};
    ze_context_desc_t desc{ZE_STRUCTURE_TYPE_CONTEXT_DESC, nullptr, 0};
    ze_context_handle_t ctx = nullptr;
    ZE_CHECK(zeContextCreateEx, driver_, &desc, static_cast<uint32_t>(list.size()), list.data(), &ctx);
    contexts_[key] = ctx;
    return ctx;
  }

  // The residency factor: none, the owning device only, or the owner and every peer in
  // the context that can access it (what the SYCL runtime's Level Zero provider does).
  void makeResident(ze_context_handle_t ctx, int device, const Allocation& a) {
    if (residency_ == "none" || a.variant == "zeMemAllocHost") return;
    ZE_CHECK(zeContextMakeMemoryResident, ctx, devices_[device], a.ptr, a.bytes);
    if (residency_ != "peers" || !contextAll_) return;
    for (size_t j = 0; j < devices_.size(); ++j) {
      if (static_cast<int>(j) == device || !canAccess_[j][static_cast<size_t>(device)]) continue;
      const ze_result_t r = api_.zeContextMakeMemoryResident(ctx, devices_[j], a.ptr, a.bytes);
      // Compute-runtime releases before the peer import refuse memory that has nothing on
      // the peer's card: the factor cannot be set on this driver, which is a finding, not a failure.
      if (r == ZE_RESULT_ERROR_INVALID_ARGUMENT) {
        throw Unsupported("ze: residency=peers: this driver refuses to make device " + std::to_string(device) + "'s memory resident on device " +
                          std::to_string(j) + " (zeContextMakeMemoryResident: ZE_RESULT_ERROR_INVALID_ARGUMENT; older compute-runtime releases do)");
      }
      if (r != ZE_RESULT_SUCCESS) throw ApiError("zeContextMakeMemoryResident", r, resultName(r));
    }
  }

  uint32_t computeOrdinal(int device) {
    uint32_t n = 0;
    ZE_CHECK(zeDeviceGetCommandQueueGroupProperties, devices_[device], &n, nullptr);
    std::vector<ze_command_queue_group_properties_t> groups(n);
    for (auto& g : groups) g.stype = ZE_STRUCTURE_TYPE_COMMAND_QUEUE_GROUP_PROPERTIES;
    if (n) ZE_CHECK(zeDeviceGetCommandQueueGroupProperties, devices_[device], &n, groups.data());
    for (uint32_t i = 0; i < n; ++i)
      if (groups[i].flags & ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COMPUTE) return i;
    throw ApiError("zeDeviceGetCommandQueueGroupProperties", 0, "no compute queue group", "device " + std::to_string(device));
  }

  // Appends work to the device's immediate command list with a completion event, and
  // waits for it on the host: every touch is finished when touch() returns.
  template <typename Append>
  void submit(ze_context_handle_t ctx, int device, Append&& append) {
    auto key = std::make_pair(ctx, device);
    auto it = lists_.find(key);
    if (it == lists_.end()) {
      ze_command_queue_desc_t qd{ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC, nullptr, computeOrdinal(device), 0, 0, ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS, 0};
      ze_command_list_handle_t list = nullptr;
      ZE_CHECK(zeCommandListCreateImmediate, ctx, devices_[device], &qd, &list);
      it = lists_.emplace(key, list).first;
    }
    CompletionEvent& ev = eventFor(ctx);
    append(it->second, ev.event);
    ZE_CHECK(zeEventHostSynchronize, ev.event, UINT64_MAX);
    ZE_CHECK(zeEventHostReset, ev.event);
  }

  CompletionEvent& eventFor(ze_context_handle_t ctx) {
    auto it = events_.find(ctx);
    if (it != events_.end()) return it->second;
    CompletionEvent ev;
    ze_event_pool_desc_t pd{ZE_STRUCTURE_TYPE_EVENT_POOL_DESC, nullptr, ZE_EVENT_POOL_FLAG_HOST_VISIBLE, 1};
    ZE_CHECK(zeEventPoolCreate, ctx, &pd, 0, nullptr, &ev.pool);
    ze_event_desc_t ed{ZE_STRUCTURE_TYPE_EVENT_DESC, nullptr, 0, ZE_EVENT_SCOPE_FLAG_HOST, ZE_EVENT_SCOPE_FLAG_HOST};
    ze_result_t r = api_.zeEventCreate(ev.pool, &ed, &ev.event);
    if (r != ZE_RESULT_SUCCESS) {
      api_.zeEventPoolDestroy(ev.pool);
      throw ApiError("zeEventCreate", r, resultName(r));
    }
    return events_.emplace(ctx, ev).first->second;
  }

  // Extension functions come from the driver, past the loader: they take the driver's own
  // handle, which differs from the loader's where the loader wraps handles (several
  // drivers, tracing, validation).
  ze_driver_handle_t extensionDriver() {
    void* native = nullptr;
    if (api_.zelLoaderTranslateHandle && api_.zelLoaderTranslateHandle(ZEL_HANDLE_DRIVER, driver_, &native) == ZE_RESULT_SUCCESS && native)
      return static_cast<ze_driver_handle_t>(native);
    return driver_;
  }

  uint32_t vendorId(size_t device) {
    ze_device_properties_t p{};
    p.stype = ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES;
    ZE_CHECK(zeDeviceGetProperties, devices_[device], &p);
    return p.vendorId;
  }

  std::string driverVersionString() {
    void* fn = nullptr;
    if (api_.zeDriverGetExtensionFunctionAddress(driver_, "zeIntelGetDriverVersionString", &fn) != ZE_RESULT_SUCCESS || !fn) return "";
    auto get = reinterpret_cast<zeIntelGetDriverVersionString_t>(fn);
    const ze_driver_handle_t native = extensionDriver();
    size_t size = 0;
    if (get(native, nullptr, &size) != ZE_RESULT_SUCCESS || size == 0 || size > 4096) return "";
    std::string s(size, '\0');
    if (get(native, s.data(), &size) != ZE_RESULT_SUCCESS) return "";
    s.resize(strnlen(s.c_str(), s.size()));
    return s;
  }

  Api api_;
  ze_driver_handle_t driver_ = nullptr;
  uint32_t driverCount_ = 0;
  uint32_t driverIndex_ = 0;
  std::vector<ze_device_handle_t> devices_;    // the chosen driver's GPUs
  std::vector<uint64_t> maxAllocBytes_;        // per device: maxMemAllocSize
  std::vector<std::vector<bool>> canAccess_;   // [i][j]: device i can access device j's memory
  std::map<void*, ze_context_handle_t> live_;  // allocate() results not yet released
  bool contextAll_ = false;
  std::string residency_ = "none";
  std::map<int, ze_context_handle_t> contexts_;
  std::map<std::pair<ze_context_handle_t, int>, ze_command_list_handle_t> lists_;
  std::map<ze_context_handle_t, CompletionEvent> events_;
  void* simStats_ = nullptr;
  unsigned sink_ = 0;
};

}  // namespace

std::unique_ptr<Backend> createZeBackend(const Options& options) { return std::make_unique<ZeBackend>(options); }

}  // namespace xpd
