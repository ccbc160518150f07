#include "core/meminfo.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

namespace xpd {

double monotonicMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

namespace {

// Reads a whole small /proc file into buf (NUL-terminated). /proc files must be read
// in one go from offset 0; 16 KiB is far above meminfo's size.
bool readSmallFile(const char* path, char* buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  size_t len = 0;
  while (len + 1 < cap) {
    ssize_t n = read(fd, buf + len, cap - 1 - len);
    if (n < 0) {
      close(fd);
      return false;
    }
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  close(fd);
  buf[len] = '\0';
  return true;
}

// For each "Key:   123 kB" line whose key matches, stores the value in bytes.
struct Field {
  const char* key;
  int64_t MemSample::*member;
};

void parseKeyed(const char* text, const Field* fields, size_t nFields, MemSample& out) {
  const char* line = text;
  while (*line) {
    const char* colon = strchr(line, ':');
    const char* eol = strchr(line, '\n');
    if (!eol) eol = line + strlen(line);
    if (colon && colon < eol) {
      size_t keyLen = static_cast<size_t>(colon - line);
      for (size_t i = 0; i < nFields; ++i) {
        if (strlen(fields[i].key) == keyLen && strncmp(fields[i].key, line, keyLen) == 0) {
          char* end = nullptr;
          long long v = strtoll(colon + 1, &end, 10);
          while (end && end < eol && *end == ' ') ++end;
          int64_t scale = (end && end + 1 < eol && end[0] == 'k' && end[1] == 'B') ? 1024 : 1;
          out.*(fields[i].member) = static_cast<int64_t>(v) * scale;
          break;
        }
      }
    }
    line = *eol ? eol + 1 : eol;
  }
}

const Field kMeminfoFields[] = {
    {"MemTotal", &MemSample::memTotal},
    {"MemFree", &MemSample::memFree},
    {"MemAvailable", &MemSample::memAvailable},
    {"Committed_AS", &MemSample::committedAS},
    {"Shmem", &MemSample::shmem},
    {"AnonPages", &MemSample::anonPages},
    {"GPUActive", &MemSample::gpuActive},
    {"Cached", &MemSample::cached},
    {"SUnreclaim", &MemSample::sUnreclaim},
    {"PageTables", &MemSample::pageTables},
    {"KernelStack", &MemSample::kernelStack},
};
const Field kStatusFields[] = {
    {"VmRSS", &MemSample::vmRSS},
    {"RssAnon", &MemSample::rssAnon},
    {"RssShmem", &MemSample::rssShmem},
    {"VmPTE", &MemSample::vmPTE},
};

}  // namespace

void parseMeminfo(const char* text, MemSample& out) { parseKeyed(text, kMeminfoFields, sizeof kMeminfoFields / sizeof kMeminfoFields[0], out); }

void parseProcStatus(const char* text, MemSample& out) { parseKeyed(text, kStatusFields, sizeof kStatusFields / sizeof kStatusFields[0], out); }

int64_t parseZoneinfoPcpPages(const char* text) {
  int64_t pages = 0;
  bool any = false;
  for (const char* line = text; *line;) {
    const char* eol = strchr(line, '\n');
    if (!eol) eol = line + strlen(line);
    const char* p = line;
    while (p < eol && (*p == ' ' || *p == '\t')) ++p;
    if (eol - p > 6 && strncmp(p, "count:", 6) == 0) {
      char* end = nullptr;
      const long long v = strtoll(p + 6, &end, 10);
      if (end != p + 6 && v >= 0) {
        pages += v;
        any = true;
      }
    }
    line = *eol ? eol + 1 : eol;
  }
  return any ? pages : -1;
}

bool sampleMemory(MemSample& out) {
  static thread_local char buf[16384];
  // zoneinfo has a pageset per CPU and zone: tens of KiB on large hosts. One buffer in
  // static storage (not per thread), so the sampler still never allocates.
  static char zoneinfo[1 << 20];
  static std::mutex zoneinfoLock;
  static const long pageSize = sysconf(_SC_PAGESIZE);
  out = MemSample{};
  out.tMs = monotonicMs();
  if (!readSmallFile("/proc/meminfo", buf, sizeof buf)) return false;
  parseMeminfo(buf, out);
  if (readSmallFile("/proc/self/status", buf, sizeof buf)) parseProcStatus(buf, out);
  {
    std::lock_guard<std::mutex> lock(zoneinfoLock);
    if (pageSize > 0 && readSmallFile("/proc/zoneinfo", zoneinfo, sizeof zoneinfo)) {
      const int64_t pages = parseZoneinfoPcpPages(zoneinfo);
      if (pages >= 0) out.pcpFree = pages * pageSize;
    }
  }
  return true;
}

}  // namespace xpd
