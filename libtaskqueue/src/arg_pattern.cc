#include "arg_pattern.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace taskqueue {
namespace {

pcre2_code* Code(void* p) { return static_cast<pcre2_code*>(p); }

// Frees match data when a match ends, however it ends.
struct MatchDataDeleter {
  void operator()(pcre2_match_data* d) const { pcre2_match_data_free(d); }
};

}  // namespace

Result<std::shared_ptr<const ArgPattern>> ArgPattern::Compile(const std::string& pattern) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  // Bytes, not UTF-8: args are arbitrary bytes and must never make a match
  // fail with an encoding error.
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), 0,
                                   &error, &offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof(message));
    return Status::InvalidArgument(std::string(reinterpret_cast<char*>(message)) + " at offset " +
                                   std::to_string(offset));
  }
  return std::shared_ptr<const ArgPattern>(new ArgPattern(pattern, code));
}

ArgPattern::~ArgPattern() { pcre2_code_free(Code(code_)); }

bool ArgPattern::Matches(std::string_view text) const {
  std::unique_ptr<pcre2_match_data, MatchDataDeleter> data(
      pcre2_match_data_create_from_pattern(Code(code_), nullptr));
  if (data == nullptr) return false;
  int rc = pcre2_match(Code(code_), reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0,
                       PCRE2_ANCHORED | PCRE2_ENDANCHORED, data.get(), nullptr);
  return rc >= 0;
}

}  // namespace taskqueue
