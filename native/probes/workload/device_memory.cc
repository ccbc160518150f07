// Sysman and NVML readers for the workload probe (see device_memory.h). No vendor header
// is needed: the few types and entry points used are declared here, as their ABIs
// define them (Level Zero 1.x zes_api.h, NVML nvml.h v2 entry points).
#include "device_memory.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace xpudiag::workload {
namespace {

// ---- Level Zero / Sysman (legacy mode: ZES_ENABLE_SYSMAN=1 before zeInit; newer loaders also have zesInit).
using ze_result_t = int32_t;
using Handle = void*;
constexpr ze_result_t kZeSuccess = 0;
constexpr uint32_t kZeInitGpuOnly = 1;
constexpr uint32_t kZesStructureTypeMemState = 0x1e;

struct ZesMemState {
  uint32_t stype;
  const void* pNext;
  int32_t health;
  uint64_t free;
  uint64_t size;
};

struct ZeDeviceProps {  // ze_device_properties_t up to name (API 1.x)
  uint32_t stype;
  void* pNext;
  int32_t type;
  uint32_t vendorId, deviceId, flags, subdeviceId, coreClockRate;
  uint64_t maxMemAllocSize;
  uint32_t maxHardwareContexts, maxCommandQueuePriority, numThreadsPerEU, physicalEUSimdWidth, numEUsPerSubslice, numSubslicesPerSlice, numSlices;
  uint64_t timerResolution;
  uint32_t timestampValidBits, kernelTimestampValidBits;
  uint8_t uuid[16];
  char name[256];
};

struct ZeDriverProps {
  uint32_t stype;
  void* pNext;
  uint8_t uuid[16];
  uint32_t driverVersion;
};

struct ZesProcessState {
  uint32_t stype;
  const void* pNext;
  uint32_t processId;
  uint64_t memSize;
  uint64_t sharedSize;
  uint32_t engines;
};
constexpr uint32_t kZesStructureTypeProcessState = 0x16;
constexpr ze_result_t kZeUnsupportedFeature = 0x78000003;
constexpr ze_result_t kZeInvalidSize = 0x78000008;

struct Sysman {
  bool tried = false;
  Opened opened;
  std::vector<Handle> devices;
  std::vector<std::vector<Handle>> modules;  // per device
  ze_result_t (*processes)(Handle, uint32_t*, ZesProcessState*) = nullptr;
  ze_result_t (*getState)(Handle, ZesMemState*) = nullptr;
};

std::string hex(ze_result_t r) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", static_cast<unsigned>(r));
  return b;
}

template <class F>
bool sym(void* lib, F& f, const char* name) {
  f = reinterpret_cast<F>(dlsym(lib, name));
  return f != nullptr;
}

Sysman& sysman() {
  static Sysman s;
  return s;
}

Opened fail(Opened& o, std::string why) {
  o.ok = false;
  o.reason = std::move(why);
  return o;
}

// ---- NVML
struct NvmlMemory {
  unsigned long long total, free, used;
};

struct Nvml {
  bool tried = false;
  Opened opened;
  std::vector<Handle> devices;
  int (*getMemoryInfo)(Handle, NvmlMemory*) = nullptr;
};

Nvml& nvml() {
  static Nvml s;
  return s;
}

}  // namespace

Opened openSysman() {
  Sysman& s = sysman();
  if (s.tried) return s.opened;
  s.tried = true;
  Opened& o = s.opened;
  const char* override = std::getenv("XPUDIAG_ZE_LOADER");
  const std::string path = override && *override ? override : "libze_loader.so.1";
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) return fail(o, "no Level Zero loader (" + path + "): apt-get install libze1");
  ze_result_t (*zeInit)(uint32_t) = nullptr;
  ze_result_t (*zesInit)(uint32_t) = nullptr;
  ze_result_t (*driverGet)(uint32_t*, Handle*) = nullptr;
  ze_result_t (*deviceGet)(Handle, uint32_t*, Handle*) = nullptr;
  ze_result_t (*zesDriverGet)(uint32_t*, Handle*) = nullptr;
  ze_result_t (*zesDeviceGet)(Handle, uint32_t*, Handle*) = nullptr;
  ze_result_t (*enumModules)(Handle, uint32_t*, Handle*) = nullptr;
  ze_result_t (*deviceProps)(Handle, ZeDeviceProps*) = nullptr;
  ze_result_t (*driverProps)(Handle, ZeDriverProps*) = nullptr;
  ze_result_t (*extension)(Handle, const char*, void**) = nullptr;
  if (!sym(lib, zeInit, "zeInit") || !sym(lib, driverGet, "zeDriverGet") || !sym(lib, deviceGet, "zeDeviceGet") ||
      !sym(lib, enumModules, "zesDeviceEnumMemoryModules") || !sym(lib, s.getState, "zesMemoryGetState") || !sym(lib, deviceProps, "zeDeviceGetProperties") ||
      !sym(lib, driverProps, "zeDriverGetProperties") || !sym(lib, extension, "zeDriverGetExtensionFunctionAddress"))
    return fail(o, "the Level Zero loader " + path + " lacks the Sysman memory functions (too old?)");
  // Legacy mode: Sysman handles are the core handles once ZES_ENABLE_SYSMAN=1 is set
  // before zeInit (this process only: the workload's environment is its own).
  setenv("ZES_ENABLE_SYSMAN", "1", 1);
  ze_result_t r = zeInit(kZeInitGpuOnly);
  if (r != kZeSuccess) return fail(o, "zeInit returned " + hex(r) + " (no Level Zero GPU driver here)");
  uint32_t drivers = 0;
  if ((r = driverGet(&drivers, nullptr)) != kZeSuccess || drivers == 0)
    return fail(o, r != kZeSuccess ? "zeDriverGet returned " + hex(r) : "no Level Zero driver");
  std::vector<Handle> hd(drivers);
  if ((r = driverGet(&drivers, hd.data())) != kZeSuccess) return fail(o, "zeDriverGet returned " + hex(r));
  const bool sysmanInit = sym(lib, zesInit, "zesInit") && sym(lib, zesDriverGet, "zesDriverGet") && sym(lib, zesDeviceGet, "zesDeviceGet");
  (void)sysmanInit;  // the core handles serve in legacy mode, which every loader has
  sym(lib, s.processes, "zesDeviceProcessesGetState");
  for (Handle driver : hd) {
    uint32_t n = 0;
    if ((r = deviceGet(driver, &n, nullptr)) != kZeSuccess) return fail(o, "zeDeviceGet returned " + hex(r));
    std::vector<Handle> devs(n);
    if (n && (r = deviceGet(driver, &n, devs.data())) != kZeSuccess) return fail(o, "zeDeviceGet returned " + hex(r));
    for (Handle d : devs) {
      uint32_t m = 0;
      if ((r = enumModules(d, &m, nullptr)) != kZeSuccess)
        return fail(o, "zesDeviceEnumMemoryModules returned " + hex(r) + " (Sysman unavailable: the driver needs ZES_ENABLE_SYSMAN=1 at zeInit)");
      std::vector<Handle> mods(m);
      if (m && (r = enumModules(d, &m, mods.data())) != kZeSuccess) return fail(o, "zesDeviceEnumMemoryModules returned " + hex(r));
      s.modules.push_back(mods);
      s.devices.push_back(d);
      ZeDeviceProps p{};
      p.stype = 0x3;  // ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES
      o.names.push_back(deviceProps(d, &p) == kZeSuccess ? std::string(p.name, strnlen(p.name, sizeof p.name)) : "?");
    }
    if (o.driver.empty()) {
      using VersionString = ze_result_t (*)(Handle, char*, size_t*);
      VersionString vs = nullptr;
      size_t len = 0;
      if (extension(driver, "zeIntelGetDriverVersionString", reinterpret_cast<void**>(&vs)) == kZeSuccess && vs && vs(driver, nullptr, &len) == kZeSuccess &&
          len > 0 && len < 256) {
        std::string v(len, '\0');
        if (vs(driver, &v[0], &len) == kZeSuccess) o.driver = v.c_str();
      }
      ZeDriverProps dp{};
      dp.stype = 0x1;  // ZE_STRUCTURE_TYPE_DRIVER_PROPERTIES
      if (o.driver.empty() && driverProps(driver, &dp) == kZeSuccess) o.driver = std::to_string(dp.driverVersion);
    }
  }
  if (s.modules.empty()) return fail(o, "the Level Zero driver reports no device");
  std::vector<uint64_t> probe;
  std::string error;
  if (!readSysman(probe, error)) return fail(o, error);
  o.ok = true;
  return o;
}

bool readSysman(std::vector<uint64_t>& used, std::string& error) {
  Sysman& s = sysman();
  used.assign(s.modules.size(), 0);
  for (size_t d = 0; d < s.modules.size(); ++d) {
    for (Handle m : s.modules[d]) {
      ZesMemState st{};
      st.stype = kZesStructureTypeMemState;
      const ze_result_t r = s.getState(m, &st);
      if (r != kZeSuccess) {
        error = "zesMemoryGetState returned " + hex(r);
        return false;
      }
      used[d] += st.size >= st.free ? st.size - st.free : 0;
    }
  }
  return true;
}

bool readSysmanProcesses(const std::vector<int64_t>& pids, std::vector<uint64_t>& used, bool& supported, std::string& error) {
  Sysman& s = sysman();
  supported = s.processes != nullptr;
  used.assign(s.devices.size(), 0);
  if (!supported) return true;
  for (size_t d = 0; d < s.devices.size(); ++d) {
    std::vector<ZesProcessState> st;
    for (int attempt = 0; attempt < 4; ++attempt) {
      uint32_t n = 0;
      ze_result_t r = s.processes(s.devices[d], &n, nullptr);
      if (r == kZeUnsupportedFeature) {
        supported = false;
        return true;
      }
      if (r != kZeSuccess) {
        error = "zesDeviceProcessesGetState returned " + hex(r);
        return false;
      }
      st.assign(n, ZesProcessState{kZesStructureTypeProcessState, nullptr, 0, 0, 0, 0});
      if (n == 0) break;
      r = s.processes(s.devices[d], &n, st.data());
      if (r == kZeInvalidSize) continue;  // a process started meanwhile: ask again
      if (r != kZeSuccess) {
        error = "zesDeviceProcessesGetState returned " + hex(r);
        return false;
      }
      st.resize(n);
      break;
    }
    for (const ZesProcessState& p : st)
      for (int64_t pid : pids)
        if (static_cast<int64_t>(p.processId) == pid) used[d] += p.memSize;
  }
  return true;
}

Opened openNvml() {
  Nvml& s = nvml();
  if (s.tried) return s.opened;
  s.tried = true;
  Opened& o = s.opened;
  void* lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) return fail(o, "no NVML (libnvidia-ml.so.1): no NVIDIA driver here");
  int (*init)() = nullptr;
  int (*count)(unsigned*) = nullptr;
  int (*byIndex)(unsigned, Handle*) = nullptr;
  int (*name)(Handle, char*, unsigned) = nullptr;
  int (*version)(char*, unsigned) = nullptr;
  if (!sym(lib, init, "nvmlInit_v2") || !sym(lib, count, "nvmlDeviceGetCount_v2") || !sym(lib, byIndex, "nvmlDeviceGetHandleByIndex_v2") ||
      !sym(lib, s.getMemoryInfo, "nvmlDeviceGetMemoryInfo"))
    return fail(o, "NVML lacks nvmlInit_v2 or nvmlDeviceGetMemoryInfo");
  sym(lib, name, "nvmlDeviceGetName");
  sym(lib, version, "nvmlSystemGetDriverVersion");
  int r = init();
  if (r != 0) return fail(o, "nvmlInit_v2 returned " + std::to_string(r));
  unsigned n = 0;
  if ((r = count(&n)) != 0 || n == 0) return fail(o, r ? "nvmlDeviceGetCount_v2 returned " + std::to_string(r) : "NVML reports no device");
  for (unsigned i = 0; i < n; ++i) {
    Handle h = nullptr;
    if ((r = byIndex(i, &h)) != 0) return fail(o, "nvmlDeviceGetHandleByIndex_v2 returned " + std::to_string(r));
    s.devices.push_back(h);
    char nm[96] = {};
    o.names.push_back(name && name(h, nm, sizeof nm) == 0 ? nm : "?");
  }
  char v[96] = {};
  if (version && version(v, sizeof v) == 0) o.driver = v;
  o.ok = true;
  return o;
}

bool readNvml(std::vector<uint64_t>& used, std::string& error) {
  Nvml& s = nvml();
  used.assign(s.devices.size(), 0);
  for (size_t d = 0; d < s.devices.size(); ++d) {
    NvmlMemory m{};
    const int r = s.getMemoryInfo(s.devices[d], &m);
    if (r != 0) {
      error = "nvmlDeviceGetMemoryInfo returned " + std::to_string(r);
      return false;
    }
    used[d] = m.used;
  }
  return true;
}

}  // namespace xpudiag::workload
