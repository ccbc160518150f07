// xpudiag/pci.h, the sysfs reading every backend's device facts share: bus ids as
// runtimes spell them, and this machine's own PCI devices as sysfs shows them.
#include <dirent.h>

#include <cstdio>
#include <string>

#include "xpudiag/pci.h"
#include "check.h"

using namespace xpd;

int main() {
  CHECK(canonicalBusId("00000000:1B:00.0") == "0000:1b:00.0", "CUDA's eight-digit domain, upper case");
  CHECK(canonicalBusId("0:3:0.0") == "0000:03:00.0", "short fields are padded");
  CHECK(canonicalBusId("not a bus id") == "not a bus id", "anything else is kept (lower case)");
  CHECK(hexId("0x8086") == "8086" && hexId("0xE20B") == "e20b" && hexId("10de") == "10de", "hex ids");
  const PciFacts none = pciFacts("");
  CHECK(none.pciId.empty() && none.kernelDriver.empty(), "no bus id: nothing");
  const PciFacts absent = pciFacts("fe5a:03:00.0");  // the simulator's domain: no such device
  CHECK(absent.pciId.empty() && absent.kernelDriver.empty(), "a device sysfs does not have: nothing");

  // Every PCI function of this machine: the id from its vendor and device files, the
  // driver from its link, exactly as sysfs has them.
  int seen = 0;
  if (DIR* dir = opendir("/sys/bus/pci/devices")) {
    while (const dirent* e = readdir(dir)) {
      const std::string bdf = e->d_name;
      if (bdf[0] == '.') continue;
      const std::string base = "/sys/bus/pci/devices/" + bdf;
      const PciFacts f = pciFacts(bdf);
      CHECK(f.pciId == hexId(readFirstLine(base + "/vendor")) + ":" + hexId(readFirstLine(base + "/device")), "%s: id %s", bdf.c_str(), f.pciId.c_str());
      CHECK(f.pciId.size() == 9 && f.pciId[4] == ':', "%s: id %s is vvvv:dddd", bdf.c_str(), f.pciId.c_str());
      CHECK(f.kernelDriver == basenameOfLink(base + "/driver"), "%s: driver %s", bdf.c_str(), f.kernelDriver.c_str());
      ++seen;
    }
    closedir(dir);
  }
  std::printf("live: %d PCI functions read\n", seen);
  std::printf("%s: pci tests (%d failures)\n", failures ? "FAIL" : "ok", failures);
  return failures ? 1 : 0;
}
