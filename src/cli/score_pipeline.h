// The pipeline of `callguard score`: four threads hand batches of calls along bounded queues.
//
//   reader (cg-reader): decompress, split, validate, normalise numbers; rejects to the reject log
//   Engine::Prepare (cg-prepare): the shared state's facts, the detectors that learn nothing
//   Engine::Complete (the calling thread): the learning detectors and the policy
//   writer (cg-writer): verdict JSON, reason counts
//
// Each engine stage takes the calls strictly in input order (docs/architecture.md). Batches are
// recycled, so memory stays flat however large the input.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "callguard/status.h"
#include "core/number.h"
#include "engine/engine.h"
#include "engine/verdict_writer.h"
#include "ingest/cdr_reader.h"
#include "ingest/reject_log.h"

namespace callguard {

struct ScoreRun {
  // What the readers saw.
  Status read_status;                 // the first input that failed, or ok
  std::vector<std::string> messages;  // out-of-order and unknown-column reports
  uint64_t records = 0, accepted = 0, out_of_order = 0;
  NormaliserStats norm;
  // What was scored.
  uint64_t scored = 0;
  double seconds = 0;  // wall time of the pipeline
  std::unordered_map<std::string_view, uint64_t> reason_counts;
  // CPU time of each thread, in seconds.
  double reader_cpu = 0, prepare_cpu = 0, complete_cpu = 0, writer_cpu = 0;
};

// Scores every record of `readers`, in order, into `writer`; rejected records go to `rejects`.
// Does not close the writer or the reject log. `progress_bar` draws on standard error.
ScoreRun RunScorePipeline(std::vector<std::unique_ptr<CdrReader>>& readers, Normaliser& norm,
                          Engine& engine, VerdictWriter& writer, RejectLog& rejects,
                          double reorder_tolerance_s, bool progress_bar);

// 1234567 -> "1.23M", 12345 -> "12.3k".
std::string HumanCount(double v);

}  // namespace callguard
