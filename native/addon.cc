// node-addon-api bindings only: convert arguments, call core/, convert results.
// The typed TypeScript view of these functions is src/native/addon.ts.
#define NAPI_CPP_EXCEPTIONS
#include <napi.h>

#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <stdexcept>

#include "core/alloc_probe.h"
#include "core/allreduce_probe.h"
#include "core/p2p_probe.h"
#include "core/registry.h"

namespace {

using namespace xpd;

// Every native failure reaches JavaScript as an Error with a `kind` the runner maps to
// a result: api (a vendor call failed: `call`, `code`, `codeName`), unavailable (the
// backend cannot run here: skip), unsupported, usage, runtime.
Napi::Error toJsError(Napi::Env env, const std::exception& e) {
  Napi::Error err = Napi::Error::New(env, e.what());
  if (auto* api = dynamic_cast<const ApiError*>(&e)) {
    err.Set("kind", "api");
    err.Set("call", api->call());
    err.Set("code", Napi::Number::New(env, static_cast<double>(api->code())));
    err.Set("codeName", api->codeName());
  } else if (dynamic_cast<const Unavailable*>(&e)) {
    err.Set("kind", "unavailable");
  } else if (dynamic_cast<const Unsupported*>(&e)) {
    err.Set("kind", "unsupported");
  } else if (dynamic_cast<const std::invalid_argument*>(&e)) {
    err.Set("kind", "usage");
  } else {
    err.Set("kind", "runtime");
  }
  return err;
}

template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, F&& f) {
  try {
    return f();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw toJsError(info.Env(), e);
  }
}

Options toOptions(const Napi::Value& v) {
  Options o;
  if (!v.IsObject()) return o;
  Napi::Object obj = v.As<Napi::Object>();
  Napi::Array keys = obj.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    std::string k = keys.Get(i).ToString();
    o[k] = obj.Get(k).ToString().Utf8Value();
  }
  return o;
}

std::string str(const Napi::Object& o, const char* key, const std::string& def = "") {
  Napi::Value v = o.Get(key);
  return v.IsUndefined() ? def : v.ToString().Utf8Value();
}

double num(const Napi::Object& o, const char* key, double def) {
  Napi::Value v = o.Get(key);
  return v.IsUndefined() ? def : v.ToNumber().DoubleValue();
}

Napi::Object stringMap(Napi::Env env, const std::map<std::string, std::string>& m) {
  Napi::Object o = Napi::Object::New(env);
  for (const auto& [k, v] : m) o.Set(k, v);
  return o;
}

Napi::Object numberMap(Napi::Env env, const std::map<std::string, double>& m) {
  Napi::Object o = Napi::Object::New(env);
  for (const auto& [k, v] : m) o.Set(k, Napi::Number::New(env, v));
  return o;
}

Napi::Object factsToJs(Napi::Env env, const Facts& f) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("backend", f.backend);
  o.Set("runtimes", stringMap(env, f.runtimes));
  o.Set("extra", stringMap(env, f.extra));
  Napi::Array devs = Napi::Array::New(env, f.devices.size());
  for (size_t i = 0; i < f.devices.size(); ++i) {
    const DeviceInfo& d = f.devices[i];
    Napi::Object jd = Napi::Object::New(env);
    jd.Set("index", d.index);
    jd.Set("vendor", d.vendor);
    jd.Set("name", d.name);
    jd.Set("pciId", d.pciId);
    jd.Set("pciBusId", d.pciBusId);
    jd.Set("kernelDriver", d.kernelDriver);
    jd.Set("memoryBytes", Napi::Number::New(env, static_cast<double>(d.memoryBytes)));
    Napi::Array peers = Napi::Array::New(env, d.peers.size());
    for (size_t j = 0; j < d.peers.size(); ++j) peers.Set(static_cast<uint32_t>(j), d.peers[j]);
    jd.Set("peers", peers);
    jd.Set("extra", stringMap(env, d.extra));
    devs.Set(static_cast<uint32_t>(i), jd);
  }
  o.Set("devices", devs);
  return o;
}

Napi::Object memToJs(Napi::Env env, const MemSample& m) {
  Napi::Object o = Napi::Object::New(env);
  auto set = [&](const char* k, int64_t v) {
    if (v >= 0) o.Set(k, Napi::Number::New(env, static_cast<double>(v)));
  };
  o.Set("t", m.tMs);
  set("memTotal", m.memTotal);
  set("memFree", m.memFree);
  set("memAvailable", m.memAvailable);
  set("committedAS", m.committedAS);
  set("shmem", m.shmem);
  set("anonPages", m.anonPages);
  set("gpuActive", m.gpuActive);
  set("vmRSS", m.vmRSS);
  set("rssAnon", m.rssAnon);
  set("pcpFree", m.pcpFree);
  set("cached", m.cached);
  set("sUnreclaim", m.sUnreclaim);
  set("pageTables", m.pageTables);
  set("kernelStack", m.kernelStack);
  set("rssShmem", m.rssShmem);
  set("vmPTE", m.vmPTE);
  return o;
}

// facts(backend, options) -> Facts; throws why the backend is unavailable.
Napi::Value Facts_(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    BackendPtr b = createBackend(info[0].ToString(), toOptions(info[1]));
    return factsToJs(info.Env(), b->facts());
  });
}

// The probes' backend, created once per case: where the spec has an onFacts function it
// hears the backend's facts as soon as the backend exists, so a case needs no second
// backend (a second context, a second zeInit) just to report what it ran on.
BackendFactory backendFactory(Napi::Env env, const Napi::Object& spec, const std::string& name, const Options& options) {
  Napi::Value onFacts = spec.Get("onFacts");
  return [env, onFacts, name, options]() {
    BackendPtr b = createBackend(name, options);
    if (onFacts.IsFunction()) onFacts.As<Napi::Function>().Call({factsToJs(env, b->facts())});
    return b;
  };
}

// allocProbe(spec, onSample) -> outcome. Samples are delivered synchronously as taken.
Napi::Value AllocProbe(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Napi::Object spec = info[0].As<Napi::Object>();
    Napi::Function onSample = info[1].As<Napi::Function>();
    std::string backendName = str(spec, "backend", "host");
    Options options = toOptions(spec.Get("options"));
    AllocProbeParams p;
    p.device = static_cast<int>(num(spec, "device", 0));
    p.variant = str(spec, "variant");
    p.size = static_cast<uint64_t>(num(spec, "size", 0));
    p.count = static_cast<int>(num(spec, "count", 1));
    p.touch = parseTouch(str(spec, "touch", "none"));
    p.baselineMs = num(spec, "baselineMs", p.baselineMs);
    p.settleMs = num(spec, "settleMs", p.settleMs);
    p.stableWindowMs = num(spec, "stableWindowMs", p.stableWindowMs);
    p.stableBytes = static_cast<int64_t>(num(spec, "stableBytes", static_cast<double>(p.stableBytes)));
    p.intervalMs = num(spec, "intervalMs", p.intervalMs);
    p.samplesPerStep = static_cast<int>(num(spec, "samplesPerStep", p.samplesPerStep));
    p.cycles = static_cast<int>(num(spec, "cycles", 0));
    p.guardBytes = static_cast<int64_t>(num(spec, "guardBytes", 0));
    p.ballastBytes = static_cast<int64_t>(num(spec, "ballastBytes", static_cast<double>(p.ballastBytes)));
    Napi::Value onCleanup = info[2];
    AllocProbeOutcome out = runAllocProbe(
        backendFactory(env, spec, backendName, options), p,
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
  });
}

// allreduceProbe(spec, onRow) -> outcome. One row per (size, algorithm), delivered
// synchronously as measured (see core/allreduce_probe.h).
Napi::Value AllReduceProbe(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Napi::Object spec = info[0].As<Napi::Object>();
    Napi::Function onRow = info[1].As<Napi::Function>();
    std::string backendName = str(spec, "backend", "host");
    Options options = toOptions(spec.Get("options"));
    AllReduceProbeParams p;
    p.devices = static_cast<int>(num(spec, "devices", 0));
    Napi::Value algos = spec.Get("algorithms");
    if (!algos.IsArray()) throw std::invalid_argument("allreduceProbe: algorithms must be an array of names");
    for (uint32_t i = 0; i < algos.As<Napi::Array>().Length(); ++i) p.algorithms.push_back(algos.As<Napi::Array>().Get(i).ToString());
    p.cfg.threshold = static_cast<size_t>(num(spec, "threshold", static_cast<double>(p.cfg.threshold)));
    p.cfg.autoVariant = parseAlgo(str(spec, "autoVariant", algoName(p.cfg.autoVariant)));
    p.cfg.chunkBytes = static_cast<size_t>(num(spec, "chunkBytes", static_cast<double>(p.cfg.chunkBytes)));
    p.cfg.exchange = parseExchange(str(spec, "exchange", exchangeName(p.cfg.exchange)));
    const double kernelBelow = num(spec, "autoKernelBelowBytes", static_cast<double>(p.cfg.autoKernelBelowBytes));
    if (!(kernelBelow >= 0)) throw std::invalid_argument("allreduceProbe: autoKernelBelowBytes must be >= 0");
    p.cfg.autoKernelBelowBytes = static_cast<uint64_t>(kernelBelow);
    const std::string input = str(spec, "input", "exact");
    if (input != "exact" && input != "random") throw std::invalid_argument("allreduceProbe: input must be exact or random, got '" + input + "'");
    p.input = input == "exact" ? Input::Exact : Input::Random;
    p.seed = static_cast<uint64_t>(num(spec, "seed", static_cast<double>(p.seed)));
    Napi::Value counts = spec.Get("counts");
    if (counts.IsArray())
      for (uint32_t i = 0; i < counts.As<Napi::Array>().Length(); ++i)
        p.counts.push_back(static_cast<uint64_t>(counts.As<Napi::Array>().Get(i).ToNumber().DoubleValue()));
    p.minBytes = static_cast<uint64_t>(num(spec, "minBytes", 0));
    p.maxBytes = static_cast<uint64_t>(num(spec, "maxBytes", 0));
    p.factor = num(spec, "factor", p.factor);
    p.iters = static_cast<int>(num(spec, "iters", p.iters));
    p.warmup = static_cast<int>(num(spec, "warmup", p.warmup));
    p.check = static_cast<int>(num(spec, "check", p.check));
    Napi::Value link = spec.Get("measureLink");
    if (!link.IsUndefined()) p.measureLink = link.ToBoolean();
    auto n = [&](double v) { return Napi::Number::New(env, v); };
    AllReduceProbeOutcome out = runAllReduceProbe(
        backendFactory(env, spec, backendName, options), p,
        [&](const AllReduceRow& r) {
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
          js.Set("timing", r.hostClock ? "host-clock" : "device-events");
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
          onRow.Call({js});
        });
    Napi::Object o = Napi::Object::New(env);
    o.Set("devices", out.devices);
    o.Set("seed", n(static_cast<double>(out.seed)));
    o.Set("input", out.input);
    o.Set("timing", out.hostClock ? "host-clock" : "device-events");
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
  });
}

// p2pProbe(spec, onRow) -> outcome. One row per (pair, direction, size).
Napi::Value P2pProbe(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Napi::Object spec = info[0].As<Napi::Object>();
    Napi::Function onRow = info[1].As<Napi::Function>();
    std::string backendName = str(spec, "backend", "host");
    Options options = toOptions(spec.Get("options"));
    P2pParams p;
    p.minBytes = static_cast<uint64_t>(num(spec, "minBytes", static_cast<double>(p.minBytes)));
    p.maxBytes = static_cast<uint64_t>(num(spec, "maxBytes", static_cast<double>(std::max(p.maxBytes, p.minBytes))));
    p.factor = num(spec, "factor", p.factor);
    p.iters = static_cast<int>(num(spec, "iters", p.iters));
    p.warmup = static_cast<int>(num(spec, "warmup", p.warmup));
    p.devices = static_cast<int>(num(spec, "devices", 0));
    Napi::Value bidir = spec.Get("bidirectional");
    if (!bidir.IsUndefined()) p.bidirectional = bidir.ToBoolean();
    auto n = [&](double v) { return Napi::Number::New(env, v); };
    P2pOutcome out = runP2pProbe(
        backendFactory(env, spec, backendName, options), p,
        [&](const P2pRow& r) {
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
          js.Set("timing", r.hostClock ? "host-clock" : "device-events");
          if (!r.route.empty()) js.Set("route", r.route);
          onRow.Call({js});
        });
    Napi::Object o = Napi::Object::New(env);
    o.Set("devices", out.devices);
    o.Set("rows", out.rows);
    o.Set("timing", out.hostClock ? "host-clock" : "device-events");
    return o;
  });
}

// A backend kept open across calls, for latency measurement from JavaScript (tinybench
// drives allocFree; the cost of one N-API call is part of what it measures and is
// reported as such).
class BackendHandle : public Napi::ObjectWrap<BackendHandle> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Backend",
                       {InstanceMethod("allocFree", &BackendHandle::AllocFree), InstanceMethod("close", &BackendHandle::Close)});
  }
  explicit BackendHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BackendHandle>(info) {
    guarded(info, [&]() -> Napi::Value {
      backend_ = createBackend(info[0].ToString(), toOptions(info[1]));
      return info.Env().Undefined();
    });
  }

 private:
  Napi::Value AllocFree(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      if (!backend_) throw std::invalid_argument("backend is closed");
      Allocation a = backend_->allocate(info[0].ToNumber().Int32Value(), info[1].ToString(),
                                        static_cast<size_t>(info[2].ToNumber().DoubleValue()));
      try {
        backend_->touch(a, parseTouch(info[3].IsUndefined() ? "none" : info[3].ToString().Utf8Value()));
      } catch (...) {
        backend_->release(a);
        throw;
      }
      backend_->release(a);
      return info.Env().Undefined();
    });
  }
  Napi::Value Close(const Napi::CallbackInfo& info) {
    backend_.reset();
    return info.Env().Undefined();
  }
  BackendPtr backend_;
};

Napi::Value SampleMemory(const Napi::CallbackInfo& info) {
  MemSample m;
  if (!sampleMemory(m)) throw Napi::Error::New(info.Env(), "cannot read /proc/meminfo");
  return memToJs(info.Env(), m);
}

// Ask the kernel to kill this process when its parent dies, so no probe child (a hung
// driver call, say) outlives a runner killed with SIGKILL. Returns false if the parent
// is already gone.
Napi::Value DieWithParent(const Napi::CallbackInfo& info) {
  const pid_t expected = static_cast<pid_t>(info[0].ToNumber().Int32Value());
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) throw Napi::Error::New(info.Env(), "prctl(PR_SET_PDEATHSIG) failed");
  return Napi::Boolean::New(info.Env(), getppid() == expected);
}

Napi::Value PluginDir(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), pluginDir()); }

}  // namespace

// Probes that live in native/probes/<name>/ register their own functions.
namespace xpudiag::workload {
void registerBinding(Napi::Env env, Napi::Object exports);
}

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  xpudiag::workload::registerBinding(env, exports);
  exports.Set("facts", Napi::Function::New(env, Facts_));
  exports.Set("allocProbe", Napi::Function::New(env, AllocProbe));
  exports.Set("allreduceProbe", Napi::Function::New(env, AllReduceProbe));
  exports.Set("p2pProbe", Napi::Function::New(env, P2pProbe));
  exports.Set("sampleMemory", Napi::Function::New(env, SampleMemory));
  exports.Set("pluginDir", Napi::Function::New(env, PluginDir));
  exports.Set("Backend", BackendHandle::Define(env));
  exports.Set("dieWithParent", Napi::Function::New(env, DieWithParent));
  exports.Set("abiVersion", Napi::Number::New(env, 1));
  return exports;
}

}  // namespace

NODE_API_MODULE(xpudiag, Init)
