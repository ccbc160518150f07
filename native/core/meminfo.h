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
  // What other processes and the kernel hold, to tell their moves from this process's
  // (see stabilityReading): machine-wide page cache, unreclaimable slab, page tables
  // and kernel stacks from /proc/meminfo; this process's shared memory and page tables
  // from /proc/self/status.
  int64_t cached = -1, sUnreclaim = -1, pageTables = -1, kernelStack = -1;
  int64_t rssShmem = -1, vmPTE = -1;
  // Free pages parked on the per-CPU page lists (sum of the pagesets' "count" in
  // /proc/zoneinfo). MemFree and MemAvailable leave them out, and since Linux 6.7 those
  // lists grow with the free rate: on this project's 2-CPU VMs one CPU held 1.1 GiB
  // there after a large free, and the next allocations took those pages without
  // MemAvailable moving. Adding them back gives the free memory the kernel really has.
  int64_t pcpFree = -1;
};

// MemAvailable plus the per-CPU free pages where known: the host-memory reading the
// probes fit and guard on.
inline int64_t hostAvailable(const MemSample& m) { return m.memAvailable < 0 ? -1 : m.memAvailable + (m.pcpFree > 0 ? m.pcpFree : 0); }

// The reading the probe waits on for stability: hostAvailable with what other processes
// took since added back, where the kernel prints the fields for it: their anonymous
// memory (AnonPages less this process's RssAnon) and page tables (PageTables less
// VmPTE), kernel stacks, less MemTotal (a balloon or memory hot-unplug shrinks the
// machine, not this process). Only differences between two readings mean anything (the
// value is usually negative). The analysis fits the same correction
// (src/analysis/host-readings.ts). Measured on this project's 2-core VMs while other
// processes moved 1.6 GiB of anonymous memory: this reading stayed within 2.5 MiB, where
// MemAvailable moved by all of it.
inline int64_t stabilityReading(const MemSample& m) {
  if (m.memAvailable < 0 || m.anonPages < 0 || m.rssAnon < 0 || m.memTotal < 0) return hostAvailable(m);
  const int64_t pageTables = m.pageTables >= 0 && m.vmPTE >= 0 ? m.pageTables - m.vmPTE : 0;
  return hostAvailable(m) + (m.anonPages - m.rssAnon) + pageTables + (m.kernelStack > 0 ? m.kernelStack : 0) - m.memTotal;
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
