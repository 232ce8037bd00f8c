// A plugin whose init fails after registering a command (by status, or by
// throwing when TQ_TEST_PLUGIN_THROW is set).
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "taskqueue/plugin.h"

namespace {

taskqueue::Status Init(taskqueue::PluginRegistrar& registrar) {
  TQ_RETURN_IF_ERROR(registrar.Register("tp_half", std::make_shared<taskqueue::ChildProcessor>()));
  if (std::getenv("TQ_TEST_PLUGIN_THROW") != nullptr) {
    throw std::runtime_error("cannot read /etc/tp.conf");
  }
  return taskqueue::Status::Config("missing setting 'endpoint' in /etc/tp.conf");
}

}  // namespace

TASKQUEUE_PLUGIN(Init);
