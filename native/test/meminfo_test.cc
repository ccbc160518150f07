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

  MemSample live;
  CHECK(sampleMemory(live), "sampleMemory");
  CHECK(live.memAvailable > 0, "live MemAvailable");
  std::printf("live: MemAvailable %lld MiB, per-CPU free %lld MiB\n", static_cast<long long>(live.memAvailable >> 20),
              static_cast<long long>(live.pcpFree >> 20));
  std::printf("%s: meminfo tests (%d failures)\n", failures ? "FAIL" : "ok", failures);
  return failures ? 1 : 0;
}
