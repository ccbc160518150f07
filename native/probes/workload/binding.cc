// N-API face of the workload probe's device-memory instruments: deviceMemoryOpen(kind)
// and deviceMemoryRead(kind), kind "sysman" or "nvml" (see src/probes/workload/). The
// probe's run is TypeScript (the child runs the user's program), so its binding has no
// probe function and no parameters: only these functions (native/probes/registry.h).
#include "probes/binding.h"

#include "device_memory.h"

namespace xpudiag::workload {
namespace {

Opened open(const std::string& kind) { return kind == "nvml" ? openNvml() : openSysman(); }

Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string kind = info[0].ToString().Utf8Value();
  if (kind != "sysman" && kind != "nvml") throw Napi::TypeError::New(env, "deviceMemoryOpen: kind must be sysman or nvml");
  const Opened o = open(kind);
  Napi::Object out = Napi::Object::New(env);
  out.Set("ok", o.ok);
  if (!o.ok) out.Set("reason", o.reason);
  Napi::Array names = Napi::Array::New(env, o.names.size());
  for (size_t i = 0; i < o.names.size(); ++i) names.Set(static_cast<uint32_t>(i), o.names[i]);
  out.Set("devices", names);
  if (!o.driver.empty()) out.Set("driver", o.driver);
  return out;
}

Napi::Value Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string kind = info[0].ToString().Utf8Value();
  std::vector<uint64_t> used;
  std::string error;
  if (!open(kind).ok) throw Napi::Error::New(env, "deviceMemoryRead: " + kind + " is not open");
  if (!(kind == "nvml" ? readNvml(used, error) : readSysman(used, error))) throw Napi::Error::New(env, error);
  Napi::Array out = Napi::Array::New(env, used.size());
  for (size_t i = 0; i < used.size(); ++i) out.Set(static_cast<uint32_t>(i), static_cast<double>(used[i]));
  return out;
}

// Device bytes the given processes hold per device (Sysman), or null where the driver does not say.
Napi::Value ReadProcesses(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!openSysman().ok) throw Napi::Error::New(env, "deviceMemoryReadProcesses: sysman is not open");
  const Napi::Array arr = info[0].As<Napi::Array>();
  std::vector<int64_t> pids;
  for (uint32_t i = 0; i < arr.Length(); ++i) pids.push_back(arr.Get(i).ToNumber().Int64Value());
  std::vector<uint64_t> used;
  bool supported = false;
  std::string error;
  if (!readSysmanProcesses(pids, used, supported, error)) throw Napi::Error::New(env, error);
  if (!supported) return env.Null();
  Napi::Array out = Napi::Array::New(env, used.size());
  for (size_t i = 0; i < used.size(); ++i) out.Set(static_cast<uint32_t>(i), static_cast<double>(used[i]));
  return out;
}

}  // namespace

void functions(Napi::Env env, Napi::Object exports) {
  exports.Set("deviceMemoryReadProcesses", Napi::Function::New(env, ReadProcesses));
  exports.Set("deviceMemoryOpen", Napi::Function::New(env, Open));
  exports.Set("deviceMemoryRead", Napi::Function::New(env, Read));
}

Napi::Object params(Napi::Env env) { return Napi::Object::New(env); }

}  // namespace xpudiag::workload

namespace xpd::js {
extern const ProbeBinding kWorkloadBinding{"workload", nullptr, nullptr, xpudiag::workload::params, xpudiag::workload::functions};
}  // namespace xpd::js
