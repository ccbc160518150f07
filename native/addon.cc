// node-addon-api bindings only: convert arguments, call core/, convert results. Each
// probe's marshalling is in native/probes/<name>/binding.cc (listed in
// native/probes/registry.h); here are the functions that belong to no probe. The typed
// TypeScript view of all of them is src/native/addon.ts.
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <stdexcept>

#include "core/alloc_probe.h"
#include "probes/binding.h"
#include "probes/registry.h"

namespace {

using namespace xpd;
using namespace xpd::js;

// facts(backend, options) -> Facts; throws why the backend is unavailable.
Napi::Value Facts_(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    BackendPtr b = createBackend(info[0].ToString(), toOptions(info[1]));
    return factsToJs(info.Env(), b->facts());
  });
}

// allocVariants(backend, options) -> the allocation variants the backend implements
// (test/native/backend-table.test.ts holds them against src/model/backends.ts).
Napi::Value AllocVariants(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    BackendPtr b = createBackend(info[0].ToString(), toOptions(info[1]));
    const std::vector<std::string> variants = b->allocVariants();
    Napi::Array out = Napi::Array::New(info.Env(), variants.size());
    for (size_t i = 0; i < variants.size(); ++i) out.Set(static_cast<uint32_t>(i), variants[i]);
    return out;
  });
}

// A probe's backend kept open past the probe (keepBackend), for latency measurement from
// JavaScript (tinybench drives allocFree; the cost of one N-API call is part of what it
// measures and is reported as such).
class BackendHandle : public Napi::ObjectWrap<BackendHandle> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Backend", {InstanceMethod("allocFree", &BackendHandle::AllocFree), InstanceMethod("close", &BackendHandle::Close)});
  }
  // new Backend(outcome.backend): taken over, so that close() really closes it.
  explicit BackendHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BackendHandle>(info) {
    guarded(info, [&]() -> Napi::Value {
      backend_ = takeKeptBackend(info[0]);
      return info.Env().Undefined();
    });
  }

 private:
  Napi::Value AllocFree(const Napi::CallbackInfo& info) {
    return guarded(info, [&]() -> Napi::Value {
      if (!backend_) throw std::invalid_argument("backend is closed");
      Allocation a = backend_->allocate(info[0].ToNumber().Int32Value(), info[1].ToString(), static_cast<size_t>(info[2].ToNumber().DoubleValue()));
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
  KeptBackend backend_;
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

Napi::Value BackendsCreated(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), backendsCreated()); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("facts", Napi::Function::New(env, Facts_));
  exports.Set("allocVariants", Napi::Function::New(env, AllocVariants));
  // Each probe's function and its own functions, and its parameters with their defaults by probe name.
  Napi::Object params = Napi::Object::New(env);
#define XPUDIAG_EXPORT(binding)                                                                \
  if (binding.function) exports.Set(binding.function, Napi::Function::New(env, binding.call)); \
  if (binding.functions) binding.functions(env, exports);                                      \
  params.Set(binding.name, binding.params(env));
  XPUDIAG_PROBE_BINDINGS(XPUDIAG_EXPORT)
#undef XPUDIAG_EXPORT
  exports.Set("probeParams", params);
  exports.Set("sampleMemory", Napi::Function::New(env, SampleMemory));
  exports.Set("pluginDir", Napi::Function::New(env, PluginDir));
  exports.Set("backendsCreated", Napi::Function::New(env, BackendsCreated));
  exports.Set("Backend", BackendHandle::Define(env));
  exports.Set("dieWithParent", Napi::Function::New(env, DieWithParent));
  exports.Set("abiVersion", Napi::Number::New(env, 1));
  return exports;
}

}  // namespace

NODE_API_MODULE(xpudiag, Init)
