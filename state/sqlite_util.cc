#include "state/sqlite_util.h"

#include <nlohmann/json.hpp>

namespace taskqueue::state {

SQLite::Statement& StatementCache::Get(const std::string& sql) {
  return Find(sql, /*clear_bindings=*/true);
}

SQLite::Statement& StatementCache::GetToRebind(const std::string& sql) {
  return Find(sql, /*clear_bindings=*/false);
}

SQLite::Statement& StatementCache::Find(const std::string& sql, bool clear_bindings) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    it = cache_.emplace(sql, std::make_unique<SQLite::Statement>(db_, sql)).first;
  } else {
    it->second->reset();
    if (clear_bindings) it->second->clearBindings();
  }
  handed_out_.push_back(it->second.get());
  return *it->second;
}

void StatementCache::ResetAll() {
  for (SQLite::Statement* stmt : handed_out_) stmt->tryReset();
  handed_out_.clear();
}

const char* const kTaskColumns =
    "id, ns, command, argstring, args, dupe_key, state, priority, seq, attempts_made, "
    "attempts_max, backoff, timeout, userdata, remove_on_complete, created_at, run_at, "
    "started_at, finished_at, exit_status, term_signal, error, result, progress, "
    "progress_data, pid, pid_start_time, boot_id, runner_pid, tags";
const char* const kTaskPlaceholders =
    "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?";

const char* const kTasksTableSql = R"sql(
CREATE TABLE tasks(
  id INTEGER PRIMARY KEY,
  ns TEXT NOT NULL,
  command TEXT NOT NULL,
  argstring TEXT NOT NULL,
  args TEXT NOT NULL,
  dupe_key TEXT NOT NULL,
  state INTEGER NOT NULL,
  priority INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  attempts_made INTEGER NOT NULL,
  attempts_max INTEGER NOT NULL,
  backoff TEXT NOT NULL,
  timeout INTEGER NOT NULL,
  userdata TEXT NOT NULL,
  remove_on_complete INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  run_at INTEGER,
  started_at INTEGER,
  finished_at INTEGER,
  exit_status INTEGER,
  term_signal INTEGER,
  error TEXT NOT NULL,
  result TEXT NOT NULL,
  progress INTEGER NOT NULL,
  progress_data TEXT NOT NULL,
  pid INTEGER NOT NULL,
  pid_start_time INTEGER NOT NULL,
  boot_id TEXT NOT NULL,
  runner_pid INTEGER NOT NULL,
  tags TEXT NOT NULL
);
CREATE INDEX tasks_state_id ON tasks(state, id);
-- Counts per command and state, so that counting stays constant-time
-- however much history is kept: inserts and deletes are counted by the
-- triggers below, changes of state by the code that makes them
-- (SqliteTaskTable::Update, since version 5). work_ms (queue file, state
-- processing rows only) sums the run time of the command's finished runs:
-- a finish changes its processing row anyway, so the total costs no page
-- of its own in the commit.
CREATE TABLE counts(command TEXT NOT NULL, state INTEGER NOT NULL, n INTEGER NOT NULL,
                    work_ms INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY(command, state)) WITHOUT ROWID;
CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks BEGIN
  INSERT INTO counts(command, state, n) VALUES (NEW.command, NEW.state, 1)
    ON CONFLICT(command, state) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks BEGIN
  UPDATE counts SET n = n - 1 WHERE command = OLD.command AND state = OLD.state;
END;
)sql";

namespace {

std::optional<int64_t> OptInt(SQLite::Statement& row, int col) {
  auto c = row.getColumn(col);
  if (c.isNull()) return std::nullopt;
  return c.getInt64();
}

// Printable ASCII that a JSON string holds as it is: no quote, backslash
// or control character, nothing to escape or to check as UTF-8.
bool IsPlainJsonChar(unsigned char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; }

bool IsPlain(const std::string& s) {
  for (unsigned char c : s) {
    if (!IsPlainJsonChar(c)) return false;
  }
  return true;
}

// `text` as an array of plain strings ("[]", "[\"a\",\"b c\"]"), the way
// EncodeStrings writes them; false for anything else.
bool DecodePlainStrings(const std::string& text, std::vector<std::string>* out) {
  const size_t n = text.size();
  if (n < 2 || text[0] != '[' || text[n - 1] != ']') return false;
  if (n == 2) return true;
  size_t i = 1;
  for (;;) {
    if (text[i] != '"') return false;
    const size_t begin = ++i;
    while (i < n && IsPlainJsonChar(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= n || text[i] != '"') return false;
    out->emplace_back(text, begin, i - begin);
    ++i;
    if (i == n - 1) return true;  // the closing ']'
    if (text[i] != ',') return false;
    ++i;
  }
}

template <typename T>
void BindOpt(SQLite::Statement& s, int i, const std::optional<T>& v) {
  if (v) {
    s.bind(i, static_cast<int64_t>(*v));
  } else {
    s.bind(i);  // NULL
  }
}

}  // namespace

std::string EncodeStrings(const std::vector<std::string>& strings) {
  bool plain = true;
  for (const auto& s : strings) plain = plain && IsPlain(s);
  if (!plain) {
    return nlohmann::json(strings).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string out = "[";
  for (const auto& s : strings) {
    if (out.size() > 1) out += ',';
    out += '"';
    out += s;
    out += '"';
  }
  out += ']';
  return out;
}

std::vector<std::string> DecodeStrings(const std::string& text) {
  std::vector<std::string> out;
  if (text.empty() || DecodePlainStrings(text, &out)) return out;
  out.clear();
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (auto& v : j) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

Task TaskFromRow(SQLite::Statement& r) {
  Task t;
  t.id = r.getColumn(0).getInt64();
  t.ns = r.getColumn(1).getString();
  t.command = r.getColumn(2).getString();
  t.argstring = r.getColumn(3).getString();
  t.args = DecodeStrings(r.getColumn(4).getString());
  // column 5 is dupe_key: internal to the store.
  t.state = static_cast<TaskState>(r.getColumn(6).getInt());
  t.priority = r.getColumn(7).getInt();
  t.seq = r.getColumn(8).getInt64();
  t.attempts_made = r.getColumn(9).getInt();
  t.attempts_max = r.getColumn(10).getInt();
  auto backoff = Backoff::Parse(r.getColumn(11).getString());
  if (backoff.ok()) t.backoff = *backoff;
  t.timeout = r.getColumn(12).getInt64();
  t.userdata_json = r.getColumn(13).getString();
  t.remove_on_complete = r.getColumn(14).getInt() != 0;
  t.created_at = r.getColumn(15).getInt64();
  t.run_at = OptInt(r, 16);
  t.started_at = OptInt(r, 17);
  t.finished_at = OptInt(r, 18);
  if (auto v = OptInt(r, 19)) t.exit_status = static_cast<int>(*v);
  if (auto v = OptInt(r, 20)) t.term_signal = static_cast<int>(*v);
  t.error = r.getColumn(21).getString();
  t.result = r.getColumn(22).getString();
  t.progress = r.getColumn(23).getInt();
  t.progress_data = r.getColumn(24).getString();
  t.pid = r.getColumn(25).getInt64();
  t.pid_start_time = r.getColumn(26).getInt64();
  t.boot_id = r.getColumn(27).getString();
  t.runner_pid = r.getColumn(28).getInt64();
  t.deferral_tags = DecodeStrings(r.getColumn(29).getString());
  return t;
}

void BindTaskForUpdate(SQLite::Statement& s, const Task& t) {
  // The task's own strings are bound without a copy: the caller runs the
  // statement while `t` lives, and rebinds them before its next run.
  s.bind(1, t.id);
  s.bindNoCopy(2, t.ns);
  s.bind(7, static_cast<int>(t.state));
  s.bind(8, t.priority);
  s.bind(9, t.seq);
  s.bind(10, t.attempts_made);
  s.bind(11, t.attempts_max);
  s.bind(12, t.backoff.ToString());
  s.bind(13, t.timeout);
  if (t.userdata_json.empty()) {
    s.bindNoCopy(14, "{}");
  } else {
    s.bindNoCopy(14, t.userdata_json);
  }
  s.bind(15, t.remove_on_complete ? 1 : 0);
  BindOpt(s, 17, t.run_at);
  BindOpt(s, 18, t.started_at);
  BindOpt(s, 19, t.finished_at);
  BindOpt(s, 20, t.exit_status);
  BindOpt(s, 21, t.term_signal);
  s.bindNoCopy(22, t.error);
  s.bindNoCopy(23, t.result);
  s.bind(24, t.progress);
  s.bindNoCopy(25, t.progress_data);
  s.bind(26, t.pid);
  s.bind(27, t.pid_start_time);
  s.bindNoCopy(28, t.boot_id);
  s.bind(29, t.runner_pid);
  s.bind(30, EncodeStrings(t.deferral_tags));
}

void BindTask(SQLite::Statement& s, const Task& t, const std::string& dupe_key) {
  BindTaskForUpdate(s, t);
  s.bind(3, t.command);
  s.bind(4, t.argstring);
  s.bind(5, EncodeStrings(t.args));
  s.bind(6, dupe_key);
  s.bind(16, t.created_at);
}

}  // namespace taskqueue::state
