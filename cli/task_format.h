// How taskqueuectl shows tasks: the JSON task object of SPEC §5 and the
// human forms (a table row, a verbose record).
//
// Thread-safety: pure functions over values.
#ifndef TASKQUEUE_CLI_TASK_FORMAT_H_
#define TASKQUEUE_CLI_TASK_FORMAT_H_

#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

#include "output.h"
#include "taskqueue/event.h"
#include "taskqueue/task.h"

namespace taskqueue::cli {

// The task object: id (the full "TQ:<ns>:<n>"), number, command, args,
// state, priority, attempts_made, attempts_max, created_at, run_at,
// started_at, finished_at (integer Unix seconds or null), exit_status,
// term_signal, error, result, progress, progress_data, backoff, timeout,
// userdata, pid. With `logs`, also "logs": [{"time", "line"}].
nlohmann::json TaskToJson(const Task& task, const std::vector<LogLine>* logs = nullptr);
nlohmann::json LogLineToJson(const LogLine& line);

// The colour a state is shown in.
Color StateColor(TaskState state);

// The table of tasks: ID, STATE, PRI, ATTEMPTS, CREATED, RUN AT, FINISHED,
// COMMAND.
Table TaskTable();
void AddTaskRow(Table& table, const Task& task);

// Every field of one task on its own line, then its last log lines.
void PrintTaskRecord(std::ostream& out, const Task& task, const std::vector<LogLine>& logs);

// "TQ:TaskQueue:3 failed (exit status 3)" and friends.
std::string DescribeOutcome(const Task& task);

}  // namespace taskqueue::cli

#endif  // TASKQUEUE_CLI_TASK_FORMAT_H_
