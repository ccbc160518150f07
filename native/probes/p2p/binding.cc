// p2pProbe(spec, onRow) -> outcome: the link probe's marshalling. One row per (pair,
// direction, size), delivered synchronously as measured (see core/p2p_probe.h).
#include <algorithm>

#include "core/p2p_probe.h"
#include "probes/binding.h"

namespace xpd::js {
namespace {

// Every spec key p2pProbe reads, with the P2pParams member it sets: declared once here.
// clang-format off
#define XPUDIAG_P2P_FIELDS(X) \
  X(minBytes, minBytes) \
  X(maxBytes, maxBytes) \
  X(factor, factor) \
  X(iters, iters) \
  X(warmup, warmup) \
  X(devices, devices) \
  X(bidirectional, bidirectional)
// clang-format on

P2pParams readParams(const Napi::Object& spec) {
  P2pParams p;
  XPUDIAG_P2P_FIELDS(XPUDIAG_JS_READ)
  // A smallest size above the default largest one, alone: the sweep is that size.
  if (spec.Get("maxBytes").IsUndefined()) p.maxBytes = std::max(p.maxBytes, p.minBytes);
  return p;
}

Napi::Object params(Napi::Env env) {
  const P2pParams d;
  Napi::Object o = Napi::Object::New(env);
  XPUDIAG_P2P_FIELDS(XPUDIAG_JS_DEFAULT)
  return o;
}

Napi::Value call(const Napi::CallbackInfo& info) {
  return probeCall(info, "p2pProbe",
                   [&](Napi::Env env, const Napi::Object& spec, const Napi::Function& onRow, const std::function<BackendPtr()>& backend) -> Napi::Value {
                     auto n = [&](double v) { return Napi::Number::New(env, v); };
                     const P2pOutcome out = runP2pProbe(backend, readParams(spec), [&](const P2pRow& r) {
                       Napi::Object js = Napi::Object::New(env);
                       js.Set("src", r.src);
                       js.Set("dst", r.dst);
                       js.Set("direction", r.both ? "both" : "one");
                       js.Set("bytes", n(static_cast<double>(r.bytes)));
                       js.Set("timeUs", n(r.timeUs));
                       js.Set("minUs", n(r.minUs));
                       js.Set("p90Us", n(r.p90Us));
                       js.Set("iters", r.iters);
                       js.Set("gbps", n(r.gbps));
                       js.Set("wrong", n(static_cast<double>(r.wrong)));
                       js.Set("timing", timingName(r.hostClock));
                       if (!r.route.empty()) js.Set("route", r.route);
                       onRow.Call({js});
                     });
                     Napi::Object o = Napi::Object::New(env);
                     o.Set("devices", out.devices);
                     o.Set("rows", out.rows);
                     o.Set("timing", timingName(out.hostClock));
                     return o;
                   });
}

}  // namespace

extern const ProbeBinding kP2pBinding{"p2p", "p2pProbe", call, params};

}  // namespace xpd::js
