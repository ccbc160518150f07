// NCCL opened at run time with dlopen, never linked: the plugin must load on machines
// without NCCL, and users pick the NCCL they want to compare against.
#pragma once

#include <cstddef>
#include <string>

#include <cuda_runtime_api.h>

namespace xpd {
namespace cuda {

// The few declarations of nccl.h (NCCL 2.x ABI) this backend uses. Enum values checked
// against NVIDIA/nccl src/nccl.h.in: ncclSuccess = 0, ncclFloat32 = 7, ncclBfloat16 = 9,
// ncclSum = 0. C enums are passed as int.
using NcclComm = void*;
constexpr int kNcclSuccess = 0;
constexpr int kNcclFloat32 = 7;
constexpr int kNcclBfloat16 = 9;
constexpr int kNcclSum = 0;

struct NcclApi {
  int (*getVersion)(int* version) = nullptr;
  int (*commInitAll)(NcclComm* comms, int ndev, const int* devlist) = nullptr;
  int (*commDestroy)(NcclComm comm) = nullptr;
  int (*allReduce)(const void* send, void* recv, size_t count, int datatype, int op, NcclComm comm, cudaStream_t stream) = nullptr;
  int (*groupStart)() = nullptr;
  int (*groupEnd)() = nullptr;
  const char* (*getErrorString)(int result) = nullptr;
};

class NcclLoader {
 public:
  // Tries once; later calls return the first answer. Search order:
  // $XPUDIAG_NCCL_LIBRARY (alone: a path the user named is never silently replaced),
  // then libnccl.so.2 from the dynamic linker's paths, then the `nvidia-nccl` Python
  // package in the usual site-packages folders, then (last, as it runs a process)
  // asking python3 where `nvidia.nccl` lives.
  bool load();
  bool loaded() const { return handle_ != nullptr; }
  const NcclApi& api() const { return api_; }
  const std::string& path() const { return path_; }      // the file actually loaded
  const std::string& source() const { return source_; }  // how it was found
  const std::string& error() const { return error_; }    // why it is not loaded
  std::string version() const;                           // "2.28.9", empty if unknown
  // "ncclInvalidArgument" for a result code.
  static std::string resultName(int code);

 private:
  bool tryOpen(const std::string& file, const std::string& source, std::string& why);

  bool tried_ = false;
  void* handle_ = nullptr;  // never dlclose()d: NCCL may leave threads and atexit hooks behind
  NcclApi api_;
  std::string path_, source_, error_;
};

}  // namespace cuda
}  // namespace xpd
