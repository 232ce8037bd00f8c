// Kue's JSON API over HTTP: the checks of Kue's own test/jsonapi.js, then
// every route's exact shapes, codes and error cases.
#include <chrono>
#include <set>

#include "http_test_fixture.h"

namespace taskqueue::http::testing {
namespace {

// Kue's jsonapi.js jobsPopulate(): type test:inserts, data {title, data}.
json Populate(int count) {
  static const int kPriorities[] = {10, 0, -5, -10, -15};
  json jobs = json::array();
  for (int i = 0; i < count; ++i) {
    jobs.push_back({{"type", "test:inserts"},
                    {"data", {{"title", i}, {"data", "test:inserts:data"}}},
                    {"options", {{"priority", kPriorities[i % 5]}}}});
  }
  return count == 1 ? jobs[0] : jobs;
}

class KueApiTest : public HttpTest {
 protected:
  void SetUp() override {
    HttpTest::SetUp();
    StartServer();
  }
};

// test/jsonapi.js, in its order, against one queue.
TEST_F(KueApiTest, KueJsonApiSuite) {
  // should insert a job and respond with an id
  auto r = PostJson("/job", Populate(1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  json one = Body(r);
  EXPECT_EQ(one["message"], "job created");
  ASSERT_TRUE(one["id"].is_number_integer());
  EXPECT_EQ(one.size(), 2u);
  int64_t job_id = one["id"];

  // should insert multiple jobs and respond with ids
  r = PostJson("/job", Populate(5));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  json created = Body(r);
  ASSERT_EQ(created.size(), 5u);
  for (const json& job : created) {
    EXPECT_EQ(job["message"], "job created");
    EXPECT_TRUE(job["id"].is_number_integer());
    EXPECT_EQ(job.size(), 2u);
  }

  // get job by id: job is inactive
  r = client_->Get(("/job/" + std::to_string(job_id)).c_str());
  ASSERT_TRUE(r);
  json job = Body(r);
  EXPECT_EQ(job["id"], std::to_string(job_id));
  EXPECT_EQ(job["type"], "test:inserts");
  EXPECT_EQ(job["state"], "inactive");

  // change state: "active" puts the job first in line (only the daemon
  // starts jobs; docs/http-api.md), and Kue's answer is the same.
  r = client_->Put(("/job/" + std::to_string(job_id) + "/state/active").c_str(), "",
                   "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r), json({{"message", "updated state"}}));
  auto next = queue().PeekNextTask();
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_EQ((*next)->id, job_id);
  r = client_->Put(("/job/" + std::to_string(job_id) + "/state/inactive").c_str(), "",
                   "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(Body(r), json({{"message", "updated state"}}));
  EXPECT_EQ(Body(client_->Get(("/job/" + std::to_string(job_id)).c_str()))["state"], "inactive");

  // delete job by id
  r = client_->Delete(("/job/" + std::to_string(job_id)).c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(Body(r), json({{"message", "job " + std::to_string(job_id) + " removed"}}));

  // search by query: not found
  r = client_->Get("/job/search");
  ASSERT_TRUE(r);
  EXPECT_EQ(Body(r), json::array());

  // search by query: found (5 left; tokens ANDed)
  r = client_->Get("/job/search?q=test:inserts:data");
  ASSERT_TRUE(r);
  json ids = Body(r);
  ASSERT_EQ(ids.size(), 5u) << r->body;
  for (const json& id : ids) EXPECT_TRUE(id.is_string());

  // range from...to
  r = client_->Get("/jobs/0..3");
  ASSERT_TRUE(r);
  EXPECT_EQ(Body(r).size(), 4u);

  // range from...to with type and state
  r = client_->Get("/jobs/test:inserts/inactive/0..20/asc");
  ASSERT_TRUE(r);
  EXPECT_EQ(Body(r).size(), 5u);

  // get stats
  r = client_->Get("/stats");
  ASSERT_TRUE(r);
  json stats = Body(r);
  for (const char* key : {"inactiveCount", "completeCount", "activeCount", "failedCount",
                          "delayedCount", "workTime"}) {
    EXPECT_TRUE(stats.contains(key)) << key;
  }
  EXPECT_EQ(stats["inactiveCount"], 5);

  // should return 204 status code when POST /job body is empty
  r = PostJson("/job", json::array());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_TRUE(r->body.empty());

  // should insert jobs including an invalid job, respond with ids and error
  json jobs = Populate(3);
  jobs[1].erase("type");
  r = PostJson("/job", jobs);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  created = Body(r);
  ASSERT_EQ(created.size(), 3u);
  EXPECT_EQ(created[0]["message"], "job created");
  EXPECT_TRUE(created[0]["id"].is_number_integer());
  EXPECT_EQ(created[0].size(), 2u);
  EXPECT_EQ(created[1], json({{"error", "Must provide job type"}}));
  EXPECT_EQ(created[2]["message"], "job created");
  EXPECT_EQ(created[2].size(), 2u);
}

TEST_F(KueApiTest, JobObjectHasKuesShapeAndKeyOrder) {
  auto r = PostJson("/job", {{"type", "email"},
                             {"data", {{"args", {"tj@example.com", "a b"}}, {"title", "welcome"}}},
                             {"options", {{"attempts", 5}, {"priority", "high"}, {"ttl", 1500}}}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  int64_t id = Body(r)["id"];

  r = client_->Get(("/job/" + std::to_string(id)).c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json; charset=utf-8");
  nlohmann::ordered_json job = nlohmann::ordered_json::parse(r->body);
  std::vector<std::string> keys;
  for (auto& [k, v] : job.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "type", "data", "priority", "progress", "state",
                                            "created_at", "promote_at", "updated_at", "ttl",
                                            "attempts"}));
  EXPECT_EQ(job["id"], std::to_string(id));
  EXPECT_EQ(job["type"], "email");
  EXPECT_EQ(job["data"], nlohmann::ordered_json::parse(
                             R"({"args":["tj@example.com","a b"],"title":"welcome"})"));
  EXPECT_EQ(job["priority"], -10);
  EXPECT_EQ(job["progress"], 0);
  EXPECT_TRUE(job["created_at"].is_string());
  EXPECT_EQ(job["ttl"], "2000");  // rounded up to whole seconds
  EXPECT_EQ(job["attempts"], nlohmann::ordered_json::parse(R"({"made":0,"remaining":5,"max":5})"));

  // The task as the library sees it.
  auto task = queue().FindTask(id);
  ASSERT_TRUE(task.ok() && task->has_value());
  EXPECT_EQ((*task)->command, "email");
  EXPECT_EQ((*task)->args, (std::vector<std::string>{"tj@example.com", "a b"}));
  EXPECT_EQ(json::parse((*task)->userdata_json), json({{"title", "welcome"}}));
  EXPECT_EQ((*task)->attempts_max, 5);
  EXPECT_EQ((*task)->timeout, 2);
}

TEST_F(KueApiTest, CompleteAndFailedJobsAfterProcessing) {
  int64_t ok = Body(PostJson("/job", {{"type", "email"}}))["id"];
  ASSERT_GT(ok, 0);
  int64_t bad = Body(PostJson("/job", {{"type", "fail"}}))["id"];
  ProcessAll();

  json done = Body(client_->Get(("/job/" + std::to_string(ok)).c_str()));
  EXPECT_EQ(done["state"], "complete");
  EXPECT_TRUE(done["duration"].is_string());
  EXPECT_TRUE(done["started_at"].is_string());
  EXPECT_EQ(done["attempts"]["made"], 1);
  EXPECT_EQ(done["attempts"]["remaining"], 0);

  json failed = Body(client_->Get(("/job/" + std::to_string(bad)).c_str()));
  EXPECT_EQ(failed["state"], "failed");
  EXPECT_TRUE(failed["failed_at"].is_string());
  EXPECT_NE(failed["error"].get<std::string>().find("it broke"), std::string::npos);

  EXPECT_EQ(Body(client_->Get(("/job/" + std::to_string(ok) + "/log").c_str())),
            json::array({"working on email"}));
  json stats = Body(client_->Get("/stats"));
  EXPECT_EQ(stats["completeCount"], 1);
  EXPECT_EQ(stats["failedCount"], 1);
  EXPECT_EQ(Body(client_->Get("/jobs/email/complete/stats")), json({{"count", 1}}));
  EXPECT_EQ(Body(client_->Get("/jobs/fail/failed/stats")), json({{"count", 1}}));
  EXPECT_EQ(Body(client_->Get("/jobs/failed/0..10")).size(), 1u);

  // Restart (GET /inactive/:id) runs the failed job again.
  auto r = client_->Get(("/inactive/" + std::to_string(bad)).c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(Body(r), json({{"message", "job " + std::to_string(bad) + " inactive"}}));
  EXPECT_EQ(Body(client_->Get(("/job/" + std::to_string(bad)).c_str()))["state"], "inactive");
  std::set<std::string> types;
  for (const json& t : Body(client_->Get("/job/types"))) types.insert(t);
  EXPECT_EQ(types, (std::set<std::string>{"email", "fail"}));
}

TEST_F(KueApiTest, PutStateMovesAJobToEveryKueState) {
  int64_t a = Body(PostJson("/job", {{"type", "email"}, {"data", {{"args", {"a"}}}}}))["id"];
  int64_t b = Body(PostJson("/job", {{"type", "email"}, {"data", {{"args", {"b"}}}}}))["id"];
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);
  auto put = [&](int64_t id, const std::string& state) {
    return Body(client_->Put(("/job/" + std::to_string(id) + "/state/" + state).c_str(), "",
                             "application/json"));
  };
  auto state_of = [&](int64_t id) {
    return Body(client_->Get(("/job/" + std::to_string(id)).c_str()))["state"];
  };
  const json updated = {{"message", "updated state"}};

  // active: first in line, still inactive until the daemon starts it.
  EXPECT_EQ(put(b, "active"), updated);
  EXPECT_EQ(state_of(b), "inactive");
  auto next = queue().PeekNextTask();
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_EQ((*next)->id, b);

  // complete and failed: finished now, without a run.
  EXPECT_EQ(put(a, "complete"), updated);
  EXPECT_EQ(state_of(a), "complete");
  EXPECT_EQ(Body(client_->Get("/stats"))["completeCount"], 1);
  EXPECT_EQ(put(a, "failed"), updated);
  json failed = Body(client_->Get(("/job/" + std::to_string(a)).c_str()));
  EXPECT_EQ(failed["state"], "failed");
  EXPECT_TRUE(failed["failed_at"].is_string());

  // delayed: to the scheduler, due now; inactive: queued again at once.
  EXPECT_EQ(put(a, "delayed"), updated);
  EXPECT_EQ(state_of(a), "delayed");
  EXPECT_EQ(Body(client_->Get("/stats"))["delayedCount"], 1);
  EXPECT_EQ(put(a, "inactive"), updated);
  EXPECT_EQ(state_of(a), "inactive");
  EXPECT_EQ(Body(client_->Get("/stats"))["delayedCount"], 0);

  // A delayed job can also be made active or finished directly.
  int64_t later =
      Body(PostJson("/job", {{"type", "email"}, {"options", {{"delay", 60000}}}}))["id"];
  EXPECT_EQ(put(later, "active"), updated);
  EXPECT_EQ(state_of(later), "inactive");
  next = queue().PeekNextTask();
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_EQ((*next)->id, later);

  // Kue did not check the name; an unknown one is refused here.
  EXPECT_EQ(put(a, "sleeping"), json({{"error", "invalid state"}}));
  EXPECT_EQ(state_of(a), "inactive");
  EXPECT_EQ(put(999, "sleeping"), json({{"error", "job \"999\" doesnt exist"}}));
  EXPECT_EQ(put(999, "complete"), json({{"error", "job \"999\" doesnt exist"}}));
}

TEST_F(KueApiTest, PutStateOfARunningJobExplainsWhy) {
  int64_t id = Body(PostJson("/job", {{"type", "email"}}))["id"];
  auto claimed = queue().ClaimNext();  // as the daemon does when it starts a run
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  ASSERT_EQ((*claimed)->id, id);
  for (const char* state : {"complete", "failed", "inactive", "delayed"}) {
    auto r = client_->Put(("/job/" + std::to_string(id) + "/state/" + state).c_str(), "",
                          "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);  // Kue style
    json body = Body(r);
    ASSERT_TRUE(body.contains("error")) << state << ": " << r->body;
    EXPECT_NE(body["error"].get<std::string>().find("is running"), std::string::npos) << r->body;
  }
  EXPECT_EQ(Body(client_->Get(("/job/" + std::to_string(id)).c_str()))["state"], "active");
  // Asking for the state it has changes nothing and is fine.
  EXPECT_EQ(Body(client_->Put(("/job/" + std::to_string(id) + "/state/active").c_str(), "",
                              "application/json")),
            json({{"message", "updated state"}}));
}

TEST_F(KueApiTest, RequestsWithNoBodyAtAllAnswerAtOnce) {
  // `curl -X POST .../job` sends neither Content-Length nor a body: Kue's 204.
  auto started = std::chrono::steady_clock::now();
  std::string response = RawRequest(
      "POST /job HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(response.rfind("HTTP/1.1 204", 0), 0u) << response;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  response = RawRequest(
      "POST /job HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: "
      "close\r\n\r\n");
  EXPECT_EQ(response.rfind("HTTP/1.1 204", 0), 0u) << response;

  // The same for `curl -X PUT` and `curl -X DELETE` on Kue's routes.
  int64_t id = Body(PostJson("/job", {{"type", "email"}}))["id"];
  const std::string path = "/job/" + std::to_string(id);
  response = RawRequest("PUT " + path +
                        "/state/complete HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(response.rfind("HTTP/1.1 200", 0), 0u) << response;
  EXPECT_NE(response.find(R"({"message":"updated state"})"), std::string::npos) << response;
  response =
      RawRequest("DELETE " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  EXPECT_NE(response.find("removed"), std::string::npos) << response;
  auto counts = queue().Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->total(), 0);
}

TEST_F(KueApiTest, RangesOrderAndStates) {
  for (int i = 0; i < 6; ++i) {
    PostJson("/job", {{"type", "email"}, {"data", {{"args", {std::to_string(i)}}}}});
  }
  json asc = Body(client_->Get("/jobs/inactive/1..3/asc"));
  ASSERT_EQ(asc.size(), 3u);
  EXPECT_LT(std::stoll(asc[0]["id"].get<std::string>()),
            std::stoll(asc[2]["id"].get<std::string>()));
  json desc = Body(client_->Get("/jobs/inactive/1..3/desc"));
  ASSERT_EQ(desc.size(), 3u);
  EXPECT_EQ(desc[0]["id"], asc[2]["id"]);                   // the same page, reversed (Kue)
  EXPECT_EQ(Body(client_->Get("/jobs/0..-1")).size(), 6u);  // Redis-style negative index
  EXPECT_EQ(Body(client_->Get("/jobs/complete/0..10")), json::array());
  EXPECT_EQ(Body(client_->Get("/jobs/nosuchstate/0..10")), json::array());
  EXPECT_EQ(Body(client_->Get("/jobs/email/inactive/stats")), json({{"count", 6}}));

  // Delayed jobs: options.delay schedules them.
  auto r = PostJson("/job", {{"type", "email"}, {"options", {{"delay", 60000}}}});
  int64_t delayed = Body(r)["id"];
  json job = Body(client_->Get(("/job/" + std::to_string(delayed)).c_str()));
  EXPECT_EQ(job["state"], "delayed");
  EXPECT_TRUE(job["delay"].is_string());
  EXPECT_EQ(Body(client_->Get("/stats"))["delayedCount"], 1);
  EXPECT_EQ(Body(client_->Get("/jobs/delayed/0..10")).size(), 1u);
}

TEST_F(KueApiTest, PriorityRoute) {
  int64_t id = Body(PostJson("/job", {{"type", "email"}}))["id"];
  std::string base = "/job/" + std::to_string(id) + "/priority/";
  EXPECT_EQ(Body(client_->Put((base + "-10").c_str(), "", "application/json")),
            json({{"message", "updated priority"}}));
  EXPECT_EQ(Body(client_->Get(("/job/" + std::to_string(id)).c_str()))["priority"], -10);
  auto r = client_->Put((base + "high").c_str(), "", "application/json");
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r), json({{"error", "invalid priority"}}));
  EXPECT_EQ(Body(client_->Put("/job/999/priority/5", "", "application/json")),
            json({{"error", "job \"999\" doesnt exist"}}));
}

TEST_F(KueApiTest, ErrorsAreHttp200WithKuesMessages) {
  for (const char* path : {"/job/999", "/job/abc"}) {
    auto r = client_->Get(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    std::string id = std::string(path).substr(5);
    EXPECT_EQ(Body(r), json({{"error", "job \"" + id + "\" doesnt exist"}}));
  }
  auto r = client_->Delete("/job/999");
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r), json({{"error", "job \"999\" doesnt exist"}}));
  EXPECT_EQ(Body(client_->Get("/inactive/999")), json({{"error", "job \"999\" doesnt exist"}}));
  EXPECT_EQ(Body(client_->Get("/job/999/log")), json::array());
}

TEST_F(KueApiTest, PostJobErrorsAndMapping) {
  // Unknown processor: refused at enqueue (docs/http-api.md).
  auto r = PostJson("/job", {{"type", "nosuch"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r), json({{"error", "No known processor for 'nosuch'."}}));

  r = PostJson("/job", json::array({{{"type", "email"}}, {{"type", "nosuch"}}}));
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r)[1], json({{"error", "No known processor for 'nosuch'."}}));
  EXPECT_EQ(Body(r)[0]["message"], "job created");

  // Empty object and blank body: 204, nothing stored.
  EXPECT_EQ(PostJson("/job", json::object())->status, 204);
  EXPECT_EQ(client_->Post("/job", "", "application/json")->status, 204);

  struct Case {
    std::string body;
    std::string error;
  } cases[] = {
      {R"({"type": 5})", "Job type must be a string"},
      {R"({"type": "two words"})",
       "Invalid job type 'two words': a type is a command name and has no spaces"},
      {R"({"type": "email", "data": [1]})", "Job data must be an object"},
      {R"({"type": "email", "data": {"args": "x"}})", "data.args must be an array of strings"},
      {R"({"type": "email", "data": {"args": [1]}})",
       "data.args must be an array of strings, not 1"},
      {R"({"type": "email", "options": {"attempts": "many"}})",
       "options.attempts must be a positive integer"},
      {R"({"type": "email", "options": {"priority": "urgent"}})",
       "options.priority: invalid priority 'urgent' (a number, or low, normal, medium, high, "
       "critical)"},
      {R"({"type": "email", "options": {"backoff": {"type": "linear"}}})",
       "options.backoff.type must be \"fixed\" or \"exponential\", not \"linear\""},
      {R"({"type": "email", "options": {"delay": "soon"}})",
       "options.delay must be a number of milliseconds"},
      {R"(["x"])", "Must provide job type"},
  };
  for (const Case& c : cases) {
    r = client_->Post("/job", c.body, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << c.body;
    json body = Body(r);
    if (body.is_array()) body = body[0];
    EXPECT_EQ(body, json({{"error", c.error}})) << c.body;
  }
  // JSON can carry a NUL byte in an arg; no program argument can.
  r = client_->Post("/job", R"({"type": "email", "data": {"args": ["2\u0000; rm -rf /"]}})",
                    "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(Body(r)["error"].get<std::string>().find("NUL byte"), std::string::npos) << r->body;
  // Nested data is not a flat userdata object.
  r = client_->Post("/job", R"({"type": "email", "data": {"to": {"name": "tj"}}})",
                    "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(Body(r)["error"].get<std::string>().rfind("Job data: ", 0) == 0) << r->body;

  r = client_->Post("/job", "{not json", "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r), json({{"error", "Invalid JSON in request body"}}));
  r = client_->Post("/job", "42", "application/json");
  EXPECT_EQ(r->status, 400);
  r = client_->Post("/job", "type=email", "application/x-www-form-urlencoded");
  EXPECT_EQ(r->status, 415);

  // Only the one good job of the bulk request above was stored.
  auto counts = queue().Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->total(), 1);
}

TEST_F(KueApiTest, OptionsMapToTaskOptions) {
  auto r = PostJson("/job", {{"type", "email"},
                             {"options",
                              {{"priority", 7},
                               {"attempts", "3"},
                               {"backoff", {{"type", "exponential"}, {"delay", 2500}}},
                               {"removeOnComplete", true},
                               {"searchKeys", {"to"}}}}});
  ASSERT_EQ(r->status, 200) << r->body;
  auto task = queue().FindTask(Body(r)["id"].get<int64_t>());
  ASSERT_TRUE(task.ok() && task->has_value());
  EXPECT_EQ((*task)->priority, 7);
  EXPECT_EQ((*task)->attempts_max, 3);
  EXPECT_EQ((*task)->backoff.ToString(), "exponential:3");
  EXPECT_TRUE((*task)->remove_on_complete);

  r = PostJson("/job", {{"type", "email"},
                        {"data", {{"args", {"other"}}}},
                        {"options", {{"backoff", true}, {"attempts", 2}}}});
  ASSERT_EQ(r->status, 200) << r->body;
  task = queue().FindTask(Body(r)["id"].get<int64_t>());
  ASSERT_TRUE(task.ok() && task->has_value()) << r->body << task.status().ToString();
  EXPECT_EQ((*task)->backoff.ToString(), "fixed:1");
}

TEST_F(KueApiTest, DuplicateReturnsTheExistingJob) {
  json job = {{"type", "email"}, {"data", {{"args", {"same"}}}}};
  int64_t first = Body(PostJson("/job", job))["id"];
  auto r = PostJson("/job", job);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(Body(r), json({{"message", "job duplicate"}, {"id", first}}));
}

TEST_F(KueApiTest, RoutesNeedJsonAcceptance) {
  auto r = client_->Get("/stats", {{"Accept", "text/html"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  r = client_->Get("/stats", {{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}});
  EXPECT_EQ(r->status, 200);
}

}  // namespace
}  // namespace taskqueue::http::testing
