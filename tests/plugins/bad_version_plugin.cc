// A plugin that, like one built against another header version, refuses the
// host's API version. Hand-written to show what TASKQUEUE_PLUGIN generates.
#include "taskqueue/plugin.h"

extern "C" __attribute__((visibility("default"))) int taskqueue_plugin_init(
    taskqueue::PluginRegistrar* registrar, uint32_t host_api_version) {
  (void)registrar;
  constexpr uint32_t kBuiltFor = TASKQUEUE_PLUGIN_API_VERSION + 41;
  if (host_api_version != kBuiltFor) return TASKQUEUE_PLUGIN_ERR_API_VERSION;
  return TASKQUEUE_PLUGIN_OK;
}
