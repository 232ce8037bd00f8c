// Status rendering and code names (used verbatim in JSON error objects).
#include "taskqueue/status.h"

#include <gtest/gtest.h>

namespace taskqueue {
namespace {

TEST(StatusTest, OkStatus) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_STREQ(s.CodeName(), "ok");
}

TEST(StatusTest, CodeNamesAndText) {
  struct Row {
    Status status;
    const char* name;
    const char* text;
  };
  const Row rows[] = {
      {Status::NotFound("task 7"), "not_found", "Not found: task 7"},
      {Status::InvalidArgument("x"), "invalid_argument", "Invalid argument: x"},
      {Status::Busy("x"), "busy", "Busy: x"},
      {Status::IOError("x"), "io_error", "IO error: x"},
      {Status::Corruption("x"), "corruption", "Corruption: x"},
      {Status::NotSupported("x"), "not_supported", "Not supported: x"},
      {Status::Aborted("x"), "aborted", "Aborted: x"},
      {Status::Config("x"), "config", "Configuration error: x"},
  };
  for (const Row& row : rows) {
    EXPECT_FALSE(row.status.ok());
    EXPECT_STREQ(row.status.CodeName(), row.name);
    EXPECT_EQ(row.status.ToString(), row.text);
  }
}

TEST(StatusTest, ResultCarriesValueOrError) {
  Result<int> good(5);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 5);
  EXPECT_TRUE(good.status().ok());
  Result<int> bad(Status::NotFound("nope"));
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "nope");
}

}  // namespace
}  // namespace taskqueue
