// History benchmark: Kue-style inspection of finished tasks at 1,000 and
// 1,000,000 of them. For each size it measures, through the public Queue
// API: a page of 50 by state (the first page, and a cursor page 90% deep
// with after_id), a page of 50 by command+state (first and 90% deep), the
// same deep page by offset (for comparison: offsets are not index-backed),
// counts per state and per command+state, Counts(), and full-text search
// (a word matching one task, one matching ~0.1%, one matching ~25% with a
// limit of 50, and two words ANDed with a state filter). It prints the
// median of repeated calls, the sizes measured interleaved call by call,
// and for each query the ratio of the last size given to the first.
//
// Setup: writing 1,000,000 finished tasks through the engine (enqueue,
// claim, finish) would take hours, so the history is written directly with
// the internal state::Store (state/store.h: QueueTxn::Insert, IndexText and
// AddLog in transactions of 20,000 rows, durability normal), the same rows
// and search text the engine writes for a finished task. Only the setup
// uses it; every measured call goes through taskqueue::Queue.
//
// Usage: history_bench [--sizes 1000,1000000] [--dir DIR] [--keep]
// Figures and the command that produced them: docs/benchmarks.md, "history".

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "engine.h"  // Engine::SearchText and DupeKey: the engine's own search text
#include "state/store.h"
#include "taskqueue/queue.h"

using namespace taskqueue;
using Steady = std::chrono::steady_clock;

namespace {

const char* const kCommands[] = {"email", "resize", "backup", "report"};
constexpr int64_t kPage = 50;
constexpr int64_t kBatch = 20'000;

double Seconds(Steady::duration d) { return std::chrono::duration<double>(d).count(); }

// Fills an empty queue named "tasks" in `dir` with `n` finished tasks: ids
// 1..n, commands round-robin, every 5th one failed with an error text, every
// 10th one with a log line; task i has the unique word "user<i>" and the
// word "batch<i % 1000>" (so each of those matches 0.1% of the tasks).
bool Fill(const std::filesystem::path& dir, int64_t n) {
  state::StoreOptions so;
  so.state_dir = dir;
  so.durability = Durability::kNormal;
  auto store = state::Store::OpenSqlite(so);
  if (!store.ok()) {
    std::fprintf(stderr, "open store: %s\n", store.status().ToString().c_str());
    return false;
  }
  const int64_t t0 = 1'700'000'000'000;
  for (int64_t done = 0; done < n;) {
    const int64_t upto = std::min(n, done + kBatch);
    Status st = (*store)->WithQueue(true, [&](state::QueueTxn& txn) {
      for (int64_t i = done; i < upto; ++i) {
        Task t;
        t.id = txn.AllocateId();
        t.seq = txn.AllocateSeq();
        t.command = kCommands[i % 4];
        t.args = {"user" + std::to_string(i), "batch" + std::to_string(i % 1000)};
        t.argstring = t.args[0] + " " + t.args[1];
        t.created_at = t0 + i * 10;
        t.run_at = t.created_at;
        t.started_at = t.created_at + 2;
        t.finished_at = t.created_at + 7;
        t.attempts_made = 1;
        t.attempts_max = 1;
        if (i % 5 == 4) {
          t.state = TaskState::kFailed;
          t.error = "exited with status 3: mailbox unavailable";
          t.exit_status = 3;
        } else {
          t.state = TaskState::kComplete;
          t.exit_status = 0;
          t.result = "ok";
        }
        txn.Insert(t, DupeKey(t.command, t.args));
        txn.IndexText(t.id, Engine::SearchText(t));
        if (i % 10 == 3) txn.AddLog(t.id, *t.finished_at, "wrote report section " + t.args[0]);
      }
      return Status::OK();
    });
    if (!st.ok()) {
      std::fprintf(stderr, "fill: %s\n", st.ToString().c_str());
      return false;
    }
    done = upto;
  }
  return true;
}

// Median microseconds of `reps` calls of each op, the ops interleaved call
// by call so that every size is measured in the same stretch of time (the
// machine is shared: its speed drifts by 2x over minutes). One warm-up call
// each first.
std::vector<double> InterleavedMedians(int reps, const std::vector<std::function<void()>>& ops) {
  for (const auto& op : ops) op();
  std::vector<std::vector<double>> us(ops.size());
  for (int i = 0; i < reps; ++i) {
    for (size_t k = 0; k < ops.size(); ++k) {
      auto t = Steady::now();
      ops[k]();
      us[k].push_back(Seconds(Steady::now() - t) * 1e6);
    }
  }
  std::vector<double> out;
  for (auto& v : us) {
    std::sort(v.begin(), v.end());
    out.push_back(v[v.size() / 2]);
  }
  return out;
}

template <typename T>
void Check(const Result<T>& r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, r.status().ToString().c_str());
    std::exit(1);
  }
}

struct Query {
  std::string name;
  int reps;
  std::function<size_t(Queue&, int64_t n)> run;  // returns rows (or the count)
};

std::vector<Query> Queries() {
  auto list = [](ListQuery q) {
    return [q](Queue& queue, int64_t) {
      auto r = queue.List(q);
      Check(r, "List");
      return r->size();
    };
  };
  // The id 90% into the set, for cursor and offset pages.
  // (never so deep that fewer than 50 email+complete tasks follow: one id in
  // five is one).
  auto deep_id = [](int64_t n) { return std::min(n * 9 / 10, n - 400); };
  std::vector<Query> out;
  out.push_back({"list complete, first page", 200, list({.state = TaskState::kComplete})});
  out.push_back({"list complete, first page desc", 200,
                 list({.state = TaskState::kComplete, .descending = true})});
  out.push_back({"list complete, cursor page at 90%", 200, [=](Queue& q, int64_t n) {
                   auto r = q.List({.state = TaskState::kComplete, .after_id = deep_id(n)});
                   Check(r, "List");
                   return r->size();
                 }});
  out.push_back({"list email+complete, first page", 200,
                 list({.state = TaskState::kComplete, .command = "email"})});
  out.push_back({"list email+complete, cursor page at 90%", 200, [=](Queue& q, int64_t n) {
                   auto r = q.List(
                       {.state = TaskState::kComplete, .command = "email", .after_id = deep_id(n)});
                   Check(r, "List");
                   return r->size();
                 }});
  out.push_back({"list complete, offset page at 90%", 20, [=](Queue& q, int64_t n) {
                   // About 80% of tasks are complete: 90% of those.
                   auto r = q.List({.state = TaskState::kComplete, .offset = n * 8 / 10 * 9 / 10});
                   Check(r, "List");
                   return r->size();
                 }});
  out.push_back({"count complete", 500, [](Queue& q, int64_t) {
                   auto r = q.Count(TaskState::kComplete);
                   Check(r, "Count");
                   return static_cast<size_t>(*r);
                 }});
  out.push_back({"count email+failed", 500, [](Queue& q, int64_t) {
                   auto r = q.Count(TaskState::kFailed, "email");
                   Check(r, "Count");
                   return static_cast<size_t>(*r);
                 }});
  out.push_back({"Counts() (all states)", 500, [](Queue& q, int64_t) {
                   auto r = q.Counts();
                   Check(r, "Counts");
                   return static_cast<size_t>(r->total());
                 }});
  auto search = [](std::function<std::string(int64_t)> words, std::optional<TaskState> state,
                   int64_t limit) {
    return [=](Queue& q, int64_t n) {
      auto r = q.Search(words(n), state, "", limit);
      Check(r, "Search");
      return r->size();
    };
  };
  out.push_back({"search 1 match (user<n/2>)", 50,
                 search([](int64_t n) { return "user" + std::to_string(n / 2); }, {}, 100)});
  out.push_back(
      {"search 0.1% (batch7), limit 100", 20, search([](int64_t) { return "batch7"; }, {}, 100)});
  out.push_back({"search 0.1% in logs (section batch3)", 20,
                 search([](int64_t) { return "section batch3"; }, {}, 100)});
  out.push_back(
      {"search 25% (resize), limit 50", 5, search([](int64_t) { return "resize"; }, {}, 50)});
  out.push_back({"search mailbox:batch9 failed", 20,
                 search([](int64_t) { return "mailbox:batch9"; }, TaskState::kFailed, 100)});
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int64_t> sizes = {1000, 1000000};
  std::filesystem::path base;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--sizes" && i + 1 < argc) {
      sizes.clear();
      std::stringstream ss(argv[++i]);
      for (std::string item; std::getline(ss, item, ',');) sizes.push_back(std::stoll(item));
    } else if (a == "--dir" && i + 1 < argc) {
      base = argv[++i];
    } else if (a == "--keep") {
      keep = true;
    } else {
      std::fprintf(stderr, "usage: history_bench [--sizes 1000,1000000] [--dir DIR] [--keep]\n");
      return 2;
    }
  }
  if (sizes.empty()) return 2;
  bool made_base = false;
  if (base.empty()) {
    const char* tmp = getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/tq-history-bench-XXXXXX";
    if (!mkdtemp(tmpl.data())) return 1;
    base = tmpl;
    made_base = true;
  }
  const auto queries = Queries();
  std::vector<std::unique_ptr<Queue>> queues;
  for (int64_t n : sizes) {
    const auto dir = base / ("n" + std::to_string(n));
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    auto t = Steady::now();
    if (!Fill(dir, n)) return 1;
    std::printf("setup: %lld finished tasks written in %.1f s\n", static_cast<long long>(n),
                Seconds(Steady::now() - t));
    std::fflush(stdout);
    QueueOptions o;
    o.state_dir = dir;
    o.durability = Durability::kNormal;
    auto q = Queue::Open(o);
    Check(q, "Queue::Open");
    queues.push_back(std::move(q).value());
  }
  std::printf("\nmedian per call; sizes measured interleaved, call by call\n\n| query |");
  for (int64_t n : sizes) std::printf(" n=%lld |", static_cast<long long>(n));
  std::printf(" ratio last/first | rows |\n|---|");
  for (size_t k = 0; k <= sizes.size() + 1; ++k) std::printf("---|");
  std::printf("\n");
  for (const auto& query : queries) {
    std::vector<std::function<void()>> ops;
    std::vector<size_t> rows(sizes.size());
    for (size_t k = 0; k < sizes.size(); ++k) {
      ops.push_back([&, k] { rows[k] = query.run(*queues[k], sizes[k]); });
    }
    auto us = InterleavedMedians(query.reps, ops);
    std::printf("| %s |", query.name.c_str());
    for (double v : us) std::printf(" %.0f us |", v);
    std::printf(" %.2fx |", us.back() / us.front());
    for (size_t k = 0; k < rows.size(); ++k) std::printf("%s%zu", k ? "/" : " ", rows[k]);
    std::printf(" |\n");
    std::fflush(stdout);
  }
  queues.clear();
  if (!keep) {
    for (int64_t n : sizes) {
      std::error_code ec;
      std::filesystem::remove_all(base / ("n" + std::to_string(n)), ec);
    }
  }
  if (made_base && !keep) {
    std::error_code ec;
    std::filesystem::remove_all(base, ec);
  }
  return 0;
}
