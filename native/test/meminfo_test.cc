// The host-memory parsers on fixture text (fixtures/proc/): /proc/zoneinfo's per-CPU
// free pages, which MemAvailable leaves out. Usage: meminfo_test FIXTURE_DIR
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "core/meminfo.h"
#include "check.h"

using namespace xpd;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::printf("usage: meminfo_test FIXTURE_DIR\n");
    return 2;
  }
  std::ifstream f(std::string(argv[1]) + "/zoneinfo-2cpu.txt");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  CHECK(!text.empty(), "fixture missing");
  // 0 + 0 + 1444 + 1290 + 290742 + 7915: the "high" and "batch" lines are not counts.
  const int64_t pages = parseZoneinfoPcpPages(text.c_str());
  CHECK(pages == 301391, "pcp pages %lld", static_cast<long long>(pages));
  CHECK(parseZoneinfoPcpPages("Node 0, zone DMA\n  pages free 3840\n") == -1, "no pagesets reads as absent");
  CHECK(parseZoneinfoPcpPages("") == -1, "empty text");
  CHECK(parseZoneinfoPcpPages("    count:") == -1, "a count without a number is not a count");

  MemSample m;
  m.memAvailable = 1000;
  CHECK(hostAvailable(m) == 1000, "no pcp reading: MemAvailable alone");
  m.pcpFree = 24;
  CHECK(hostAvailable(m) == 1024, "MemAvailable + pcp");
  m.memAvailable = -1;
  CHECK(hostAvailable(m) == -1, "no MemAvailable: absent");

  // The fields the interference correction reads.
  MemSample k;
  parseMeminfo("MemTotal: 100 kB\nCached:  7 kB\nSUnreclaim: 3 kB\nPageTables: 5 kB\nKernelStack: 2 kB\nSwapCached: 9 kB\n", k);
  CHECK(k.cached == 7 * 1024 && k.sUnreclaim == 3 * 1024 && k.pageTables == 5 * 1024 && k.kernelStack == 2 * 1024, "meminfo interference fields");
  parseProcStatus("RssAnon:\t 11 kB\nRssShmem:\t 4 kB\nVmPTE:\t 1 kB\n", k);
  CHECK(k.rssShmem == 4 * 1024 && k.vmPTE == 1024 && k.rssAnon == 11 * 1024, "status interference fields");

  // Another process takes 256 MiB: MemAvailable falls, AnonPages rises, this process's
  // RssAnon stays: the stability reading does not move. This process takes it: it does.
  MemSample a;
  a.memTotal = 24ll << 30;
  a.memAvailable = 20ll << 30;
  a.anonPages = 1ll << 30;
  a.rssAnon = 64ll << 20;
  a.pageTables = 8 << 20;
  a.vmPTE = 1 << 20;
  a.kernelStack = 2 << 20;
  MemSample other = a;
  other.memAvailable -= 256ll << 20;
  other.anonPages += 256ll << 20;
  other.pageTables += 512 << 10;
  other.memAvailable -= 512 << 10;
  CHECK(stabilityReading(other) == stabilityReading(a), "another process's memory is added back");
  MemSample self = a;
  self.memAvailable -= 256ll << 20;
  self.anonPages += 256ll << 20;
  self.rssAnon += 256ll << 20;
  CHECK(stabilityReading(a) - stabilityReading(self) == 256ll << 20, "this process's memory counts");
  MemSample shrunk = a;
  shrunk.memTotal -= 1ll << 30;
  shrunk.memAvailable -= 1ll << 30;
  CHECK(stabilityReading(shrunk) == stabilityReading(a), "a machine that shrinks (balloon) is not this process");
  MemSample bare;
  bare.memAvailable = 5000;
  CHECK(stabilityReading(bare) == 5000, "without the fields: hostAvailable");

  MemSample live;
  CHECK(sampleMemory(live), "sampleMemory");
  CHECK(live.memAvailable > 0, "live MemAvailable");
  std::printf("live: MemAvailable %lld MiB, per-CPU free %lld MiB\n", static_cast<long long>(live.memAvailable >> 20),
              static_cast<long long>(live.pcpFree >> 20));
  std::printf("%s: meminfo tests (%d failures)\n", failures ? "FAIL" : "ok", failures);
  return failures ? 1 : 0;
}
