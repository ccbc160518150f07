// The all-reduce and p2p probes on the host backend, natively: the run the vitest
// suite also makes, small enough to repeat under ASan/UBSan and TSan (the host
// backend's worker queues). Usage: collective_test [quick]
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include "core/allreduce_probe.h"
#include "core/p2p_probe.h"
#include "core/parallel.h"
#include "check.h"

using namespace xpd;

static std::function<BackendPtr()> host(int devices, const std::string& fault = "", bool peerKernels = true) {
  return [=] {
    Options o{{"devices", std::to_string(devices)}};
    if (!fault.empty()) o["fault"] = fault;
    if (!peerKernels) o["peerKernels"] = "off";
    return createBackend("host", o);
  };
}

static AllReduceProbeParams params(Input input, std::vector<uint64_t> counts, Exchange exchange = Exchange::CopyEngine) {
  AllReduceProbeParams p;
  p.algorithms = {"direct-f32", "bf16-trunc", "bf16-rne", "auto", "ring"};
  p.input = input;
  p.seed = 42;
  p.counts = std::move(counts);
  p.iters = 1;
  p.warmup = 0;
  p.check = 3;
  p.measureLink = false;
  p.cfg.chunkBytes = 16 << 10;  // many chunks even at small sizes: exercises the pipeline
  p.cfg.exchange = exchange;
  return p;
}

static void correctness(int devices, Input input, const std::vector<uint64_t>& counts, Exchange exchange) {
  uint64_t truncDisagree = 0;
  AllReduceProbeOutcome o = runAllReduceProbe(host(devices), params(input, counts, exchange), [&](const AllReduceRow& r) {
    // The ring always copies; the two-device paths take the exchange asked for.
    const char* want = r.ran == "ring" ? "copy-engine" : exchange == Exchange::Auto ? "peer-kernel" : exchangeName(exchange);
    CHECK(r.exchange == want, "devices=%d %s count=%llu exchange %s, want %s", devices, r.algorithm.c_str(), (unsigned long long)r.count, r.exchange.c_str(),
          want);
    CHECK(r.exchange != "peer-kernel" || r.chunks == 1, "peer kernels are not chunked");
    CHECK(r.wrong == 0, "devices=%d %s count=%llu wrong=%llu (in place %llu, stale %llu, overrun %llu) maxError=%g", devices, r.algorithm.c_str(),
          (unsigned long long)r.count, (unsigned long long)r.wrong, (unsigned long long)r.wrongInPlace, (unsigned long long)r.wrongStale,
          (unsigned long long)r.overrun, r.maxError);
    CHECK(r.mayDisagree || r.disagree == 0, "devices=%d %s count=%llu disagree=%llu", devices, r.algorithm.c_str(), (unsigned long long)r.count,
          (unsigned long long)r.disagree);
    CHECK(r.checked == 4, "checked=%d", r.checked);
    CHECK(r.maxError <= 1, "maxError=%g", r.maxError);
    if (r.algorithm == "bf16-trunc") truncDisagree += r.disagree;
    CHECK((devices > 2) == r.fellBack || r.algorithm == "ring", "fallback flag");
  });
  if (input == Input::Random && devices == 2) CHECK(truncDisagree > 0, "bf16-trunc never disagreed on random inputs");
  std::printf("ok: devices=%d %s %s, %d rows\n", devices, input == Input::Exact ? "exact" : "random", exchangeName(exchange), o.rows);
}

static uint64_t wrongWithFault(const std::string& fault, const std::string& algo, Exchange exchange = Exchange::CopyEngine) {
  AllReduceProbeParams p = params(Input::Exact, {1000, 40000}, exchange);
  p.algorithms = {algo};
  p.check = 1;
  uint64_t wrong = 0;
  runAllReduceProbe(host(2, fault), p, [&](const AllReduceRow& r) { wrong += r.wrong; });
  return wrong;
}

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "quick") == 0;
  const std::vector<uint64_t> counts =
      quick ? std::vector<uint64_t>{1, 2, 3, 1000, 32767, 32768, 32769} : std::vector<uint64_t>{1, 2, 3, 1000, 32767, 32768, 32769, 1000003};
  for (int devices : {2, 3})
    for (Input input : {Input::Exact, Input::Random})
      for (Exchange e : {Exchange::CopyEngine, Exchange::PeerKernel, Exchange::Auto}) correctness(devices, input, counts, e);

  // Peer kernels: an add that skips an element is caught on every path.
  for (const char* algo : {"direct-f32", "bf16-trunc", "bf16-rne"}) {
    const uint64_t skip = wrongWithFault("skip-last", algo, Exchange::PeerKernel);
    CHECK(skip > 0, "skip-last not caught for %s with peer kernels", algo);
    std::printf("ok: peer-kernel %s: skip-last %llu wrong\n", algo, (unsigned long long)skip);
  }
  // Auto by size: peer kernels below autoKernelBelowBytes, the copy engines from there.
  {
    AllReduceConfig cfg;
    cfg.autoKernelBelowBytes = 4000;
    CHECK(planAllReduce(Algo::Bf16Rne, 2, 999, cfg, true).exchange == Exchange::PeerKernel, "auto below the size");
    CHECK(planAllReduce(Algo::Bf16Rne, 2, 1000, cfg, true).exchange == Exchange::CopyEngine, "auto at the size");
    CHECK(planAllReduce(Algo::DirectF32, 2, 999, cfg, false).exchange == Exchange::CopyEngine, "auto without peer kernels");
    cfg.exchange = Exchange::PeerKernel;
    CHECK(planAllReduce(Algo::DirectF32, 2, 1 << 20, cfg, true).exchange == Exchange::PeerKernel, "explicit peer-kernel at any size");
  }
  // A backend whose kernels cannot reach the peer: auto copies, peer-kernel is refused.
  {
    AllReduceProbeParams p = params(Input::Exact, {1000}, Exchange::Auto);
    p.algorithms = {"direct-f32"};
    std::string exchange;
    runAllReduceProbe(host(2, "", false), p, [&](const AllReduceRow& r) { exchange = r.exchange; });
    CHECK(exchange == "copy-engine", "auto without peer kernels took %s", exchange.c_str());
    p.cfg.exchange = Exchange::PeerKernel;
    try {
      runAllReduceProbe(host(2, "", false), p, [](const AllReduceRow&) {});
      CHECK(false, "peer-kernel without peer access was not refused");
    } catch (const Unsupported& e) {
      CHECK(std::string(e.what()).find("peer-kernel") != std::string::npos, "%s", e.what());
    }
  }

  for (const char* algo : {"direct-f32", "bf16-trunc", "bf16-rne", "ring"}) {
    const uint64_t skip = wrongWithFault("skip-last", algo), nowait = wrongWithFault("no-wait", algo);
    CHECK(skip > 0, "skip-last not caught for %s", algo);
    CHECK(nowait > 0, "no-wait not caught for %s", algo);
    std::printf("ok: faults caught for %s (skip-last %llu wrong, no-wait %llu wrong)\n", algo, (unsigned long long)skip, (unsigned long long)nowait);
  }
  try {
    wrongWithFault("worker-throw", "direct-f32");
    CHECK(false, "an exception in a worker thread was lost");
  } catch (const ApiError& e) {
    CHECK(e.codeName() == "INJECTED_WORKER_FAULT", "%s", e.what());
  }

  // Library collectives: the host backend has none.
  try {
    AllReduceProbeParams p = params(Input::Exact, {100});
    p.algorithms = {"nccl-f32"};
    runAllReduceProbe(host(2), p, [](const AllReduceRow&) {});
    CHECK(false, "nccl-f32 on the host backend did not report unsupported");
  } catch (const Unsupported&) {
  }

  P2pParams pp;
  pp.minBytes = 1000;
  pp.maxBytes = 1 << 20;
  pp.factor = 7;
  pp.iters = 2;
  pp.warmup = 1;
  int rows = 0;
  runP2pProbe(host(3), pp, [&](const P2pRow& r) {
    ++rows;
    CHECK(r.wrong == 0, "p2p %d->%d %llu bytes: %llu wrong", r.src, r.dst, (unsigned long long)r.bytes, (unsigned long long)r.wrong);
    CHECK(r.gbps > 0, "p2p bandwidth");
  });
  CHECK(rows == (6 + 3) * 4, "p2p rows %d", rows);
  // One flipped bit in the last byte of every copy: every row must see it, at sizes
  // that end inside an 8-byte word (1000, 7000, ...) and on word boundaries alike.
  pp.maxBytes = 64 << 20;  // several host staging rounds
  int caught = 0, flipRows = 0;
  runP2pProbe(host(2, "copy-flip"), pp, [&](const P2pRow& r) {
    ++flipRows;
    caught += r.wrong == (r.both ? 2u : 1u);
  });
  CHECK(caught == flipRows && flipRows > 0, "copy-flip caught in %d of %d p2p rows", caught, flipRows);

  // parallelRanges: every index once, and an exception from any worker reaches the caller.
  {
    std::vector<int> seen(1000003, 0);
    parallelRanges(seen.size(), 7, [&](size_t lo, size_t hi, int) {
      for (size_t i = lo; i < hi; ++i) ++seen[i];
    });
    size_t once = 0;
    for (int v : seen) once += v == 1;
    CHECK(once == seen.size(), "parallelRanges covered %zu of %zu once", once, seen.size());
    bool thrown = false;
    try {
      parallelRanges(100, 4, [&](size_t lo, size_t, int w) {
        if (w == 3) throw std::runtime_error("from worker " + std::to_string(w) + " at " + std::to_string(lo));
      });
    } catch (const std::runtime_error& e) {
      thrown = std::string(e.what()) == "from worker 3 at 75";
    }
    CHECK(thrown, "parallelRanges lost a worker's exception");
  }
  LinkCeiling l;
  {
    BackendPtr b = host(2)();
    l = measureLinkCeiling(*b, 0, 1, 4 << 20, 3, 1);
  }
  CHECK(l.wrong == 0 && l.gbps > 0, "link ceiling");
  std::printf("ok: p2p %d rows, link %.1f GB/s per direction\n", rows, l.gbps);

  std::printf("%s: collective tests (%d failures)\n", failures ? "FAIL" : "ok", failures);
  return failures ? 1 : 0;
}
