// Compiled (never run) wherever the official Level Zero headers are installed: every
// declaration of backends/ze_abi.h must match them in size, layout and value.
#include <level_zero/loader/ze_loader.h>
#include <level_zero/ze_api.h>

#include <cstddef>

#include "backends/ze_abi.h"

namespace z = xpd::ze;

#define SAME_SIZE(ours, theirs) static_assert(sizeof(z::ours) == sizeof(::theirs), #ours " size differs from " #theirs)
#define SAME_FIELD(ours, theirs, field) static_assert(offsetof(z::ours, field) == offsetof(::theirs, field), #ours "." #field " offset differs")
#define SAME_VALUE(name) static_assert(static_cast<long long>(z::name) == static_cast<long long>(::name), #name " differs")

SAME_SIZE(ze_result_t, ze_result_t);
SAME_SIZE(ze_bool_t, ze_bool_t);
SAME_VALUE(ZE_RESULT_SUCCESS);
SAME_VALUE(ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY);
SAME_VALUE(ZE_RESULT_ERROR_UNINITIALIZED);
SAME_VALUE(ZE_RESULT_ERROR_UNSUPPORTED_FEATURE);
SAME_VALUE(ZE_STRUCTURE_TYPE_DRIVER_PROPERTIES);
SAME_VALUE(ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES);
SAME_VALUE(ZE_STRUCTURE_TYPE_COMMAND_QUEUE_GROUP_PROPERTIES);
SAME_VALUE(ZE_STRUCTURE_TYPE_DEVICE_MEMORY_PROPERTIES);
SAME_VALUE(ZE_STRUCTURE_TYPE_CONTEXT_DESC);
SAME_VALUE(ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC);
SAME_VALUE(ZE_STRUCTURE_TYPE_EVENT_POOL_DESC);
SAME_VALUE(ZE_STRUCTURE_TYPE_EVENT_DESC);
SAME_VALUE(ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC);
SAME_VALUE(ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC);
SAME_VALUE(ZE_STRUCTURE_TYPE_MEMORY_ALLOCATION_PROPERTIES);
SAME_VALUE(ZE_STRUCTURE_TYPE_RELAXED_ALLOCATION_LIMITS_EXP_DESC);
SAME_VALUE(ZE_INIT_FLAG_GPU_ONLY);
SAME_VALUE(ZE_STRUCTURE_TYPE_PCI_EXT_PROPERTIES);
SAME_VALUE(ZE_RELAXED_ALLOCATION_LIMITS_EXP_FLAG_MAX_SIZE);
SAME_VALUE(ZEL_HANDLE_DRIVER);
SAME_VALUE(ZE_RESULT_ERROR_INVALID_ARGUMENT);
SAME_VALUE(ZE_RESULT_ERROR_INSUFFICIENT_PERMISSIONS);
SAME_VALUE(ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COMPUTE);
SAME_VALUE(ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COPY);
SAME_VALUE(ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS);
SAME_VALUE(ZE_EVENT_POOL_FLAG_HOST_VISIBLE);
SAME_VALUE(ZE_EVENT_SCOPE_FLAG_HOST);
SAME_VALUE(ZE_DEVICE_TYPE_GPU);
SAME_VALUE(ZE_DEVICE_PROPERTY_FLAG_INTEGRATED);
SAME_VALUE(ZE_DEVICE_PROPERTY_FLAG_SUBDEVICE);
static_assert(z::kMaxDeviceName == ZE_MAX_DEVICE_NAME, "ZE_MAX_DEVICE_NAME differs");
static_assert(z::kComponentStringSize == ZEL_COMPONENT_STRING_SIZE, "ZEL_COMPONENT_STRING_SIZE differs");

SAME_SIZE(ze_driver_properties_t, ze_driver_properties_t);
SAME_FIELD(ze_driver_properties_t, ze_driver_properties_t, driverVersion);
SAME_SIZE(ze_device_properties_t, ze_device_properties_t);
SAME_FIELD(ze_device_properties_t, ze_device_properties_t, vendorId);
SAME_FIELD(ze_device_properties_t, ze_device_properties_t, deviceId);
SAME_FIELD(ze_device_properties_t, ze_device_properties_t, maxMemAllocSize);
SAME_FIELD(ze_device_properties_t, ze_device_properties_t, flags);
SAME_FIELD(ze_device_properties_t, ze_device_properties_t, subdeviceId);
SAME_FIELD(ze_device_properties_t, ze_device_properties_t, uuid);
SAME_FIELD(ze_device_properties_t, ze_device_properties_t, name);
SAME_SIZE(ze_device_memory_properties_t, ze_device_memory_properties_t);
SAME_FIELD(ze_device_memory_properties_t, ze_device_memory_properties_t, totalSize);
SAME_SIZE(ze_command_queue_group_properties_t, ze_command_queue_group_properties_t);
SAME_FIELD(ze_command_queue_group_properties_t, ze_command_queue_group_properties_t, numQueues);
SAME_SIZE(ze_context_desc_t, ze_context_desc_t);
SAME_SIZE(ze_command_queue_desc_t, ze_command_queue_desc_t);
SAME_FIELD(ze_command_queue_desc_t, ze_command_queue_desc_t, mode);
SAME_FIELD(ze_command_queue_desc_t, ze_command_queue_desc_t, priority);
SAME_SIZE(ze_device_mem_alloc_desc_t, ze_device_mem_alloc_desc_t);
SAME_FIELD(ze_device_mem_alloc_desc_t, ze_device_mem_alloc_desc_t, ordinal);
SAME_SIZE(ze_host_mem_alloc_desc_t, ze_host_mem_alloc_desc_t);
SAME_SIZE(ze_relaxed_allocation_limits_exp_desc_t, ze_relaxed_allocation_limits_exp_desc_t);
SAME_FIELD(ze_relaxed_allocation_limits_exp_desc_t, ze_relaxed_allocation_limits_exp_desc_t, flags);
SAME_SIZE(ze_pci_ext_properties_t, ze_pci_ext_properties_t);
SAME_FIELD(ze_pci_ext_properties_t, ze_pci_ext_properties_t, address);
SAME_FIELD(ze_pci_ext_properties_t, ze_pci_ext_properties_t, maxSpeed);
SAME_SIZE(ze_memory_allocation_properties_t, ze_memory_allocation_properties_t);
SAME_FIELD(ze_memory_allocation_properties_t, ze_memory_allocation_properties_t, pageSize);
SAME_SIZE(ze_event_pool_desc_t, ze_event_pool_desc_t);
SAME_FIELD(ze_event_pool_desc_t, ze_event_pool_desc_t, count);
SAME_SIZE(ze_event_desc_t, ze_event_desc_t);
SAME_FIELD(ze_event_desc_t, ze_event_desc_t, wait);
SAME_SIZE(zel_component_version_t, zel_component_version_t);
SAME_FIELD(zel_component_version_t, zel_component_version_t, component_lib_version);

// Enumerations are passed by value as 32-bit integers in our declarations.
static_assert(sizeof(::ze_init_flags_t) == sizeof(uint32_t), "ze_init_flags_t size");
static_assert(sizeof(::ze_api_version_t) == sizeof(z::ze_api_version_t), "ze_api_version_t size");
static_assert(sizeof(::ze_structure_type_t) == sizeof(z::ze_structure_type_t), "ze_structure_type_t size");
static_assert(sizeof(::ze_memory_type_t) == sizeof(uint32_t), "ze_memory_type_t size");
