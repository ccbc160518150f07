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
};

double monotonicMs();

// Parses /proc/meminfo-formatted text into the meminfo fields of `out`.
void parseMeminfo(const char* text, MemSample& out);
// Parses /proc/self/status-formatted text into vmRSS / rssAnon.
void parseProcStatus(const char* text, MemSample& out);

// Reads both files now. Returns false if /proc/meminfo could not be read.
bool sampleMemory(MemSample& out);

}  // namespace xpd
