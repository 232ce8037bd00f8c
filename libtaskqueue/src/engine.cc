#include "engine.h"

#include <nlohmann/json.hpp>
#include <regex>

namespace taskqueue {
namespace {

bool ValidName(const std::string& name) {
  static const std::regex kName("^[A-Za-z0-9_.-]+$");
  return !name.empty() && name.size() <= 200 && name[0] != '.' &&
         std::regex_match(name, kName);
}

// Settings given when opening, stored so that every other opener sees them.
Status StoreGivenSettings(state::QueueTxn& txn, const QueueOptions& o) {
  const std::pair<const char*, const std::optional<int64_t>*> given[] = {
      {"max_running", &o.max_running},
      {"default_timeout", &o.default_timeout},
      {"max_timeout", &o.max_timeout},
      {"default_child_timeout", &o.default_child_timeout},
  };
  for (const auto& [key, value] : given) {
    if (!value->has_value()) continue;
    if (**value <= 0) {
      return Status::InvalidArgument(std::string("Invalid value for ") + key + ": " +
                                     std::to_string(**value) + " (must be a positive integer)");
    }
    txn.SetMeta(key, std::to_string(**value));
  }
  return Status::OK();
}

}  // namespace

std::string DupeKey(const std::string& command, const std::vector<std::string>& args) {
  nlohmann::json j = nlohmann::json::array();
  j.push_back(command);
  for (const auto& a : args) j.push_back(a);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Status CheckQueueName(const std::string& name) {
  if (name.empty()) return Status::InvalidArgument("No queue name supplied.");
  if (!ValidName(name)) {
    return Status::InvalidArgument("Invalid queue name '" + name +
                                   "': use letters, digits, '_', '-' and '.'");
  }
  return Status::OK();
}

Engine::Engine(QueueOptions options, std::unique_ptr<state::Store> store)
    : options_(std::move(options)),
      output_prefix_((options_.state_dir / (options_.name + ".output")).string() + '/'),
      store_(std::move(store)) {
  registry_ = options_.registry ? options_.registry : std::make_shared<ProcessorRegistry>();
  options_.registry = registry_;
  clock_ = options_.clock ? options_.clock : Clock::System();
}

Result<std::shared_ptr<Engine>> Engine::Open(const QueueOptions& options) {
  if (options.state_dir.empty()) return Status::InvalidArgument("No state directory supplied.");
  TQ_RETURN_IF_ERROR(CheckQueueName(options.name));
  state::StoreOptions so;
  so.state_dir = options.state_dir;
  so.name = options.name;
  so.durability = options.durability;
  so.recover = options.recover;
  so.on_moved_aside = options.on_moved_aside;
  so.busy_timeout = options.busy_timeout;
  so.sqlite_memory_statistics = options.sqlite_memory_statistics;
  auto store = state::Store::OpenSqlite(so);
  if (!store.ok()) return store.status();
  std::shared_ptr<Engine> engine(new Engine(options, std::move(store).value()));
  if (options.max_running || options.default_timeout || options.max_timeout ||
      options.default_child_timeout) {
    TQ_RETURN_IF_ERROR(engine->store().WithQueue(
        true, [&](state::QueueTxn& txn) { return StoreGivenSettings(txn, options); }));
  }
  return engine;
}

std::filesystem::path Engine::OutputDir() const {
  return options_.state_dir / (options_.name + ".output");
}

std::filesystem::path Engine::OutputPath(int64_t id) const {
  return output_prefix_ + std::to_string(id) + ".log";
}

QueueSettings Engine::SettingsFrom(state::QueueTxn& txn) { return SettingsFrom(txn.AllMeta()); }

QueueSettings Engine::SettingsFrom(const std::map<std::string, std::string>& meta) {
  QueueSettings s;
  for (const auto& key : QueueSettings::Keys()) {
    auto v = meta.find(key);
    // A stored value is used only if it is valid, as in cPanel.
    if (v != meta.end()) (void)s.Set(key, v->second);
  }
  return s;
}

Result<QueueSettings> Engine::Settings() {
  QueueSettings out;
  Status st = store_->WithQueue(false, [&](state::QueueTxn& txn) {
    out = SettingsFrom(txn);
    return Status::OK();
  });
  if (!st.ok()) return st;
  return out;
}

Status Engine::SetSetting(const std::string& key, const std::string& value) {
  QueueSettings check;
  TQ_RETURN_IF_ERROR(check.Set(key, value));
  return store_->WithQueue(true, [&](state::QueueTxn& txn) {
    txn.SetMeta(key, std::to_string(*check.Get(key)));
    return Status::OK();
  });
}

Status Engine::SetPaused(bool paused) {
  return store_->WithQueue(true, [&](state::QueueTxn& txn) {
    txn.SetMeta("paused", paused ? "1" : "0");
    Emit(txn, paused ? "paused" : "unpaused", 0);
    return Status::OK();
  });
}

void Engine::Emit(state::QueueTxn& txn, const std::string& type, int64_t task_id,
                  const nlohmann::json& data) {
  txn.AddEvent(type, task_id, Now(),
               data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string Engine::SearchText(const Task& task) {
  std::string text = task.command;
  for (const auto& a : task.args) text += " " + a;
  if (!task.userdata_json.empty() && task.userdata_json != "{}") {
    auto j = nlohmann::json::parse(task.userdata_json, nullptr, false);
    if (j.is_object()) {
      for (auto& [k, v] : j.items()) {
        text += " " + k + " " + (v.is_string() ? v.get<std::string>() : v.dump());
      }
    }
  }
  if (!task.error.empty()) text += " " + task.error;
  return text;
}

void Engine::ResumeDeferred(state::QueueTxn& txn) {
  for (auto& t : txn.InState(TaskState::kDeferred, 0)) {
    t.state = TaskState::kWaiting;
    txn.Update(t);
    Emit(txn, "resumed", t.id);
  }
}

}  // namespace taskqueue
