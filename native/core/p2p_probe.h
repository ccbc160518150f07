// The link probe: copy bandwidth between every pair of devices, one direction and
// both directions at once (per-direction GB/s), across sizes. Copies are pulls on the
// destination's copy queue (cudaMemcpyPeerAsync on CUDA, memcpy between the host
// backend's simulated devices), timed with device events; the data that arrived is
// checked, so a fast copy that moved the wrong bytes cannot pass.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/registry.h"

namespace xpd {

struct P2pParams {
  uint64_t minBytes = 4096;
  uint64_t maxBytes = 64ull << 20;
  double factor = 2;
  int iters = 20;
  int warmup = 5;
  bool bidirectional = true;  // also measure both directions at once
  int devices = 0;            // devices 0 .. devices-1 take part; 0: all of them
};

struct P2pRow {
  int src = 0, dst = 0;  // for both directions: the pair (src < dst)
  bool both = false;
  uint64_t bytes = 0;
  double timeUs = 0, minUs = 0, p90Us = 0;
  int iters = 0;
  double gbps = 0;         // per direction, from the median time (1e9 bytes/s)
  uint64_t wrong = 0;      // bytes that did not arrive as sent (or landed past the end)
  bool hostClock = false;  // timed by the host clock (the backend could not time events)
  std::string route;       // Backend::copyRoute of the copies (both ways: "a / b" if they differ)
};

struct P2pOutcome {
  int devices = 0;
  bool hostClock = false;
  int rows = 0;
};

using P2pSink = std::function<void(const P2pRow&)>;

P2pOutcome runP2pProbe(const std::function<BackendPtr()>& make, const P2pParams& p, const P2pSink& sink);

// The measured ceiling of the link between devices a and b: per-direction GB/s with
// both directions at once, at `bytes` (median of `iters`). Allocates and frees its own
// buffers. The all-reduce probe reports its bandwidth as a fraction of this.
struct LinkCeiling {
  uint64_t bytes = 0;
  double gbps = 0;
  double timeUs = 0;
  uint64_t wrong = 0;
};
LinkCeiling measureLinkCeiling(Backend& b, int a, int c, uint64_t bytes, int iters, int warmup);

}  // namespace xpd
