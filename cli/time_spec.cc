#include "time_spec.h"

#include <time.h>

#include <cctype>
#include <limits>
#include <optional>
#include <string>

namespace taskqueue::cli {
namespace {

constexpr int64_t kMaxSeconds = 100LL * 366 * 24 * 3600;  // a century is plenty

// Reads digits at text[*pos...]; false when there are none or too many.
bool ReadNumber(std::string_view text, size_t* pos, int64_t* out, size_t max_digits = 12) {
  size_t start = *pos;
  int64_t v = 0;
  while (*pos < text.size() && std::isdigit(static_cast<unsigned char>(text[*pos]))) {
    if (*pos - start >= max_digits) return false;
    v = v * 10 + (text[*pos] - '0');
    ++*pos;
  }
  if (*pos == start) return false;
  *out = v;
  return true;
}

// Exactly `digits` digits.
bool ReadFixed(std::string_view text, size_t* pos, size_t digits, int* out) {
  if (*pos + digits > text.size()) return false;
  int v = 0;
  for (size_t i = 0; i < digits; ++i) {
    char c = text[*pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + (c - '0');
  }
  *pos += digits;
  *out = v;
  return true;
}

bool Expect(std::string_view text, size_t* pos, char c) {
  if (*pos < text.size() && text[*pos] == c) {
    ++*pos;
    return true;
  }
  return false;
}

Status BadDelay(std::string_view text) {
  return Status::InvalidArgument("Invalid delay '" + std::string(text) +
                                 "': use seconds or a number with a unit s, m, h, d or w "
                                 "(e.g. 90, 10m, 2h, 1d, 1h30m)");
}

Status BadTime(std::string_view text, const std::string& why = "") {
  return Status::InvalidArgument(
      "Invalid time '" + std::string(text) + "'" + (why.empty() ? "" : " (" + why + ")") +
      ": use seconds since the epoch or YYYY-MM-DDTHH:MM[:SS] (local time), optionally "
      "followed by Z or +HH:MM");
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil), so that UTC times need neither timegm nor TZ tricks.
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int DaysInMonth(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return kDays[m - 1];
}

}  // namespace

Result<int64_t> ParseDelay(std::string_view text) {
  if (text.empty()) return BadDelay(text);
  size_t pos = 0;
  int64_t total = 0;
  bool bare = true;
  while (pos < text.size()) {
    int64_t n = 0;
    if (!ReadNumber(text, &pos, &n)) return BadDelay(text);
    int64_t unit = 1;
    if (pos < text.size()) {
      bare = false;
      switch (std::tolower(static_cast<unsigned char>(text[pos]))) {
        case 's':
          unit = 1;
          break;
        case 'm':
          unit = 60;
          break;
        case 'h':
          unit = 3600;
          break;
        case 'd':
          unit = 86400;
          break;
        case 'w':
          unit = 7 * 86400;
          break;
        default:
          return BadDelay(text);
      }
      ++pos;
    } else if (!bare) {
      return BadDelay(text);  // "1h30": the last number needs its unit too
    }
    if (n > kMaxSeconds / unit) return BadDelay(text);
    total += n * unit;
    if (total > kMaxSeconds) return BadDelay(text);
  }
  return total;
}

Result<int64_t> ParseAbsoluteTime(std::string_view text) {
  if (text.empty()) return BadTime(text);
  bool all_digits = true;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) all_digits = false;
  }
  if (all_digits) {
    size_t pos = 0;
    int64_t secs = 0;
    if (!ReadNumber(text, &pos, &secs, 12)) return BadTime(text, "too large");
    return secs * 1000;
  }

  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadFixed(text, &pos, 4, &year) || !Expect(text, &pos, '-') ||
      !ReadFixed(text, &pos, 2, &month) || !Expect(text, &pos, '-') ||
      !ReadFixed(text, &pos, 2, &day)) {
    return BadTime(text);
  }
  if (pos < text.size()) {
    if (!Expect(text, &pos, 'T') && !Expect(text, &pos, 't') && !Expect(text, &pos, ' ')) {
      return BadTime(text);
    }
    if (!ReadFixed(text, &pos, 2, &hour) || !Expect(text, &pos, ':') ||
        !ReadFixed(text, &pos, 2, &minute)) {
      return BadTime(text);
    }
    if (Expect(text, &pos, ':') && !ReadFixed(text, &pos, 2, &second)) return BadTime(text);
  }
  if (month < 1 || month > 12) return BadTime(text, "no month " + std::to_string(month));
  if (day < 1 || day > DaysInMonth(year, month)) {
    return BadTime(text, "no day " + std::to_string(day) + " in that month");
  }
  if (hour > 23 || minute > 59 || second > 59) return BadTime(text, "time of day out of range");

  // Zone: none (local), Z, or ±HH:MM / ±HHMM.
  std::optional<int64_t> offset_secs;
  if (pos < text.size()) {
    char c = text[pos++];
    if (c == 'Z' || c == 'z') {
      offset_secs = 0;
    } else if (c == '+' || c == '-') {
      int oh = 0, om = 0;
      if (!ReadFixed(text, &pos, 2, &oh)) return BadTime(text);
      Expect(text, &pos, ':');
      if (!ReadFixed(text, &pos, 2, &om)) return BadTime(text);
      if (oh > 23 || om > 59) return BadTime(text, "bad UTC offset");
      offset_secs = (c == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    } else {
      return BadTime(text);
    }
    if (pos != text.size()) return BadTime(text);
  }

  int64_t secs = 0;
  if (offset_secs) {
    secs =
        DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - *offset_secs;
  } else {
    struct tm tm = {};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    tm.tm_isdst = -1;  // let the zone rules decide
    time_t t = mktime(&tm);
    if (t == static_cast<time_t>(-1)) return BadTime(text, "not representable in local time");
    secs = t;
  }
  if (secs < 0) return BadTime(text, "before 1970");
  return secs * 1000;
}

}  // namespace taskqueue::cli
