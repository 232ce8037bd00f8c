#include "logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <memory>

namespace taskqueue::daemon {
namespace {

// "%*": the sd-daemon.h priority prefix of the message's level.
class SdPriorityFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static constexpr const char* kPrefix[] = {"<7>", "<7>", "<6>", "<4>", "<3>", "<2>", "<6>"};
    const char* p = kPrefix[static_cast<int>(msg.level)];
    dest.append(p, p + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SdPriorityFlag>();
  }
};

}  // namespace

Status SetUpLogging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("taskqueued");
  const char* journal = ::getenv("JOURNAL_STREAM");
  if (journal != nullptr && *journal != '\0') {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<SdPriorityFlag>('*').set_pattern("%*%v");
    logger->set_formatter(std::move(formatter));
  } else {
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
  }
  spdlog::set_default_logger(logger);
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    return Status::Config("unknown log level '" + level +
                          "' (trace, debug, info, warn, error, critical, off)");
  }
  spdlog::set_level(parsed);
  spdlog::flush_on(spdlog::level::trace);
  return Status::OK();
}

}  // namespace taskqueue::daemon
