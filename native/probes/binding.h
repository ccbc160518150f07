// What every probe's N-API binding shares (native/probes/<name>/binding.cc): errors as
// typed JavaScript errors, reading a spec object field by field, facts and memory
// samples as objects, and the case's one backend. The typed TypeScript view of the
// bindings is src/native/addon.ts.
#pragma once

#define NAPI_CPP_EXCEPTIONS
#include <napi.h>

#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "core/meminfo.h"
#include "core/registry.h"

namespace xpd::js {

// Every native failure reaches JavaScript as an Error with a `kind` the runner maps to
// a result: api (a vendor call failed: `call`, `code`, `codeName`), unavailable (the
// backend cannot run here: skip), unsupported, usage, runtime.
Napi::Error toJsError(Napi::Env env, const std::exception& e);

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

Options toOptions(const Napi::Value& v);
std::string str(const Napi::Object& o, const char* key, const std::string& def = "");
double num(const Napi::Object& o, const char* key, double def);
Napi::Object stringMap(Napi::Env env, const std::map<std::string, std::string>& m);
Napi::Object numberMap(Napi::Env env, const std::map<std::string, double>& m);
Napi::Object factsToJs(Napi::Env env, const Facts& f);
Napi::Object memToJs(Napi::Env env, const MemSample& m);

// The probes' backend, the one the spec names (`backend`, default host, with its
// `options`), created once per case: where the spec has an onFacts function it hears the
// backend's facts as soon as the backend exists, so a case needs no second backend (a
// second context, a second zeInit) just to report what it ran on.
// Where `keep` is given the backend outlives the probe's use of it: the probe gets a
// pointer that does not own it and *keep does.
using KeptBackend = std::shared_ptr<Backend>;
std::function<BackendPtr()> backendFactory(Napi::Env env, const Napi::Object& spec, KeptBackend* keep = nullptr);

// A kept backend as a JavaScript value that `new Backend(value)` takes over (once): the
// allocation latency benchmark runs in the probe's own backend, not a second one.
Napi::Value keptBackendToJs(Napi::Env env, KeptBackend b);
KeptBackend takeKeptBackend(const Napi::Value& v);

// How a probe timed what it measured, as reports name it.
inline const char* timingName(bool hostClock) { return hostClock ? "host-clock" : "device-events"; }

// Every probe function's call: probe(spec, onRow, ...) -> outcome. The arguments are
// checked (a usage error, not a crash, when the TypeScript side passes something else),
// native failures become typed errors, and `run` gets the spec, the row callback and the
// case's backend factory. With `keepBackend: true` in the spec the outcome's `backend`
// holds the probe's backend, still open (keptBackendToJs).
template <typename F>
Napi::Value probeCall(const Napi::CallbackInfo& info, const char* name, F&& run) {
  return guarded(info, [&]() -> Napi::Value {
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction())
      throw std::invalid_argument(std::string(name) + ": expected (spec object, callback function)");
    Napi::Env env = info.Env();
    const Napi::Object spec = info[0].As<Napi::Object>();
    KeptBackend kept;
    const bool keep = spec.Get("keepBackend").ToBoolean();
    Napi::Value out = run(env, spec, info[1].As<Napi::Function>(), backendFactory(env, spec, keep ? &kept : nullptr));
    if (kept && out.IsObject()) out.As<Napi::Object>().Set("backend", keptBackendToJs(env, std::move(kept)));
    return out;
  });
}

// A spec field into a parameter, left at its default when the spec does not set it.
template <typename T>
void readField(const Napi::Object& spec, const char* key, T& field) {
  Napi::Value v = spec.Get(key);
  if (v.IsUndefined()) return;
  if constexpr (std::is_same_v<T, std::string>) {
    field = v.ToString().Utf8Value();
  } else if constexpr (std::is_same_v<T, bool>) {
    field = v.ToBoolean();
  } else {
    static_assert(std::is_arithmetic_v<T>, "readField: a number, a bool or a string");
    field = static_cast<T>(v.ToNumber().DoubleValue());
  }
}

// A parameter's default as JavaScript (the parameter lists the TypeScript side checks).
template <typename T>
Napi::Value defaultToJs(Napi::Env env, const T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    return Napi::String::New(env, v);
  } else if constexpr (std::is_same_v<T, bool>) {
    return Napi::Boolean::New(env, v);
  } else {
    return Napi::Number::New(env, static_cast<double>(v));
  }
}

// The two expansions of a probe's X-macro table of (key, member) pairs: read `key` of
// the `spec` in scope into `p.member`; set `key` of the object `o` to the default `d.member`.
#define XPUDIAG_JS_READ(key, member) ::xpd::js::readField(spec, #key, p.member);
#define XPUDIAG_JS_DEFAULT(key, member) o.Set(#key, ::xpd::js::defaultToJs(env, d.member));

// What one probe's binding adds to the addon: its function, and its parameters with
// their defaults under exports.probeParams[name] (null: no default, set by the caller);
// and any functions of its own beside them. A probe whose run is TypeScript (workload)
// has no probe function (`function` and `call` null) and declares no parameters.
struct ProbeBinding {
  const char* name;      // the probe's name in suites ("alloc")
  const char* function;  // the addon's function ("allocProbe"), or nullptr
  Napi::Value (*call)(const Napi::CallbackInfo&);
  Napi::Object (*params)(Napi::Env);
  void (*functions)(Napi::Env, Napi::Object exports) = nullptr;  // adds its own functions to exports
};

}  // namespace xpd::js
