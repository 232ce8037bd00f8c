// events [--follow] [--since ID]: the durable event log, as lines for people
// or JSON Lines for programs. A follower remembers the last id it printed,
// so it neither misses nor repeats an event.

#include <stdio.h>
#include <time.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "output.h"
#include "verb_util.h"
#include "verbs.h"

namespace taskqueue::cli {
namespace {

constexpr int64_t kBatch = 1000;
constexpr long kFollowPollNanos = 100 * 1000 * 1000;  // new events show within 0.1 s

nlohmann::json EventToJson(const Event& e) {
  auto data = nlohmann::json::parse(e.data_json, nullptr, false);
  return {{"id", e.id},
          {"type", e.type},
          {"task_id", e.task_id > 0 ? nlohmann::json(e.task_id) : nlohmann::json(nullptr)},
          {"time", MillisToSeconds(e.time)},
          {"data", data.is_discarded() ? nlohmann::json::object() : data}};
}

void PrintEventLine(const Event& e) {
  char head[128];
  snprintf(head, sizeof head, "%-8lld %s  %-14s %-8s", static_cast<long long>(e.id),
           FormatLocalTime(e.time).c_str(), e.type.c_str(),
           e.task_id > 0 ? std::to_string(e.task_id).c_str() : "-");
  std::cout << head;
  if (!e.data_json.empty() && e.data_json != "{}") std::cout << " " << e.data_json;
  std::cout << "\n";
}

}  // namespace

int RunEvents(Context& ctx) {
  if (!ctx.args().empty()) {
    return ctx.Usage("events takes no words; use 'events [--follow] [--since ID]'");
  }
  int64_t since = 0;
  if (ctx.inv().since) {
    auto n = ParseCount(*ctx.inv().since);
    if (!n) {
      return ctx.Usage("Invalid --since '" + *ctx.inv().since +
                       "': use an event id (a non-negative integer)");
    }
    since = *n;
  }
  auto queue = ctx.OpenQueue(false);
  if (!queue.ok()) return ctx.Fail(queue.status());
  if (!ctx.json() && !ctx.inv().follow) {
    // A header only for a finite listing: a follower's output is a stream.
    std::cout << Paint("ID       TIME                 TYPE           TASK     DATA", Color::kDim)
              << "\n";
  }
  for (;;) {
    auto events = (*queue)->Events(since, kBatch);
    if (!events.ok()) return ctx.Fail(events.status());
    for (const auto& e : *events) {
      if (ctx.json()) {
        PrintJson(EventToJson(e), /*line=*/true);
      } else {
        PrintEventLine(e);
      }
      since = e.id;
    }
    if (static_cast<int64_t>(events->size()) == kBatch) continue;
    if (!ctx.inv().follow) break;
    std::cout.flush();
    if (!std::cout) return kExitFailure;  // the reader went away
    struct timespec ts = {0, kFollowPollNanos};
    nanosleep(&ts, nullptr);
  }
  return kExitOk;
}

}  // namespace taskqueue::cli
