// allocProbe(spec, onSample, onCleanup?) -> outcome: the allocation probe's marshalling.
// Samples are delivered synchronously as taken (see core/alloc_probe.h).
#include "core/alloc_probe.h"
#include "probes/binding.h"

namespace xpd::js {
namespace {

// Every spec key allocProbe reads as it is, with the AllocProbeParams member it sets:
// declared once here. The reading below and the parameter list the TypeScript side
// checks against the probe's params.ts (test/native/probe-params.test.ts) both expand it;
// the defaults are the struct's.
// clang-format off
#define XPUDIAG_ALLOC_FIELDS(X) \
  X(device, device) \
  X(variant, variant) \
  X(size, size) \
  X(count, count) \
  X(baselineMs, baselineMs) \
  X(settleMs, settleMs) \
  X(stableWindowMs, stableWindowMs) \
  X(stableBytes, stableBytes) \
  X(intervalMs, intervalMs) \
  X(samplesPerStep, samplesPerStep) \
  X(cycles, cycles) \
  X(guardBytes, guardBytes) \
  X(ballastBytes, ballastBytes)
// clang-format on

const char* touchName(Touch t) { return t == Touch::Fill ? "fill" : t == Touch::Read ? "read" : "none"; }

AllocProbeParams readParams(const Napi::Object& spec) {
  AllocProbeParams p;
  XPUDIAG_ALLOC_FIELDS(XPUDIAG_JS_READ)
  p.touch = parseTouch(str(spec, "touch", touchName(p.touch)));
  return p;
}

Napi::Object params(Napi::Env env) {
  const AllocProbeParams d;
  Napi::Object o = Napi::Object::New(env);
  XPUDIAG_ALLOC_FIELDS(XPUDIAG_JS_DEFAULT)
  o.Set("touch", touchName(d.touch));
  return o;
}

Napi::Object outcomeToJs(Napi::Env env, const AllocProbeOutcome& out) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("allocated", out.allocated);
  o.Set("stoppedAtGuard", out.stoppedAtGuard);
  o.Set("guardBytes", Napi::Number::New(env, static_cast<double>(out.guardBytes)));
  if (out.availableAtStop >= 0) o.Set("availableAtStop", Napi::Number::New(env, static_cast<double>(out.availableAtStop)));
  o.Set("baselineStable", out.baselineStable);
  o.Set("releaseSettled", out.releaseSettled);
  o.Set("backendCreateMs", out.backendCreateMs);
  o.Set("ballastBytes", Napi::Number::New(env, static_cast<double>(out.ballastBytes)));
  o.Set("countersAfterRelease", numberMap(env, out.countersAfterRelease));
  return o;
}

Napi::Value call(const Napi::CallbackInfo& info) {
  return probeCall(info, "allocProbe",
                   [&](Napi::Env env, const Napi::Object& spec, const Napi::Function& onSample, const std::function<BackendPtr()>& backend) -> Napi::Value {
                     const Napi::Value onCleanup = info[2];
                     const AllocProbeOutcome out = runAllocProbe(
                         backend, readParams(spec),
                         [&](const ProbeSample& s) {
                           Napi::Object js = memToJs(env, s.mem);
                           js.Set("phase", s.phase);
                           js.Set("step", s.step);
                           js.Set("deviceBytes", Napi::Number::New(env, static_cast<double>(s.deviceBytes)));
                           onSample.Call({js});
                         },
                         [&](const std::map<std::string, double>& counters) {
                           if (onCleanup.IsFunction()) onCleanup.As<Napi::Function>().Call({numberMap(env, counters)});
                         });
                     return outcomeToJs(env, out);
                   });
}

}  // namespace

extern const ProbeBinding kAllocBinding{"alloc", "allocProbe", call, params};

}  // namespace xpd::js
