// Kue's JSON API (see kue_routes.h and docs/http-api.md).
#include "kue_routes.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <nlohmann/json.hpp>

#include "json_mapping.h"

namespace taskqueue::http {
namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;
using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

void KueError(httplib::Response& res, const std::string& message) {
  SendJson(res, 200, ordered_json{{"error", message}});
}

void KueMessage(httplib::Response& res, const std::string& message) {
  SendJson(res, 200, ordered_json{{"message", message}});
}

std::string Missing(const std::string& id) { return "job \"" + id + "\" doesnt exist"; }

// Wraps a handler with Kue's provides('json'): a client that does not
// accept JSON gets what Express gives for an unmatched route.
Handler Json(Handler inner) {
  return [inner = std::move(inner)](const httplib::Request& req, httplib::Response& res) {
    if (!AcceptsJson(req)) {
      res.status = 404;
      res.set_content("Cannot " + req.method + " " + req.path + "\n", "text/plain");
      return;
    }
    inner(req, res);
  };
}

// JavaScript's parseInt(text, 10): optional sign and leading digits.
std::optional<int64_t> ParseIntLike(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  size_t start = i;
  int64_t v = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) && i - start < 15) {
    v = v * 10 + (text[i++] - '0');
  }
  if (i == start) return std::nullopt;
  return negative ? -v : v;
}

// Kue's range: jobs by rank from..to (inclusive, negative counts from the
// end as in Redis ZRANGE), then the page sorted by id, reversed for desc.
// Rank is id order here (Kue ranked by priority; see docs/http-api.md).
Result<std::vector<Task>> Range(ServerContext& ctx, const std::vector<TaskState>& states,
                                const std::string& command, int64_t from, int64_t to) {
  if (from < 0 || to < 0) {
    int64_t total = 0;
    if (states.empty()) {
      Result<int64_t> n = ctx.queue->Count(std::nullopt, command);
      if (!n.ok()) return n.status();
      total = *n;
    }
    for (TaskState s : states) {
      Result<int64_t> n = ctx.queue->Count(s, command);
      if (!n.ok()) return n.status();
      total += *n;
    }
    if (from < 0) from = std::max<int64_t>(0, total + from);
    if (to < 0) to = total + to;
  }
  if (to < from) return std::vector<Task>();
  to = std::min<int64_t>(to, from + 10000);  // bound one response
  std::vector<Task> all;
  if (states.size() <= 1) {
    ListQuery q;
    if (!states.empty()) q.state = states[0];
    q.command = command;
    q.offset = from;
    q.limit = to - from + 1;
    return ctx.queue->List(q);
  }
  for (TaskState s : states) {
    ListQuery q;
    q.state = s;
    q.command = command;
    q.limit = to + 1;
    Result<std::vector<Task>> part = ctx.queue->List(q);
    if (!part.ok()) return part.status();
    all.insert(all.end(), part->begin(), part->end());
  }
  std::sort(all.begin(), all.end(), [](const Task& a, const Task& b) { return a.id < b.id; });
  if (static_cast<int64_t>(all.size()) <= from) return std::vector<Task>();
  all.erase(all.begin(), all.begin() + from);
  if (static_cast<int64_t>(all.size()) > to - from + 1) all.resize(to - from + 1);
  return all;
}

void SendRange(ServerContext& ctx, httplib::Response& res, const std::vector<TaskState>& states,
               const std::string& command, const std::string& from, const std::string& to,
               const std::string& order) {
  std::optional<int64_t> f = ParseIntLike(from), t = ParseIntLike(to);
  if (!f || !t) return SendJson(res, 200, ordered_json::array());
  Result<std::vector<Task>> tasks = Range(ctx, states, command, *f, *t);
  if (!tasks.ok()) return KueError(res, tasks.status().message());
  std::sort(tasks->begin(), tasks->end(), [](const Task& a, const Task& b) { return a.id < b.id; });
  if (order == "desc") std::reverse(tasks->begin(), tasks->end());
  ordered_json out = ordered_json::array();
  for (const Task& task : *tasks) out.push_back(KueJobJson(task));
  SendJson(res, 200, out);
}

// States named by a Kue route; Kue reads an unknown state as an empty set.
std::vector<TaskState> RouteStates(const std::string& name, bool* known) {
  std::vector<TaskState> states = StatesForName(name);
  *known = !states.empty();
  return states;
}

// The pending task that `command` duplicates, for the id Kue clients expect.
std::optional<int64_t> FindDuplicateOf(ServerContext& ctx, const std::string& command) {
  Result<ParsedCommand> parsed = ParseCommandString(command);
  if (!parsed.ok()) return std::nullopt;
  std::shared_ptr<const Processor> processor = ctx.queue->registry().Find(parsed->command);
  if (!processor) return std::nullopt;
  Task candidate;
  candidate.command = parsed->command;
  candidate.argstring = parsed->argstring;
  candidate.args = parsed->args;
  for (const std::string& scope : processor->DupeScope(candidate)) {
    Result<std::vector<Task>> pending = ctx.queue->FindCommands(scope);
    if (!pending.ok()) continue;
    for (const Task& old : *pending) {
      if (old.state != TaskState::kWaiting && old.state != TaskState::kDeferred) continue;
      if (processor->IsDupe(candidate, old)) return old.id;
    }
  }
  return std::nullopt;
}

int ErrorCodeFor(const Status& status) {
  return (status.IsInvalidArgument() || status.IsNotSupported() || status.IsNotFound() ||
          status.IsConfig())
             ? 400
             : 500;
}

struct ItemResult {
  ordered_json body;
  int code = 0;  // 0: success
};

ItemResult Created(int64_t id) { return {ordered_json{{"message", "job created"}, {"id", id}}, 0}; }
ItemResult Failed(const Status& status, int code) {
  return {ordered_json{{"error", status.message()}}, code};
}

// Queues the parsed items, batching runs of equal options into one
// transaction, and returns one result per item in order.
std::vector<ItemResult> CreateJobs(ServerContext& ctx,
                                   const std::vector<Result<KueJobRequest>>& items) {
  std::vector<ItemResult> results(items.size());
  size_t i = 0;
  while (i < items.size()) {
    if (!items[i].ok()) {
      results[i] = Failed(items[i].status(), 400);
      ++i;
      continue;
    }
    const KueJobRequest& first = *items[i];
    if (first.delay_ms > 0) {
      ScheduleOptions schedule;
      schedule.at_millis = ctx.queue->clock().NowMillis() + first.delay_ms;
      schedule.task = first.options;
      Result<Task> task = ctx.scheduler->ScheduleTask(first.command, schedule);
      results[i] =
          task.ok() ? Created(task->id) : Failed(task.status(), ErrorCodeFor(task.status()));
      ++i;
      continue;
    }
    size_t end = i + 1;
    while (end < items.size() && items[end].ok() && items[end]->delay_ms == 0 &&
           SameTaskOptions(items[end]->options, first.options)) {
      ++end;
    }
    std::vector<std::string> commands;
    for (size_t j = i; j < end; ++j) commands.push_back(items[j]->command);
    Result<std::vector<EnqueueOutcome>> outcomes = ctx.queue->QueueTasks(commands, first.options);
    for (size_t j = i; j < end; ++j) {
      if (!outcomes.ok()) {
        results[j] = Failed(outcomes.status(), ErrorCodeFor(outcomes.status()));
        continue;
      }
      const EnqueueOutcome& o = (*outcomes)[j - i];
      if (!o.status.ok()) {
        results[j] = Failed(o.status, ErrorCodeFor(o.status));
      } else if (o.duplicate) {
        std::optional<int64_t> existing = FindDuplicateOf(ctx, commands[j - i]);
        results[j] = {ordered_json{{"message", "job duplicate"},
                                   {"id", existing ? ordered_json(*existing) : ordered_json()}},
                      0};
      } else {
        results[j] = Created(o.id);
      }
    }
    i = end;
  }
  return results;
}

bool IsBlank(const std::string& body) {
  return std::all_of(body.begin(), body.end(),
                     [](unsigned char c) { return std::isspace(c) != 0; });
}

void PostJob(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (IsBlank(req.body)) {
    res.status = 204;
    return;
  }
  if (req.get_header_value("Content-Type").find("json") == std::string::npos) {
    return SendJson(res, 415, ordered_json{{"error", "Content-Type must be application/json"}});
  }
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return SendJson(res, 400, ordered_json{{"error", "Invalid JSON in request body"}});
  }
  if (!body.is_object() && !body.is_array()) {
    return SendJson(res, 400,
                    ordered_json{{"error", "Body must be a job object or an array of them"}});
  }
  if (body.empty()) {  // {} or []: Kue's lodash.isEmpty
    res.status = 204;
    return;
  }
  const bool bulk = body.is_array();
  std::vector<Result<KueJobRequest>> items;
  if (bulk) {
    for (const json& item : body) items.push_back(ParseKueJob(item));
  } else {
    items.push_back(ParseKueJob(body));
  }
  std::vector<ItemResult> results = CreateJobs(ctx, items);
  if (!bulk) return SendJson(res, results[0].code ? results[0].code : 200, results[0].body);
  int status = 200;
  ordered_json out = ordered_json::array();
  for (ItemResult& r : results) {
    if (r.code && status == 200) status = r.code;
    out.push_back(std::move(r.body));
  }
  SendJson(res, status, out);
}

// Moves a job to Kue state `target` (Queue::SetState; docs/http-api.md says
// what each state means here). Like Kue, the job is looked up first.
void SetState(ServerContext& ctx, httplib::Response& res, const std::string& id_text,
              const std::string& target, const std::string& done_message) {
  std::optional<int64_t> id = ParseIdSegment(id_text);
  if (!id) return KueError(res, Missing(id_text));
  Result<std::optional<Task>> task = FindAnyTask(ctx, *id);
  if (!task.ok()) return KueError(res, task.status().message());
  if (!task->has_value()) return KueError(res, Missing(id_text));
  // Kue's names and ours (waiting, processing, scheduled, deferred).
  std::optional<TaskState> state = ParseTaskState(target);
  if (!state) return KueError(res, "invalid state");
  // Already running: nothing to change, as Kue answers for any same state.
  if ((*task)->state == TaskState::kProcessing && *state == TaskState::kProcessing) {
    return KueMessage(res, done_message);
  }
  Status st = ctx.queue->SetState(*id, *state);
  if (st.IsNotFound()) return KueError(res, Missing(id_text));
  if (!st.ok()) return KueError(res, st.message());
  KueMessage(res, done_message);
}

}  // namespace

bool AcceptsJson(const httplib::Request& req) {
  if (!req.has_header("Accept")) return true;
  std::string accept = req.get_header_value("Accept");
  std::transform(accept.begin(), accept.end(), accept.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  size_t pos = 0;
  while (pos <= accept.size()) {
    size_t comma = accept.find(',', pos);
    std::string item =
        accept.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? accept.size() + 1 : comma + 1;
    std::string type = item.substr(0, item.find(';'));
    type.erase(0, type.find_first_not_of(" \t"));
    type.erase(type.find_last_not_of(" \t") + 1);
    bool zero_q = item.find("q=0") != std::string::npos && item.find("q=0.") == std::string::npos;
    if (zero_q) continue;
    if (type == "application/json" || type == "application/*" || type == "*/*" || type == "json") {
      return true;
    }
  }
  return false;
}

void RegisterKueRoutes(httplib::Server& server, ServerContext& ctx) {
  server.Get("/stats", Json([&ctx](const httplib::Request&, httplib::Response& res) {
               Result<QueueCounts> c = ctx.queue->Counts();
               if (!c.ok()) return KueError(res, c.status().message());
               Result<int64_t> work = ctx.queue->WorkTimeMillis();
               if (!work.ok()) return KueError(res, work.status().message());
               SendJson(res, 200,
                        ordered_json{{"inactiveCount", c->waiting + c->deferred},
                                     {"completeCount", c->complete},
                                     {"activeCount", c->processing},
                                     {"failedCount", c->failed},
                                     {"delayedCount", c->scheduled},
                                     {"workTime", *work}});
             }));

  server.Get("/job/search", Json([&ctx](const httplib::Request& req, httplib::Response& res) {
               const std::string q = req.get_param_value("q");
               ordered_json ids = ordered_json::array();
               if (!q.empty()) {
                 Result<std::vector<Task>> found = ctx.queue->Search(q, std::nullopt, "", 10000);
                 if (!found.ok()) return KueError(res, found.status().message());
                 for (const Task& t : *found) ids.push_back(std::to_string(t.id));
               }
               SendJson(res, 200, ids);
             }));

  server.Get("/job/types", Json([&ctx](const httplib::Request&, httplib::Response& res) {
               Result<std::vector<std::string>> names = ctx.queue->CommandNames();
               if (!names.ok()) return KueError(res, names.status().message());
               SendJson(res, 200, ordered_json(*names));
             }));

  server.Get("/job/([^/]+)", Json([&ctx](const httplib::Request& req, httplib::Response& res) {
               const std::string id_text = req.matches[1].str();
               std::optional<int64_t> id = ParseIdSegment(id_text);
               if (!id) return KueError(res, Missing(id_text));
               Result<std::optional<Task>> task = FindAnyTask(ctx, *id);
               if (!task.ok()) return KueError(res, task.status().message());
               if (!task->has_value()) return KueError(res, Missing(id_text));
               SendJson(res, 200, KueJobJson(**task));
             }));

  server.Get("/job/([^/]+)/log", Json([&ctx](const httplib::Request& req, httplib::Response& res) {
               ordered_json lines = ordered_json::array();
               // Kue read the log list directly: an unknown id has an empty log.
               if (std::optional<int64_t> id = ParseIdSegment(req.matches[1].str())) {
                 Result<std::vector<LogLine>> logs = ctx.queue->Logs(*id);
                 if (!logs.ok() && !logs.status().IsNotFound()) {
                   return KueError(res, logs.status().message());
                 }
                 if (logs.ok()) {
                   for (const LogLine& l : *logs) lines.push_back(l.line);
                 }
               }
               SendJson(res, 200, lines);
             }));

  // Kue's order of registration matters: "from..to" first, then the
  // type/state forms, then state alone.
  server.Get(R"(/jobs/([^/]*)\.\.([^/]*?)(?:/([^/]+))?)",
             Json([&ctx](const httplib::Request& req, httplib::Response& res) {
               SendRange(ctx, res, {}, "", req.matches[1], req.matches[2], req.matches[3]);
             }));
  server.Get(R"(/jobs/([^/]+)/([^/]+)/([^/]*)\.\.([^/]*?)(?:/([^/]+))?)",
             Json([&ctx](const httplib::Request& req, httplib::Response& res) {
               bool known = false;
               auto states = RouteStates(req.matches[2], &known);
               if (!known) return SendJson(res, 200, ordered_json::array());
               SendRange(ctx, res, states, req.matches[1], req.matches[3], req.matches[4],
                         req.matches[5]);
             }));
  server.Get(R"(/jobs/([^/]+)/([^/]+)/stats)",
             Json([&ctx](const httplib::Request& req, httplib::Response& res) {
               bool known = false;
               int64_t count = 0;
               for (TaskState s : RouteStates(req.matches[2], &known)) {
                 Result<int64_t> n = ctx.queue->Count(s, req.matches[1]);
                 if (!n.ok()) return KueError(res, n.status().message());
                 count += *n;
               }
               SendJson(res, 200, ordered_json{{"count", count}});
             }));
  server.Get(R"(/jobs/([^/]+)/([^/]*)\.\.([^/]*?)(?:/([^/]+))?)",
             Json([&ctx](const httplib::Request& req, httplib::Response& res) {
               bool known = false;
               auto states = RouteStates(req.matches[1], &known);
               if (!known) return SendJson(res, 200, ordered_json::array());
               SendRange(ctx, res, states, "", req.matches[2], req.matches[3], req.matches[4]);
             }));

  server.Put("/job/([^/]+)/state/([^/]+)",
             Json([&ctx](const httplib::Request& req, httplib::Response& res) {
               SetState(ctx, res, req.matches[1], req.matches[2], "updated state");
             }));

  server.Put("/job/([^/]+)/priority/([^/]+)",
             Json([&ctx](const httplib::Request& req, httplib::Response& res) {
               std::optional<int64_t> priority = ParseIntLike(req.matches[2]);
               if (!priority || *priority < -1'000'000 || *priority > 1'000'000) {
                 return KueError(res, "invalid priority");
               }
               const std::string id_text = req.matches[1];
               std::optional<int64_t> id = ParseIdSegment(id_text);
               if (!id) return KueError(res, Missing(id_text));
               Status st = ctx.queue->SetPriority(*id, static_cast<int>(*priority));
               if (st.IsNotFound()) return KueError(res, Missing(id_text));
               if (!st.ok()) return KueError(res, st.message());
               KueMessage(res, "updated priority");
             }));

  server.Delete("/job/([^/]+)", Json([&ctx](const httplib::Request& req, httplib::Response& res) {
                  const std::string id_text = req.matches[1];
                  std::optional<int64_t> id = ParseIdSegment(id_text);
                  if (!id) return KueError(res, Missing(id_text));
                  Result<bool> removed = ctx.queue->Remove(*id);
                  if (!removed.ok()) return KueError(res, removed.status().message());
                  if (!*removed) return KueError(res, Missing(id_text));
                  KueMessage(res, "job " + id_text + " removed");
                }));

  server.Post("/job", Json([&ctx](const httplib::Request& req, httplib::Response& res) {
                PostJob(ctx, req, res);
              }));

  server.Get("/inactive/([^/]+)", Json([&ctx](const httplib::Request& req, httplib::Response& res) {
               SetState(ctx, res, req.matches[1], "inactive",
                        "job " + req.matches[1].str() + " inactive");
             }));
}

}  // namespace taskqueue::http
