// QueueFixture: the base of the ported cPanel queue tests: a temporary state
// dir, a registry of its own (only `noop` until a test registers more) and
// helpers to open the queue in it.
//
// Thread-safety: used from the test's thread only.
#ifndef TASKQUEUE_TESTS_FAKES_QUEUE_FIXTURE_H_
#define TASKQUEUE_TESTS_FAKES_QUEUE_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <utility>

#include "fakes/test_util.h"
#include "taskqueue/processor.h"
#include "taskqueue/queue.h"

namespace taskqueue::testing {

class QueueFixture : public ::testing::Test {
 protected:
  // The queue "tasks" in <temp>/state, with this fixture's registry.
  QueueOptions Options() const {
    QueueOptions o;
    o.state_dir = dir_.path() / "state";
    o.registry = registry_;
    return o;
  }
  // Opens the queue; on failure records it and returns null.
  std::unique_ptr<Queue> Open(const QueueOptions& o) {
    auto q = Queue::Open(o);
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    return q.ok() ? std::move(q).value() : nullptr;
  }
  std::unique_ptr<Queue> Open() { return Open(Options()); }
  static int64_t Waiting(const Queue& q) {
    auto c = q.Counts();
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? c->waiting : -1;
  }

  TempDir dir_;
  std::shared_ptr<ProcessorRegistry> registry_ = std::make_shared<ProcessorRegistry>();
};

}  // namespace taskqueue::testing

#endif  // TASKQUEUE_TESTS_FAKES_QUEUE_FIXTURE_H_
