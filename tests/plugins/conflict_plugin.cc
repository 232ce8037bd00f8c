// A plugin registering a fresh command and one already taken (noop): the
// whole file must fail and register nothing.
#include <memory>

#include "taskqueue/plugin.h"

namespace {

taskqueue::Status Init(taskqueue::PluginRegistrar& registrar) {
  TQ_RETURN_IF_ERROR(
      registrar.Register("tp_conflict_fresh", std::make_shared<taskqueue::ChildProcessor>()));
  // Ignoring the error on purpose: the loader must still refuse the file.
  (void)registrar.Register("noop", std::make_shared<taskqueue::Processor>());
  return taskqueue::Status::OK();
}

}  // namespace

TASKQUEUE_PLUGIN(Init);
