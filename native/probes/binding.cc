#include "probes/binding.h"

namespace xpd::js {

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

std::string str(const Napi::Object& o, const char* key, const std::string& def) {
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

std::function<BackendPtr()> backendFactory(Napi::Env env, const Napi::Object& spec, KeptBackend* keep) {
  const std::string name = str(spec, "backend", "host");
  const Options options = toOptions(spec.Get("options"));
  Napi::Value onFacts = spec.Get("onFacts");
  return [env, onFacts, name, options, keep]() {
    BackendPtr b = createBackend(name, options);
    if (onFacts.IsFunction()) onFacts.As<Napi::Function>().Call({factsToJs(env, b->facts())});
    if (!keep) return b;
    *keep = KeptBackend(std::move(b));
    return BackendPtr(keep->get(), [](Backend*) {});
  };
}

Napi::Value keptBackendToJs(Napi::Env env, KeptBackend b) {
  return Napi::External<KeptBackend>::New(env, new KeptBackend(std::move(b)), [](Napi::Env, KeptBackend* p) { delete p; });
}

KeptBackend takeKeptBackend(const Napi::Value& v) {
  if (!v.IsExternal()) throw std::invalid_argument("Backend: expected a probe outcome's backend (a probe run with keepBackend: true)");
  KeptBackend* p = v.As<Napi::External<KeptBackend>>().Data();
  if (!p || !*p) throw std::invalid_argument("Backend: this kept backend was already taken over");
  return std::move(*p);  // leaves *p empty: a second take is refused above
}

}  // namespace xpd::js
