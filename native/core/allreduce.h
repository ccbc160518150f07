// The all-reduce algorithms under test, written once over the Backend primitives so
// that host, CUDA and SYCL run the very same sequence of copies, kernels and waits
// (see ../shared/domain/allreduce.md for the shipped SYCL and CUDA code they model).
//
// A call is out of place (in[d] -> out[d]) or in place (in[d] == out[d]); either way
// every device ends with the sum of all devices' inputs in out[d]. A call is wrapped in
// a barrier through device 0: device 0's compute queue records `start` after every
// queue has finished the previous work, every other queue waits for `start`, and at
// the end device 0 waits for every queue and records `end`. So consecutive calls
// never overlap (scratch and outputs are reused safely without a host sync), and
// elapsedMs(start, end) on device 0 is the time of the whole collective.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "xpudiag/backend.h"

namespace xpd {

enum class Algo { DirectF32, Bf16Trunc, Bf16Rne, Auto, Ring, NcclF32, NcclBf16 };

Algo parseAlgo(const std::string& s);  // throws std::invalid_argument
const char* algoName(Algo a);
bool isLibrary(Algo a);
// Element type of in/out buffers: library bf16 works on BF16 tensors, all else FP32.
inline size_t elemBytes(Algo a) { return a == Algo::NcclBf16 ? 2 : 4; }

// How the two-device paths (direct-f32, bf16-*) move data: the copy engines
// (copyPeer, chunked so that the exchange of chunk k+1 overlaps the add of chunk k) or
// kernels that load and store the peer's memory themselves (one launch per device).
// Auto takes peer kernels where the backend offers them, for tensors below
// AllReduceConfig::autoKernelBelowBytes.
enum class Exchange { Auto, CopyEngine, PeerKernel };
Exchange parseExchange(const std::string& s);  // throws std::invalid_argument
const char* exchangeName(Exchange e);

struct AllReduceConfig {
  size_t threshold = 32768;            // auto: direct-f32 below this many elements
  Algo autoVariant = Algo::Bf16Trunc;  // auto: at or above the threshold (the shipped SYCL path)
  // Pipelining: above 2 chunks' worth, the copy-engine paths exchange chunk k+1 on the
  // copy queue while the compute queue adds chunk k. Counted in FP32 bytes.
  size_t chunkBytes = 4u << 20;
  // At most this many chunks: every chunk costs a few enqueue calls on the host. On two
  // H200, 1 GiB in 256 chunks of 4 MiB ran host-bound at 149 GB/s, and 16 chunks were
  // slower than 8 at 1 GiB (direct-f32 348 vs 353 GB/s, bf16-rne 577 vs 612 algbw).
  // Chunks grow past chunkBytes instead.
  size_t maxChunks = 8;
  Exchange exchange = Exchange::Auto;
  // Auto: peer kernels below this many FP32 bytes, the copy engines from here up. On two
  // H200 (NV18) peer kernels won everywhere below 512 MiB (direct-f32 1.26x NCCL at 64
  // MiB against 0.92x copying, 12 us against 22 us at 32767 elements), and the copy
  // engines from 512 MiB (bf16-rne 612 against 534 GB/s algbw at 1 GiB): README.
  uint64_t autoKernelBelowBytes = uint64_t{512} << 20;
};

// What a call of `requested` on `devices` devices and `count` elements does.
struct AllReducePlan {
  Algo requested;
  Algo ran;          // auto resolved; the ring fallback for N > 2
  bool fellBack;     // direct/bf16/auto on N > 2 devices ran the ring
  size_t chunks;     // pipeline depth (1: no overlap)
  bool mayDisagree;  // devices may legitimately end with different bits (bf16-trunc)
  // The bytes each device sends, at most (for a library collective: the nominal
  // 2(N-1)/N of the tensor that ring and tree all-reduce send).
  uint64_t wireBytes;
  // The two-device paths: CopyEngine or PeerKernel (never Auto); the ring copies.
  Exchange exchange;
};

// peerKernels: whether the backend's kernels reach the peer's memory (both ways).
AllReducePlan planAllReduce(Algo a, int devices, size_t count, const AllReduceConfig& cfg, bool peerKernels = false);

// Bytes of scratch per device the algorithm needs for `count` elements on `devices`.
size_t scratchBytesFor(Algo ran, int devices, size_t count);

struct CallEvents {
  Event start = 0;
  Event end = 0;
};

// Owns the per-device scratch (one persistent buffer of at least 4 * count bytes,
// grown when needed and reused across calls, as the shipped code does) and every
// event it records until release(). Not thread-safe; one caller thread.
class AllReduce {
 public:
  AllReduce(Backend& b, int devices, AllReduceConfig cfg);
  ~AllReduce();
  AllReduce(const AllReduce&) = delete;
  AllReduce& operator=(const AllReduce&) = delete;

  // Enqueues one all-reduce; returns its start/end events on device 0 (valid until
  // release()). FP32 buffers except for nccl-bf16 (BF16). Throws Unsupported when the
  // backend has no such library collective.
  CallEvents enqueue(Algo a, const std::vector<void*>& in, const std::vector<void*>& out, size_t count);

  // Waits for every device; backend errors from queued work surface here.
  void synchronize();
  // Destroys the events recorded so far; call after synchronize().
  void release();
  // Grows the scratch now to what `ran` needs for `count` elements (enqueue does it too).
  void reserve(Algo ran, size_t count) { ensureScratch(scratchBytesFor(ran, n_, count)); }
  // Fills the whole scratch of every device with `pattern` (the checks poison it so
  // that a read of scratch the call never wrote shows up as a wrong result).
  void poisonScratch(uint32_t pattern);
  // Tells the barrier that work outside enqueue() (fills, other probes) was queued.
  void markExternalWork() { joined_ = false; }

  const AllReduceConfig& config() const { return cfg_; }
  // Whether kernels on the two devices reach each other's memory (two devices only).
  bool peerKernels() const { return peerKernels_; }
  int devices() const { return n_; }

 private:
  // timed: an event elapsedMs may read (a call's start and end); others are only waited on.
  Event record(int d, int q, bool timed = false);
  void wait(int d, int q, Event e) { b_.waitEvent(d, q, e); }
  void ensureScratch(size_t bytes);
  // copyQueues: whether the call uses the copy queues; a call on the compute queues
  // alone joins only those (fewer enqueue calls: the small sizes are host-bound).
  void barrierBegin(CallEvents& ev, bool copyQueues = true);
  void barrierEnd(CallEvents& ev, bool copyQueues = true);

  void direct(const std::vector<float*>& in, const std::vector<float*>& out, size_t count, size_t chunks);
  void directKernel(const std::vector<float*>& in, const std::vector<float*>& out, size_t count);
  void bf16(bool rne, const std::vector<float*>& in, const std::vector<float*>& out, size_t count, size_t chunks);
  void bf16Kernel(bool rne, const std::vector<float*>& in, const std::vector<float*>& out, size_t count);
  void ring(const std::vector<float*>& in, const std::vector<float*>& out, size_t count);

  Backend& b_;
  int n_;
  AllReduceConfig cfg_;
  std::vector<void*> scratch_;
  size_t scratchBytes_ = 0;
  std::vector<Event> events_;
  bool joined_ = false;  // every queue's work so far is ordered before device 0's last `end`
  bool peerKernels_ = false;
};

}  // namespace xpd
