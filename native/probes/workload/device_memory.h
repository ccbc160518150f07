// Device memory in use, read the way the device reports it, for the workload probe's x
// axis: Level Zero Sysman (zesMemoryGetState, through the loader) and NVML
// (nvmlDeviceGetMemoryInfo). Both libraries are opened with dlopen at run time; a
// machine without one says why, and the probe uses another instrument.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xpudiag::workload {

struct Opened {
  bool ok = false;
  std::string reason;              // why not, when !ok
  std::vector<std::string> names;  // one per device
  std::string driver;              // driver version string, where the library says one
};

// Each opens its library once per process; later calls answer what the first found.
Opened openSysman();
Opened openNvml();

// Used bytes per device (memory modules of a device summed); false with a reason when a call failed.
bool readSysman(std::vector<uint64_t>& used, std::string& error);
bool readNvml(std::vector<uint64_t>& used, std::string& error);

// Device bytes per device held by the given processes (zesDeviceProcessesGetState, their
// memSize summed); supported false where the driver does not answer it.
bool readSysmanProcesses(const std::vector<int64_t>& pids, std::vector<uint64_t>& used, bool& supported, std::string& error);

}  // namespace xpudiag::workload
