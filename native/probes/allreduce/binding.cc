// allreduceProbe(spec, onRow) -> outcome: the all-reduce probe's marshalling. One row
// per (size, algorithm), delivered synchronously as measured (see core/allreduce_probe.h).
#include "core/allreduce_probe.h"
#include "probes/binding.h"

namespace xpd::js {
namespace {

// Every spec key allreduceProbe reads as it is, with the AllReduceProbeParams member it
// sets: declared once here. The reading below and the parameter list the TypeScript side
// checks against the probe's params.ts both expand it; the defaults are the structs'.
// clang-format off
#define XPUDIAG_ALLREDUCE_FIELDS(X) \
  X(devices, devices) \
  X(threshold, cfg.threshold) \
  X(chunkBytes, cfg.chunkBytes) \
  X(seed, seed) \
  X(minBytes, minBytes) \
  X(maxBytes, maxBytes) \
  X(factor, factor) \
  X(iters, iters) \
  X(warmup, warmup) \
  X(check, check) \
  X(measureLink, measureLink)
// clang-format on

const char* inputName(Input i) { return i == Input::Exact ? "exact" : "random"; }

std::vector<std::string> strings(const Napi::Value& v) {
  std::vector<std::string> out;
  for (uint32_t i = 0; i < v.As<Napi::Array>().Length(); ++i) out.push_back(v.As<Napi::Array>().Get(i).ToString());
  return out;
}

AllReduceProbeParams readParams(const Napi::Object& spec) {
  AllReduceProbeParams p;
  XPUDIAG_ALLREDUCE_FIELDS(XPUDIAG_JS_READ)
  // The keys that need more than a number: names, lists, a checked bound.
  Napi::Value algos = spec.Get("algorithms");
  if (!algos.IsArray()) throw std::invalid_argument("allreduceProbe: algorithms must be an array of names");
  p.algorithms = strings(algos);
  p.cfg.autoVariant = parseAlgo(str(spec, "autoVariant", algoName(p.cfg.autoVariant)));
  p.cfg.exchange = parseExchange(str(spec, "exchange", exchangeName(p.cfg.exchange)));
  const double kernelBelow = num(spec, "autoKernelBelowBytes", static_cast<double>(p.cfg.autoKernelBelowBytes));
  if (!(kernelBelow >= 0)) throw std::invalid_argument("allreduceProbe: autoKernelBelowBytes must be >= 0");
  p.cfg.autoKernelBelowBytes = static_cast<uint64_t>(kernelBelow);
  const std::string input = str(spec, "input", inputName(p.input));
  if (input != "exact" && input != "random") throw std::invalid_argument("allreduceProbe: input must be exact or random, got '" + input + "'");
  p.input = input == "exact" ? Input::Exact : Input::Random;
  Napi::Value counts = spec.Get("counts");
  if (counts.IsArray())
    for (uint32_t i = 0; i < counts.As<Napi::Array>().Length(); ++i)
      p.counts.push_back(static_cast<uint64_t>(counts.As<Napi::Array>().Get(i).ToNumber().DoubleValue()));
  return p;
}

Napi::Object params(Napi::Env env) {
  const AllReduceProbeParams d;
  Napi::Object o = Napi::Object::New(env);
  XPUDIAG_ALLREDUCE_FIELDS(XPUDIAG_JS_DEFAULT)
  o.Set("algorithms", env.Null());
  o.Set("autoVariant", algoName(d.cfg.autoVariant));
  o.Set("exchange", exchangeName(d.cfg.exchange));
  o.Set("autoKernelBelowBytes", defaultToJs(env, d.cfg.autoKernelBelowBytes));
  o.Set("input", inputName(d.input));
  o.Set("counts", env.Null());
  return o;
}

Napi::Object rowToJs(Napi::Env env, const AllReduceRow& r) {
  auto n = [&](double v) { return Napi::Number::New(env, v); };
  Napi::Object js = Napi::Object::New(env);
  js.Set("algorithm", r.algorithm);
  js.Set("ran", r.ran);
  js.Set("fellBack", r.fellBack);
  js.Set("threshold", r.thresholdRow);
  js.Set("count", n(static_cast<double>(r.count)));
  js.Set("bytes", n(static_cast<double>(r.bytes)));
  js.Set("chunks", n(static_cast<double>(r.chunks)));
  if (!r.exchange.empty()) js.Set("exchange", r.exchange);
  js.Set("wireBytes", n(static_cast<double>(r.wireBytes)));
  js.Set("timeUs", n(r.timeUs));
  js.Set("minUs", n(r.minUs));
  js.Set("p90Us", n(r.p90Us));
  js.Set("iters", r.iters);
  js.Set("checked", r.checked);
  js.Set("mayDisagree", r.mayDisagree);
  js.Set("timing", timingName(r.hostClock));
  if (!r.route.empty()) js.Set("route", r.route);
  if (r.checked > 0) {
    js.Set("wrong", n(static_cast<double>(r.wrong)));
    js.Set("wrongInPlace", n(static_cast<double>(r.wrongInPlace)));
    js.Set("wrongStale", n(static_cast<double>(r.wrongStale)));
    js.Set("overrun", n(static_cast<double>(r.overrun)));
    js.Set("nonFinite", n(static_cast<double>(r.nonFinite)));
    js.Set("maxError", n(r.maxError));
    js.Set("disagree", n(static_cast<double>(r.disagree)));
    js.Set("maxDisagree", n(r.maxDisagree));
  }
  return js;
}

Napi::Object outcomeToJs(Napi::Env env, const AllReduceProbeOutcome& out) {
  auto n = [&](double v) { return Napi::Number::New(env, v); };
  Napi::Object o = Napi::Object::New(env);
  o.Set("devices", out.devices);
  o.Set("seed", n(static_cast<double>(out.seed)));
  o.Set("input", out.input);
  o.Set("timing", timingName(out.hostClock));
  o.Set("rows", out.rows);
  if (out.link.bytes) {
    Napi::Object l = Napi::Object::New(env);
    l.Set("bytes", n(static_cast<double>(out.link.bytes)));
    l.Set("gbps", n(out.link.gbps));
    l.Set("timeUs", n(out.link.timeUs));
    o.Set("link", l);
  }
  Napi::Array algs = Napi::Array::New(env, out.algorithms.size());
  for (size_t i = 0; i < out.algorithms.size(); ++i) algs.Set(static_cast<uint32_t>(i), out.algorithms[i]);
  o.Set("algorithms", algs);
  Napi::Array uns = Napi::Array::New(env, out.unsupported.size());
  for (size_t i = 0; i < out.unsupported.size(); ++i) {
    Napi::Object u = Napi::Object::New(env);
    u.Set("algorithm", out.unsupported[i].first);
    u.Set("reason", out.unsupported[i].second);
    uns.Set(static_cast<uint32_t>(i), u);
  }
  o.Set("unsupported", uns);
  Napi::Array cs = Napi::Array::New(env, out.counts.size());
  for (size_t i = 0; i < out.counts.size(); ++i) cs.Set(static_cast<uint32_t>(i), n(static_cast<double>(out.counts[i])));
  o.Set("counts", cs);
  return o;
}

Napi::Value call(const Napi::CallbackInfo& info) {
  return probeCall(info, "allreduceProbe",
                   [&](Napi::Env env, const Napi::Object& spec, const Napi::Function& onRow, const std::function<BackendPtr()>& backend) -> Napi::Value {
                     const AllReduceProbeOutcome out =
                         runAllReduceProbe(backend, readParams(spec), [&](const AllReduceRow& r) { onRow.Call({rowToJs(env, r)}); });
                     return outcomeToJs(env, out);
                   });
}

}  // namespace

extern const ProbeBinding kAllreduceBinding{"allreduce", "allreduceProbe", call, params};

}  // namespace xpd::js
