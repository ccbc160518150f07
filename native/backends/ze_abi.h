// The subset of the Level Zero C ABI (spec 1.x, as in loader 1.8) that the ze backend
// uses, declared here so the backend builds without the headers package and loads
// without the loader (it is dlopen()ed). test: native/test/ze_abi_check.cc compares
// every declaration with the official headers whenever libze-dev is installed.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xpd::ze {

using ze_result_t = uint32_t;
using ze_bool_t = uint8_t;
using ze_api_version_t = uint32_t;
using ze_structure_type_t = uint32_t;

using ze_driver_handle_t = struct _ze_driver_handle_t*;
using ze_device_handle_t = struct _ze_device_handle_t*;
using ze_context_handle_t = struct _ze_context_handle_t*;
using ze_command_list_handle_t = struct _ze_command_list_handle_t*;
using ze_event_pool_handle_t = struct _ze_event_pool_handle_t*;
using ze_event_handle_t = struct _ze_event_handle_t*;

constexpr ze_result_t ZE_RESULT_SUCCESS = 0;
constexpr ze_result_t ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY = 0x70000003;
constexpr ze_result_t ZE_RESULT_ERROR_UNINITIALIZED = 0x78000001;
constexpr ze_result_t ZE_RESULT_ERROR_UNSUPPORTED_FEATURE = 0x78000003;
constexpr ze_result_t ZE_RESULT_ERROR_INVALID_ARGUMENT = 0x78000004;
constexpr ze_result_t ZE_RESULT_ERROR_INSUFFICIENT_PERMISSIONS = 0x70010000;

constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_DRIVER_PROPERTIES = 0x1;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES = 0x3;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_COMMAND_QUEUE_GROUP_PROPERTIES = 0x6;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_DEVICE_MEMORY_PROPERTIES = 0x7;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_CONTEXT_DESC = 0xd;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC = 0xe;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_EVENT_POOL_DESC = 0x10;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_EVENT_DESC = 0x11;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC = 0x15;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC = 0x16;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_MEMORY_ALLOCATION_PROPERTIES = 0x17;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_RELAXED_ALLOCATION_LIMITS_EXP_DESC = 0x00020001;
constexpr ze_structure_type_t ZE_STRUCTURE_TYPE_PCI_EXT_PROPERTIES = 0x10008;

constexpr uint32_t ZE_INIT_FLAG_GPU_ONLY = 1u << 0;
constexpr uint32_t ZE_RELAXED_ALLOCATION_LIMITS_EXP_FLAG_MAX_SIZE = 1u << 0;
constexpr uint32_t ZEL_HANDLE_DRIVER = 0;

constexpr uint32_t ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COMPUTE = 1u << 0;
constexpr uint32_t ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COPY = 1u << 1;
constexpr uint32_t ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS = 1;
constexpr uint32_t ZE_EVENT_POOL_FLAG_HOST_VISIBLE = 1u << 0;
constexpr uint32_t ZE_EVENT_SCOPE_FLAG_HOST = 1u << 2;
constexpr uint32_t ZE_DEVICE_TYPE_GPU = 1;
constexpr uint32_t ZE_DEVICE_PROPERTY_FLAG_INTEGRATED = 1u << 0;
constexpr uint32_t ZE_DEVICE_PROPERTY_FLAG_SUBDEVICE = 1u << 1;

constexpr size_t kMaxDeviceName = 256;
constexpr size_t kMaxDriverUuidSize = 16;
constexpr size_t kMaxDeviceUuidSize = 16;
constexpr size_t kComponentStringSize = 64;

struct ze_driver_properties_t {
  ze_structure_type_t stype;
  void* pNext;
  struct {
    uint8_t id[kMaxDriverUuidSize];
  } uuid;
  uint32_t driverVersion;
};

struct ze_device_properties_t {
  ze_structure_type_t stype;
  void* pNext;
  uint32_t type;
  uint32_t vendorId;
  uint32_t deviceId;
  uint32_t flags;
  uint32_t subdeviceId;
  uint32_t coreClockRate;
  uint64_t maxMemAllocSize;
  uint32_t maxHardwareContexts;
  uint32_t maxCommandQueuePriority;
  uint32_t numThreadsPerEU;
  uint32_t physicalEUSimdWidth;
  uint32_t numEUsPerSubslice;
  uint32_t numSubslicesPerSlice;
  uint32_t numSlices;
  uint64_t timerResolution;
  uint32_t timestampValidBits;
  uint32_t kernelTimestampValidBits;
  struct {
    uint8_t id[kMaxDeviceUuidSize];
  } uuid;
  char name[kMaxDeviceName];
};

struct ze_device_memory_properties_t {
  ze_structure_type_t stype;
  void* pNext;
  uint32_t flags;
  uint32_t maxClockRate;
  uint32_t maxBusWidth;
  uint64_t totalSize;
  char name[kMaxDeviceName];
};

struct ze_command_queue_group_properties_t {
  ze_structure_type_t stype;
  void* pNext;
  uint32_t flags;
  size_t maxMemoryFillPatternSize;
  uint32_t numQueues;
};

struct ze_context_desc_t {
  ze_structure_type_t stype;
  const void* pNext;
  uint32_t flags;
};

struct ze_command_queue_desc_t {
  ze_structure_type_t stype;
  const void* pNext;
  uint32_t ordinal;
  uint32_t index;
  uint32_t flags;
  uint32_t mode;
  uint32_t priority;
};

struct ze_device_mem_alloc_desc_t {
  ze_structure_type_t stype;
  const void* pNext;
  uint32_t flags;
  uint32_t ordinal;
};

struct ze_host_mem_alloc_desc_t {
  ze_structure_type_t stype;
  const void* pNext;
  uint32_t flags;
};

// Chained into the allocation descriptors for sizes above maxMemAllocSize, which Intel's
// driver otherwise refuses (extension ZE_experimental_relaxed_allocation_limits).
struct ze_relaxed_allocation_limits_exp_desc_t {
  ze_structure_type_t stype;
  const void* pNext;
  uint32_t flags;
};

// zeDevicePciGetPropertiesExt: the device's PCI address, for the kernel driver in sysfs.
struct ze_pci_ext_properties_t {
  ze_structure_type_t stype;
  void* pNext;
  struct {
    uint32_t domain, bus, device, function;
  } address;
  struct {
    int32_t genVersion, width;
    int64_t maxBandwidth;
  } maxSpeed;
};

struct ze_memory_allocation_properties_t {
  ze_structure_type_t stype;
  void* pNext;
  uint32_t type;
  uint64_t id;
  uint64_t pageSize;
};

struct ze_event_pool_desc_t {
  ze_structure_type_t stype;
  const void* pNext;
  uint32_t flags;
  uint32_t count;
};

struct ze_event_desc_t {
  ze_structure_type_t stype;
  const void* pNext;
  uint32_t index;
  uint32_t signal;
  uint32_t wait;
};

struct zel_version_t {
  int major;
  int minor;
  int patch;
};

struct zel_component_version_t {
  char component_name[kComponentStringSize];
  ze_api_version_t spec_version;
  zel_version_t component_lib_version;
};

// Function pointer types, named after the API functions.
using zeInit_t = ze_result_t (*)(uint32_t flags);
using zeDriverGet_t = ze_result_t (*)(uint32_t* count, ze_driver_handle_t* drivers);
using zeDriverGetProperties_t = ze_result_t (*)(ze_driver_handle_t, ze_driver_properties_t*);
using zeDriverGetApiVersion_t = ze_result_t (*)(ze_driver_handle_t, ze_api_version_t*);
using zeDriverGetExtensionFunctionAddress_t = ze_result_t (*)(ze_driver_handle_t, const char* name, void** fn);
using zeDeviceGet_t = ze_result_t (*)(ze_driver_handle_t, uint32_t* count, ze_device_handle_t* devices);
using zeDeviceGetProperties_t = ze_result_t (*)(ze_device_handle_t, ze_device_properties_t*);
using zeDeviceGetMemoryProperties_t = ze_result_t (*)(ze_device_handle_t, uint32_t* count, ze_device_memory_properties_t*);
using zeDeviceGetCommandQueueGroupProperties_t = ze_result_t (*)(ze_device_handle_t, uint32_t* count, ze_command_queue_group_properties_t*);
using zeDevicePciGetPropertiesExt_t = ze_result_t (*)(ze_device_handle_t, ze_pci_ext_properties_t*);
using zeDeviceCanAccessPeer_t = ze_result_t (*)(ze_device_handle_t, ze_device_handle_t peer, ze_bool_t* value);
using zeContextCreateEx_t = ze_result_t (*)(ze_driver_handle_t, const ze_context_desc_t*, uint32_t numDevices, ze_device_handle_t* devices,
                                            ze_context_handle_t*);
using zeContextDestroy_t = ze_result_t (*)(ze_context_handle_t);
using zeContextMakeMemoryResident_t = ze_result_t (*)(ze_context_handle_t, ze_device_handle_t, void* ptr, size_t size);
using zeMemAllocDevice_t = ze_result_t (*)(ze_context_handle_t, const ze_device_mem_alloc_desc_t*, size_t size, size_t alignment, ze_device_handle_t,
                                           void** ptr);
using zeMemAllocShared_t = ze_result_t (*)(ze_context_handle_t, const ze_device_mem_alloc_desc_t*, const ze_host_mem_alloc_desc_t*, size_t size,
                                           size_t alignment, ze_device_handle_t, void** ptr);
using zeMemAllocHost_t = ze_result_t (*)(ze_context_handle_t, const ze_host_mem_alloc_desc_t*, size_t size, size_t alignment, void** ptr);
using zeMemFree_t = ze_result_t (*)(ze_context_handle_t, void* ptr);
using zeCommandListCreateImmediate_t = ze_result_t (*)(ze_context_handle_t, ze_device_handle_t, const ze_command_queue_desc_t*, ze_command_list_handle_t*);
using zeCommandListDestroy_t = ze_result_t (*)(ze_command_list_handle_t);
using zeCommandListAppendMemoryFill_t = ze_result_t (*)(ze_command_list_handle_t, void* ptr, const void* pattern, size_t patternSize, size_t size,
                                                        ze_event_handle_t signal, uint32_t numWait, ze_event_handle_t* wait);
using zeCommandListAppendMemoryCopy_t = ze_result_t (*)(ze_command_list_handle_t, void* dst, const void* src, size_t size, ze_event_handle_t signal,
                                                        uint32_t numWait, ze_event_handle_t* wait);
using zeEventPoolCreate_t = ze_result_t (*)(ze_context_handle_t, const ze_event_pool_desc_t*, uint32_t numDevices, ze_device_handle_t* devices,
                                            ze_event_pool_handle_t*);
using zeEventPoolDestroy_t = ze_result_t (*)(ze_event_pool_handle_t);
using zeEventCreate_t = ze_result_t (*)(ze_event_pool_handle_t, const ze_event_desc_t*, ze_event_handle_t*);
using zeEventDestroy_t = ze_result_t (*)(ze_event_handle_t);
using zeEventHostSynchronize_t = ze_result_t (*)(ze_event_handle_t, uint64_t timeoutNs);
using zeEventHostReset_t = ze_result_t (*)(ze_event_handle_t);
using zelLoaderGetVersions_t = ze_result_t (*)(size_t* count, zel_component_version_t* versions);
// Loader extension: the driver's own handle behind a loader handle, for extension functions.
using zelLoaderTranslateHandle_t = ze_result_t (*)(uint32_t handleType, void* handleIn, void** handleOut);
// Intel extension: the full driver version string ("1.6.33578+15").
using zeIntelGetDriverVersionString_t = ze_result_t (*)(ze_driver_handle_t, char* str, size_t* size);

// A name for a result code, for error messages ("ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY").
const char* resultName(ze_result_t r);

}  // namespace xpd::ze
