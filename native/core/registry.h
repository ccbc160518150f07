// Finds and creates backends by name: host and ze are built into the addon; every other
// one (cuda, sycl) is a plugin (libxpudiag_<name>.so next to the addon) opened at run time.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "xpudiag/backend.h"

namespace xpd {

using BackendPtr = std::unique_ptr<Backend, std::function<void(Backend*)>>;

// Throws std::runtime_error saying why the backend is unavailable and how to fix it.
BackendPtr createBackend(const std::string& name, const Options& options);

// How many backends this process has created: a case promises one (a second backend is a
// second context and zeInit on a real driver), and tests hold it to that.
int backendsCreated();

// Folder the plugins are looked up in (the addon's own folder unless overridden by
// XPUDIAG_PLUGIN_DIR).
std::string pluginDir();

}  // namespace xpd
