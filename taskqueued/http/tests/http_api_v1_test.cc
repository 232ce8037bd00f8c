// /api/v1 over HTTP: status codes, the error object, cursor paging and the
// CLI's verbs.
#include "http_test_fixture.h"

namespace taskqueue::http::testing {
namespace {

class ApiV1Test : public HttpTest {
 protected:
  void SetUp() override {
    HttpTest::SetUp();
    StartServer();
  }
  int64_t Queue1(const std::string& command, const json& options = json::object()) {
    auto r = PostJson("/api/v1/tasks", {{"command", command}, {"options", options}});
    EXPECT_TRUE(r);
    if (!r) return 0;
    EXPECT_EQ(r->status, 201) << r->body;
    return Body(r)["results"][0].value("number", 0);
  }
};

TEST_F(ApiV1Test, QueueGetAndList) {
  auto r =
      PostJson("/api/v1/tasks", {{"commands", {"email a", "email 'b c'", "nosuch x", "email a"}},
                                 {"options", {{"priority", "high"}, {"userdata", {{"k", "v"}}}}}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);  // one was refused; the others are queued
  json results = Body(r)["results"];
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0]["result"], "queued");
  EXPECT_EQ(results[1]["result"], "queued");
  EXPECT_EQ(results[2]["result"], "error");
  EXPECT_EQ(results[2]["error"]["message"], "No known processor for 'nosuch'.");
  EXPECT_EQ(results[3]["result"], "duplicate");
  int64_t id = results[1]["number"];

  r = client_->Get(("/api/v1/tasks/" + std::to_string(id)).c_str());
  ASSERT_EQ(r->status, 200);
  json task = Body(r);
  EXPECT_EQ(task["command"], "email");
  EXPECT_EQ(task["args"], json({"b c"}));
  EXPECT_EQ(task["state"], "waiting");
  EXPECT_EQ(task["priority"], -10);
  EXPECT_EQ(task["userdata"], json({{"k", "v"}}));
  EXPECT_EQ(task["uuid"], "TQ:TaskQueue:" + std::to_string(id));
  for (const char* key : {"id", "attempts_made", "attempts_max", "created_at", "run_at",
                          "started_at", "finished_at", "exit_status", "error"}) {
    EXPECT_TRUE(task.contains(key)) << key;
  }

  json stats = Body(client_->Get("/api/v1/stats"));
  EXPECT_EQ(stats["counts"]["waiting"], 2);
  EXPECT_EQ(stats["paused"], false);
  EXPECT_TRUE(stats["last_event_id"].get<int64_t>() > 0);
}

TEST_F(ApiV1Test, CursorPaging) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 7; ++i) ids.push_back(Queue1("email " + std::to_string(i)));
  std::vector<int64_t> seen;
  int64_t after = 0;
  for (int page = 0; page < 10; ++page) {
    json r = Body(client_->Get(("/api/v1/tasks?limit=3&after=" + std::to_string(after)).c_str()));
    for (const json& t : r["tasks"]) seen.push_back(t["id"]);
    EXPECT_EQ(r["count"], 7);
    if (r["next_after"].is_null()) break;
    after = r["next_after"];
  }
  EXPECT_EQ(seen, ids);
  json desc = Body(client_->Get("/api/v1/tasks?limit=2&order=desc&state=waiting"));
  ASSERT_EQ(desc["tasks"].size(), 2u);
  EXPECT_EQ(desc["tasks"][0]["id"], ids.back());
  EXPECT_EQ(desc["next_after"], ids[5]);
}

TEST_F(ApiV1Test, StatusCodesAndErrorObject) {
  struct Case {
    std::string method, path, body;
    int status;
    std::string code;
  } cases[] = {
      {"GET", "/api/v1/tasks/999", "", 404, "not_found"},
      {"GET", "/api/v1/tasks/abc", "", 400, "invalid_argument"},
      {"GET", "/api/v1/tasks/999/logs", "", 404, "not_found"},
      {"GET", "/api/v1/tasks/999/output", "", 404, "not_found"},
      {"POST", "/api/v1/tasks/999/retry", "", 404, "not_found"},
      {"DELETE", "/api/v1/tasks/999", "", 404, "not_found"},
      {"GET", "/api/v1/tasks?state=bogus", "", 400, "invalid_argument"},
      {"GET", "/api/v1/tasks?limit=0", "", 400, "invalid_argument"},
      {"GET", "/api/v1/tasks?after=x", "", 400, "invalid_argument"},
      {"GET", "/api/v1/search", "", 400, "invalid_argument"},
      {"GET", "/api/v1/nothing", "", 404, "not_found"},
      {"POST", "/api/v1/tasks", "{bad json", 400, "invalid_json"},
      {"POST", "/api/v1/tasks", "[1]", 400, "invalid_argument"},
      {"POST", "/api/v1/tasks", R"({"command": 5})", 400, "invalid_argument"},
      {"POST", "/api/v1/tasks", R"({"command": "email", "options": {"attempts": -1}})", 400,
       "invalid_argument"},
      {"POST", "/api/v1/tasks", R"({"command": "email", "options": {"colour": 1}})", 400,
       "invalid_argument"},
      {"POST", "/api/v1/tasks", R"({"command": "email 'open"})", 400, "invalid_argument"},
      // JSON can carry a NUL byte; no program argument can.
      {"POST", "/api/v1/tasks", R"({"command": "email 2\u0000; rm -rf /"})", 400,
       "invalid_argument"},
      {"POST", "/api/v1/tasks", R"({"command": "email", "at": "noon"})", 400, "invalid_argument"},
  };
  for (const Case& c : cases) {
    httplib::Result r = c.method == "GET" ? client_->Get(c.path.c_str())
                        : c.method == "POST"
                            ? client_->Post(c.path.c_str(), c.body, "application/json")
                            : client_->Delete(c.path.c_str());
    ASSERT_TRUE(r) << c.path;
    EXPECT_EQ(r->status, c.status)
        << c.method << " " << c.path << " " << c.body << " -> " << r->body;
    json body = Body(r);
    json error = body.contains("results") ? body["results"][0]["error"] : body["error"];
    EXPECT_EQ(error["code"], c.code) << r->body;
    EXPECT_FALSE(error["message"].get<std::string>().empty());
  }
  auto counts = queue().Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->total(), 0) << "a refused request stored something";
}

TEST_F(ApiV1Test, VerbsRetryRemoveUnqueuePriorityPause) {
  int64_t bad = Queue1("fail");
  int64_t waiting = Queue1("email w");
  ASSERT_TRUE(queue().Pause().ok());
  EXPECT_EQ(Body(client_->Get("/api/v1/stats"))["paused"], true);
  EXPECT_EQ(Body(client_->Post("/api/v1/resume", "", "application/json"))["paused"], false);
  ProcessAll();
  ASSERT_EQ(Body(client_->Get(("/api/v1/tasks/" + std::to_string(bad)).c_str()))["state"],
            "failed");

  // Priority only before a task starts.
  int64_t later = Queue1("email later");
  auto r = client_->Put(("/api/v1/tasks/" + std::to_string(later) + "/priority").c_str(),
                        R"({"priority": "critical"})", "application/json");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(r)["priority"], -15);
  r = client_->Put(("/api/v1/tasks/" + std::to_string(bad) + "/priority").c_str(),
                   R"({"priority": 3})", "application/json");
  EXPECT_EQ(r->status, 409);
  r = client_->Put(("/api/v1/tasks/" + std::to_string(later) + "/priority").c_str(),
                   R"({"priority": "soon"})", "application/json");
  EXPECT_EQ(r->status, 400);

  r = client_->Post(("/api/v1/tasks/" + std::to_string(bad) + "/retry").c_str(), "",
                    "application/json");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(r)["state"], "waiting");
  EXPECT_EQ(Body(r)["attempts_made"], 0);

  r = client_->Post(("/api/v1/tasks/" + std::to_string(waiting) + "/unschedule").c_str(), "",
                    "application/json");
  EXPECT_EQ(r->status, 409);  // complete, not scheduled
  r = client_->Post(("/api/v1/tasks/" + std::to_string(later) + "/unqueue").c_str(), "",
                    "application/json");
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(client_->Get(("/api/v1/tasks/" + std::to_string(later)).c_str())->status, 404);

  r = client_->Delete(("/api/v1/tasks/" + std::to_string(waiting)).c_str());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(client_->Delete(("/api/v1/tasks/" + std::to_string(waiting)).c_str())->status, 404);

  EXPECT_EQ(Body(client_->Post("/api/v1/pause", "", "application/json"))["paused"], true);
  auto paused = queue().IsPaused();
  ASSERT_TRUE(paused.ok());
  EXPECT_TRUE(*paused);
}

TEST_F(ApiV1Test, ScheduleSearchLogsOutput) {
  auto r = PostJson("/api/v1/tasks", {{"command", "email later"}, {"after", 3600}});
  ASSERT_EQ(r->status, 201) << r->body;
  json result = Body(r)["results"][0];
  EXPECT_EQ(result["result"], "scheduled");
  int64_t scheduled = result["number"];
  json task = Body(client_->Get(("/api/v1/tasks/" + std::to_string(scheduled)).c_str()));
  EXPECT_EQ(task["state"], "scheduled");
  EXPECT_EQ(task["uuid"], "TQ:TaskQueue-Scheduler:" + std::to_string(scheduled));
  r = client_->Post(("/api/v1/tasks/" + std::to_string(scheduled) + "/unschedule").c_str(), "",
                    "application/json");
  EXPECT_EQ(r->status, 200) << r->body;

  int64_t id = Queue1("email findme", {{"userdata", {{"customer", "acme"}}}});
  ProcessAll();
  json found = Body(client_->Get("/api/v1/search?q=acme"));
  ASSERT_EQ(found["tasks"].size(), 1u);
  EXPECT_EQ(found["tasks"][0]["id"], id);
  json logs = Body(client_->Get(("/api/v1/tasks/" + std::to_string(id) + "/logs").c_str()));
  ASSERT_EQ(logs["lines"].size(), 1u);
  EXPECT_EQ(logs["lines"][0]["line"], "working on email");

  // Output: whatever the child wrote to the task's output file.
  {
    std::filesystem::path out = queue().OutputPath(id);
    std::filesystem::create_directories(out.parent_path());
    std::ofstream(out) << "hello\nworld\n";
  }
  r = client_->Get(("/api/v1/tasks/" + std::to_string(id) + "/output").c_str());
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello\nworld\n");
  EXPECT_EQ(r->get_header_value("X-Output-Size"), "12");
  r = client_->Get(("/api/v1/tasks/" + std::to_string(id) + "/output?offset=6").c_str());
  EXPECT_EQ(r->body, "world\n");
}

TEST_F(ApiV1Test, InfoCommandsWhoami) {
  json info = Body(client_->Get("/api/v1/info"));
  EXPECT_EQ(info["name"], "tasks");
  EXPECT_EQ(info["max_running"], 2);
  json commands = Body(client_->Get("/api/v1/commands"))["commands"];
  bool has_email = false;
  for (const json& c : commands) has_email |= c["name"] == "email" && c["registered"] == true;
  EXPECT_TRUE(has_email);
  EXPECT_EQ(Body(client_->Get("/api/v1/whoami"))["role"], "full");
}

}  // namespace
}  // namespace taskqueue::http::testing
