// /api/v1 (see api_v1_routes.h and docs/http-api.md).
#include "api_v1_routes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "json_mapping.h"
#include "sse.h"

namespace taskqueue::http {
namespace {

using json = nlohmann::json;
using Req = httplib::Request;
using Res = httplib::Response;

constexpr int64_t kMaxLimit = 1000;

json CountsJson(const QueueCounts& c) {
  return {{"waiting", c.waiting},     {"deferred", c.deferred}, {"processing", c.processing},
          {"scheduled", c.scheduled}, {"complete", c.complete}, {"failed", c.failed}};
}

// Parses the optional integer query parameter `name` into *out.
bool IntParam(const Req& req, Res& res, const char* name, int64_t min, int64_t max, int64_t* out) {
  if (!req.has_param(name)) return true;
  const std::string text = req.get_param_value(name);
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || errno != 0 || *end != '\0' || v < min || v > max) {
    SendV1Error(res, 400, "invalid_argument",
                std::string("query parameter '") + name + "' must be an integer from " +
                    std::to_string(min) + " to " + std::to_string(max));
    return false;
  }
  *out = v;
  return true;
}

bool StateParam(const Req& req, Res& res, std::optional<TaskState>* out) {
  if (!req.has_param("state") || req.get_param_value("state").empty()) return true;
  const std::string name = req.get_param_value("state");
  std::optional<TaskState> state = ParseTaskState(name);
  if (!state) {
    SendV1Error(res, 400, "invalid_argument",
                "unknown state '" + name +
                    "' (waiting, deferred, processing, scheduled, complete, failed)");
    return false;
  }
  *out = state;
  return true;
}

// Parses the JSON body; on failure sends 400 and returns nullopt.
std::optional<json> JsonBody(const Req& req, Res& res, bool allow_empty) {
  if (req.body.empty() && allow_empty) return json::object();
  if (req.get_header_value("Content-Type").find("json") == std::string::npos) {
    SendV1Error(res, 415, "unsupported_media_type", "Content-Type must be application/json");
    return std::nullopt;
  }
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) {
    SendV1Error(res, 400, "invalid_json", "The request body is not valid JSON.");
    return std::nullopt;
  }
  if (!body.is_object()) {
    SendV1Error(res, 400, "invalid_argument", "The request body must be a JSON object.");
    return std::nullopt;
  }
  return body;
}

// The task named by the path, or a 404/400 already sent.
std::optional<Task> PathTask(ServerContext& ctx, const Req& req, Res& res) {
  std::optional<int64_t> id = ParseIdSegment(req.matches[1]);
  if (!id) {
    SendV1Error(res, 400, "invalid_argument",
                "task id '" + req.matches[1].str() + "' is not a positive integer");
    return std::nullopt;
  }
  Result<std::optional<Task>> task = FindAnyTask(ctx, *id);
  if (!task.ok()) {
    SendV1Error(res, task.status());
    return std::nullopt;
  }
  if (!task->has_value()) {
    SendV1Error(res, 404, "not_found", "No task " + std::to_string(*id));
    return std::nullopt;
  }
  return **task;
}

void SendRunning(Res& res, const Task& task, const std::string& what) {
  SendV1Error(res, 409, "conflict", "Task " + std::to_string(task.id) + " is processing; " + what);
}

void Stats(ServerContext& ctx, const Req&, Res& res) {
  Result<QueueCounts> counts = ctx.queue->Counts();
  if (!counts.ok()) return SendV1Error(res, counts.status());
  Result<bool> paused = ctx.queue->IsPaused();
  if (!paused.ok()) return SendV1Error(res, paused.status());
  Result<int64_t> work = ctx.queue->WorkTimeMillis();
  if (!work.ok()) return SendV1Error(res, work.status());
  SendJson(res, 200,
           json{{"counts", CountsJson(*counts)},
                {"total", counts->total()},
                {"paused", *paused},
                {"work_time_ms", *work},
                {"last_event_id", ctx.watcher->latest()}});
}

void Info(ServerContext& ctx, const Req&, Res& res) {
  Result<QueueSettings> settings = ctx.queue->Settings();
  if (!settings.ok()) return SendV1Error(res, settings.status());
  json out = json::object();
  for (const std::string& key : QueueSettings::Keys()) out[key] = *settings->Get(key);
  out["state_dir"] = ctx.queue->state_dir().string();
  out["name"] = ctx.queue->name();
  SendJson(res, 200, out);
}

void Commands(ServerContext& ctx, const Req&, Res& res) {
  Result<std::vector<std::string>> used = ctx.queue->CommandNames();
  if (!used.ok()) return SendV1Error(res, used.status());
  std::vector<std::string> registered = ctx.queue->registry().Commands();
  std::vector<std::string> all = registered;
  all.insert(all.end(), used->begin(), used->end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  json list = json::array();
  for (const std::string& name : all) {
    bool is_registered = std::find(registered.begin(), registered.end(), name) != registered.end();
    bool has_tasks = std::find(used->begin(), used->end(), name) != used->end();
    list.push_back({{"name", name}, {"registered", is_registered}, {"has_tasks", has_tasks}});
  }
  SendJson(res, 200, json{{"commands", list}});
}

void ListTasks(ServerContext& ctx, const Req& req, Res& res) {
  ListQuery q;
  int64_t limit = 50, after = 0;
  if (!StateParam(req, res, &q.state)) return;
  if (!IntParam(req, res, "limit", 1, kMaxLimit, &limit)) return;
  if (!IntParam(req, res, "after", 0, INT64_MAX, &after)) return;
  const std::string order = req.get_param_value("order");
  if (!order.empty() && order != "asc" && order != "desc") {
    return SendV1Error(res, 400, "invalid_argument", "order must be asc or desc");
  }
  q.command = req.get_param_value("command");
  q.descending = order == "desc";
  q.after_id = after;
  q.limit = limit + 1;  // one more tells whether a next page exists
  Result<std::vector<Task>> tasks = ctx.queue->List(q);
  if (!tasks.ok()) return SendV1Error(res, tasks.status());
  bool more = static_cast<int64_t>(tasks->size()) > limit;
  if (more) tasks->resize(limit);
  json list = json::array();
  for (const Task& t : *tasks) list.push_back(TaskJson(t));
  Result<int64_t> count = ctx.queue->Count(q.state, q.command);
  SendJson(res, 200,
           json{{"tasks", list},
                {"next_after", more ? json(tasks->back().id) : json(nullptr)},
                {"count", count.ok() ? json(*count) : json(nullptr)}});
}

// POST /api/v1/tasks: {"command": "cmd args"} or {"commands": [...]}, with
// "options", and "at" (epoch seconds) or "after" (seconds) to schedule.
void CreateTasks(ServerContext& ctx, const Req& req, Res& res) {
  std::optional<json> body = JsonBody(req, res, false);
  if (!body) return;
  std::vector<std::string> commands;
  auto command = body->find("command");
  auto list = body->find("commands");
  if ((command != body->end()) == (list != body->end())) {
    return SendV1Error(res, 400, "invalid_argument",
                       "give either \"command\" (a string) or \"commands\" (an array of strings)");
  }
  if (command != body->end()) {
    if (!command->is_string()) {
      return SendV1Error(res, 400, "invalid_argument", "\"command\" must be a string");
    }
    commands.push_back(command->get<std::string>());
  } else {
    if (!list->is_array() || list->empty()) {
      return SendV1Error(res, 400, "invalid_argument",
                         "\"commands\" must be a non-empty array of strings");
    }
    for (const json& c : *list) {
      if (!c.is_string()) {
        return SendV1Error(res, 400, "invalid_argument", "\"commands\" must hold only strings");
      }
      commands.push_back(c.get<std::string>());
    }
  }
  Result<TaskOptions> options =
      ParseTaskOptionsJson(body->contains("options") ? (*body)["options"] : json());
  if (!options.ok()) return SendV1Error(res, 400, "invalid_argument", options.status().message());
  for (auto& [key, value] : body->items()) {
    if (key != "command" && key != "commands" && key != "options" && key != "at" &&
        key != "after") {
      return SendV1Error(
          res, 400, "invalid_argument",
          "unknown field '" + key + "' (known: command, commands, options, at, after)");
    }
  }
  std::optional<int64_t> at_ms;
  if (auto at = body->find("at"); at != body->end()) {
    if (!at->is_number_integer() || at->get<int64_t>() < 0) {
      return SendV1Error(res, 400, "invalid_argument", "\"at\" must be Unix seconds");
    }
    at_ms = at->get<int64_t>() * 1000;
  }
  if (auto after = body->find("after"); after != body->end()) {
    if (at_ms || !after->is_number_integer() || after->get<int64_t>() < 0) {
      return SendV1Error(res, 400, "invalid_argument",
                         "\"after\" must be seconds (and not given with \"at\")");
    }
    at_ms = ctx.queue->clock().NowMillis() + after->get<int64_t>() * 1000;
  }

  json results = json::array();
  bool any_refused = false;
  if (at_ms) {
    for (const std::string& c : commands) {
      ScheduleOptions schedule;
      schedule.at_millis = at_ms;
      schedule.task = *options;
      Result<Task> task = ctx.scheduler->ScheduleTask(c, schedule);
      if (task.ok()) {
        results.push_back(
            {{"command", c}, {"id", task->uuid()}, {"number", task->id}, {"result", "scheduled"}});
      } else {
        any_refused = true;
        results.push_back(
            {{"command", c},
             {"id", nullptr},
             {"result", "error"},
             {"error", ErrorObject(task.status().CodeName(), task.status().message())["error"]}});
      }
    }
  } else {
    Result<std::vector<EnqueueOutcome>> outcomes = ctx.queue->QueueTasks(commands, *options);
    if (!outcomes.ok()) return SendV1Error(res, outcomes.status());
    for (size_t i = 0; i < commands.size(); ++i) {
      const EnqueueOutcome& o = (*outcomes)[i];
      if (!o.status.ok()) {
        any_refused = true;
        results.push_back(
            {{"command", commands[i]},
             {"id", nullptr},
             {"result", "error"},
             {"error", ErrorObject(o.status.CodeName(), o.status.message())["error"]}});
      } else if (o.duplicate) {
        results.push_back({{"command", commands[i]}, {"id", nullptr}, {"result", "duplicate"}});
      } else {
        results.push_back(
            {{"command", commands[i]}, {"id", o.uuid}, {"number", o.id}, {"result", "queued"}});
      }
    }
  }
  SendJson(res, any_refused ? 400 : 201, json{{"results", results}});
}

void GetTask(ServerContext& ctx, const Req& req, Res& res) {
  if (std::optional<Task> task = PathTask(ctx, req, res)) SendJson(res, 200, TaskJson(*task));
}

void DeleteTask(ServerContext& ctx, const Req& req, Res& res) {
  std::optional<Task> task = PathTask(ctx, req, res);
  if (!task) return;
  if (task->state == TaskState::kProcessing) return SendRunning(res, *task, "it cannot be removed");
  Result<bool> removed = ctx.queue->Remove(task->id);
  if (!removed.ok()) return SendV1Error(res, removed.status());
  if (!*removed) return SendV1Error(res, 404, "not_found", "No task " + std::to_string(task->id));
  SendJson(res, 200, json{{"removed", task->id}});
}

void Logs(ServerContext& ctx, const Req& req, Res& res) {
  std::optional<Task> task = PathTask(ctx, req, res);
  if (!task) return;
  Result<std::vector<LogLine>> logs = ctx.queue->Logs(task->id);
  if (!logs.ok() && !logs.status().IsNotFound()) return SendV1Error(res, logs.status());
  json lines = json::array();
  if (logs.ok()) {
    for (const LogLine& l : *logs) lines.push_back({{"time", l.time}, {"line", l.line}});
  }
  SendJson(res, 200, json{{"lines", lines}});
}

// The task's output file, from ?offset= (bytes), at most ?limit= bytes.
void Output(ServerContext& ctx, const Req& req, Res& res) {
  std::optional<Task> task = PathTask(ctx, req, res);
  if (!task) return;
  int64_t offset = 0, limit = 1 << 20;
  if (!IntParam(req, res, "offset", 0, INT64_MAX, &offset)) return;
  if (!IntParam(req, res, "limit", 1, 16 << 20, &limit)) return;
  std::string data;
  int64_t size = 0;
  int fd = open(ctx.queue->OutputPath(task->id).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0) {
    struct stat st {};
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
      size = st.st_size;
      if (offset < size) {
        data.resize(static_cast<size_t>(std::min<int64_t>(limit, size - offset)));
        ssize_t n = pread(fd, data.data(), data.size(), offset);
        data.resize(n > 0 ? static_cast<size_t>(n) : 0);
      }
    }
    close(fd);
  }
  res.set_header("X-Output-Size", std::to_string(size));
  res.set_header("X-Content-Type-Options", "nosniff");
  res.status = 200;
  res.set_content(data, "text/plain; charset=utf-8");
}

void Retry(ServerContext& ctx, const Req& req, Res& res) {
  std::optional<Task> task = PathTask(ctx, req, res);
  if (!task) return;
  if (task->state == TaskState::kProcessing) return SendRunning(res, *task, "it cannot be retried");
  Status st = ctx.queue->Retry(task->id);
  if (!st.ok()) return SendV1Error(res, st);
  Result<std::optional<Task>> now = FindAnyTask(ctx, task->id);
  SendJson(res, 200, now.ok() && now->has_value() ? TaskJson(**now) : json{{"id", task->id}});
}

// unqueue: a waiting or deferred task; unschedule: a scheduled one.
void Unqueue(ServerContext& ctx, const Req& req, Res& res, bool scheduled) {
  std::optional<Task> task = PathTask(ctx, req, res);
  if (!task) return;
  Result<bool> removed = false;
  if (scheduled) {
    if (task->state == TaskState::kScheduled) removed = ctx.scheduler->UnscheduleTask(task->id);
  } else if (task->state == TaskState::kWaiting || task->state == TaskState::kDeferred) {
    removed = ctx.queue->UnqueueTask(task->id);
  }
  if (!removed.ok()) return SendV1Error(res, removed.status());
  if (!*removed) {
    return SendV1Error(res, 409, "conflict",
                       "Task " + std::to_string(task->id) + " is " + TaskStateName(task->state) +
                           (scheduled ? ", not scheduled" : ", not waiting or deferred"));
  }
  SendJson(res, 200, json{{"count", 1}, {"id", task->uuid()}});
}

void Priority(ServerContext& ctx, const Req& req, Res& res) {
  std::optional<Task> task = PathTask(ctx, req, res);
  if (!task) return;
  std::optional<json> body = JsonBody(req, res, false);
  if (!body) return;
  auto p = body->find("priority");
  if (p == body->end()) return SendV1Error(res, 400, "invalid_argument", "\"priority\" is missing");
  Result<int> priority = ParsePriorityJson(*p, "priority");
  if (!priority.ok()) return SendV1Error(res, 400, "invalid_argument", priority.status().message());
  if (task->finished() || task->state == TaskState::kProcessing) {
    return SendV1Error(res, 409, "conflict",
                       "Task " + std::to_string(task->id) + " is " + TaskStateName(task->state) +
                           "; only a task that has not started can change priority");
  }
  Status st = ctx.queue->SetPriority(task->id, *priority);
  if (!st.ok()) return SendV1Error(res, st);
  Result<std::optional<Task>> now = FindAnyTask(ctx, task->id);
  SendJson(res, 200, now.ok() && now->has_value() ? TaskJson(**now) : json{{"id", task->id}});
}

void Search(ServerContext& ctx, const Req& req, Res& res) {
  std::optional<TaskState> state;
  int64_t limit = 100;
  if (!StateParam(req, res, &state)) return;
  if (!IntParam(req, res, "limit", 1, kMaxLimit, &limit)) return;
  const std::string q = req.get_param_value("q");
  if (q.empty()) return SendV1Error(res, 400, "invalid_argument", "query parameter 'q' is missing");
  Result<std::vector<Task>> found =
      ctx.queue->Search(q, state, req.get_param_value("command"), limit);
  if (!found.ok()) return SendV1Error(res, found.status());
  json list = json::array();
  for (const Task& t : *found) list.push_back(TaskJson(t));
  SendJson(res, 200, json{{"tasks", list}});
}

void PauseResume(ServerContext& ctx, Res& res, bool pause) {
  Status st = pause ? ctx.queue->Pause() : ctx.queue->Resume();
  if (!st.ok()) return SendV1Error(res, st);
  SendJson(res, 200, json{{"paused", pause}});
}

}  // namespace

void RegisterApiV1Routes(httplib::Server& server, ServerContext& ctx,
                         const SecurityPolicy& security) {
  auto bind = [&ctx](void (*fn)(ServerContext&, const Req&, Res&)) {
    return [&ctx, fn](const Req& req, Res& res) { fn(ctx, req, res); };
  };
  server.Get("/api/v1/stats", bind(Stats));
  server.Get("/api/v1/info", bind(Info));
  server.Get("/api/v1/whoami", [&security](const Req& req, Res& res) {
    Role role = security.RoleOf(req);
    SendJson(res, 200, json{{"role", role == Role::kFull ? "full" : "read-only"}});
  });
  server.Get("/api/v1/commands", bind(Commands));
  server.Get("/api/v1/tasks", bind(ListTasks));
  server.Post("/api/v1/tasks", bind(CreateTasks));
  server.Get("/api/v1/tasks/([^/]+)", bind(GetTask));
  server.Delete("/api/v1/tasks/([^/]+)", bind(DeleteTask));
  server.Get("/api/v1/tasks/([^/]+)/logs", bind(Logs));
  server.Get("/api/v1/tasks/([^/]+)/output", bind(Output));
  server.Post("/api/v1/tasks/([^/]+)/retry", bind(Retry));
  server.Post("/api/v1/tasks/([^/]+)/unqueue",
              [&ctx](const Req& req, Res& res) { Unqueue(ctx, req, res, false); });
  server.Post("/api/v1/tasks/([^/]+)/unschedule",
              [&ctx](const Req& req, Res& res) { Unqueue(ctx, req, res, true); });
  server.Put("/api/v1/tasks/([^/]+)/priority", bind(Priority));
  server.Post("/api/v1/tasks/([^/]+)/priority", bind(Priority));
  server.Get("/api/v1/search", bind(Search));
  server.Post("/api/v1/pause", [&ctx](const Req&, Res& res) { PauseResume(ctx, res, true); });
  server.Post("/api/v1/resume", [&ctx](const Req&, Res& res) { PauseResume(ctx, res, false); });
}

}  // namespace taskqueue::http
