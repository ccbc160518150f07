// What sysfs says of a GPU's PCI function, for every backend's device facts: the
// "vendor:device" id and the kernel driver bound to it ("xe", "i915", "nvidia"), the
// factor the shadowing reports turned on. Header-only, plain C++17, so that each plugin
// (built by its own compiler: nvcc, icpx) reads it the same way.
#pragma once

#include <unistd.h>

#include <cctype>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

namespace xpd {

inline std::string readFirstLine(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  if (f) std::getline(f, line);
  return line;
}

inline std::string lowerCase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "0x8086" -> "8086", "0xE20B" -> "e20b"
inline std::string hexId(std::string v) {
  v = lowerCase(v);
  if (v.rfind("0x", 0) == 0) v = v.substr(2);
  return v;
}

// sysfs spells bus ids "0000:1b:00.0"; runtimes may use upper case or a short domain.
inline std::string canonicalBusId(const std::string& id) {
  unsigned domain = 0, bus = 0, dev = 0, fn = 0;
  if (std::sscanf(id.c_str(), "%x:%x:%x.%x", &domain, &bus, &dev, &fn) != 4) return lowerCase(id);
  char out[40];
  std::snprintf(out, sizeof out, "%04x:%02x:%02x.%x", domain, bus, dev, fn);
  return out;
}

inline std::string basenameOfLink(const std::string& path) {
  char buf[PATH_MAX];
  const ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  if (n <= 0) return "";
  buf[n] = '\0';
  const char* slash = std::strrchr(buf, '/');
  return slash ? slash + 1 : buf;
}

struct PciFacts {
  std::string pciId;         // "8086:e20b"; empty where sysfs has no such device
  std::string kernelDriver;  // "xe"; empty where none is bound or it cannot be read
};

inline PciFacts pciFacts(const std::string& busId) {
  PciFacts f;
  if (busId.empty()) return f;
  const std::string dir = "/sys/bus/pci/devices/" + canonicalBusId(busId);
  const std::string vendor = hexId(readFirstLine(dir + "/vendor")), device = hexId(readFirstLine(dir + "/device"));
  if (!vendor.empty() && !device.empty()) f.pciId = vendor + ":" + device;
  f.kernelDriver = basenameOfLink(dir + "/driver");
  return f;
}

}  // namespace xpd
