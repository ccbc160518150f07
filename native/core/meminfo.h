// Host-memory instruments read without allocating, so sampling does not disturb
// what it measures: fixed buffers, no std::string, no heap.
#pragma once

#include <cstdint>

namespace xpd {

// Bytes; -1 when the kernel does not print the field (GPUActive is very new).
struct MemSample {
  double tMs = 0;  // CLOCK_MONOTONIC milliseconds
  int64_t memTotal = -1, memFree = -1, memAvailable = -1, committedAS = -1;
  int64_t shmem = -1, anonPages = -1, gpuActive = -1;
  int64_t vmRSS = -1, rssAnon = -1;
  // Free pages parked on the per-CPU page lists (sum of the pagesets' "count" in
  // /proc/zoneinfo). MemFree and MemAvailable leave them out, and since Linux 6.7 those
  // lists grow with the free rate: on this project's 2-CPU VMs one CPU held 1.1 GiB
  // there after a large free, and the next allocations took those pages without
  // MemAvailable moving. Adding them back gives the free memory the kernel really has.
  int64_t pcpFree = -1;
};

// MemAvailable plus the per-CPU free pages where known: the host-memory reading the
// probes fit and guard on.
inline int64_t hostAvailable(const MemSample& m) {
  return m.memAvailable < 0 ? -1 : m.memAvailable + (m.pcpFree > 0 ? m.pcpFree : 0);
}

double monotonicMs();

// Parses /proc/meminfo-formatted text into the meminfo fields of `out`.
void parseMeminfo(const char* text, MemSample& out);
// Parses /proc/self/status-formatted text into vmRSS / rssAnon.
void parseProcStatus(const char* text, MemSample& out);
// Sums the per-CPU pagesets' "count:" lines of /proc/zoneinfo-formatted text, in pages;
// -1 when there are none (a kernel that does not print them).
int64_t parseZoneinfoPcpPages(const char* text);

// Reads both files now. Returns false if /proc/meminfo could not be read.
bool sampleMemory(MemSample& out);

}  // namespace xpd
