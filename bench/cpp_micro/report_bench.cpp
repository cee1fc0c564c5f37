// Report generation for a profile of one million samples: the .pyro is written once by the
// real ProfileWriter from an aggregation of 1M synthetic samples; each iteration then runs
// pyrometer-report's code in process (read, line model, symbolization attempt, writers).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "profile_reader.h"
#include "profile_writer.h"
#include "report_command.h"
#include "sample_factory.h"

namespace pyro::bench {
namespace {

std::string scratch_dir() {
  static std::string dir = [] {
    char tmpl[] = "/tmp/pyro-micro-XXXXXX";
    const char* made = mkdtemp(tmpl);
    return std::string(made ? made : "/tmp");
  }();
  return dir;
}

// The profile of 1M samples over `distinct` stacks, written once per size.
const std::string& profile_path(uint64_t distinct) {
  static std::map<uint64_t, std::string> paths;
  auto it = paths.find(distinct);
  if (it != paths.end()) return it->second;
  FunctionTable functions;
  functions.init(1 << 14, 1 << 22);
  SampleFactory factory(functions, 20, 25);
  Aggregator aggregator(format::Mode::kCpu, 0);
  aggregator.set_eval_loop(kFakeEvalLoop);
  aggregate(aggregator, factory, 1'000'000, distinct, 24, 4, true);
  RunInfo run;
  run.pid = 4242;
  run.interval_ns = 10'000'000;
  run.duration_ns = 10'000'000'000ull;
  std::string path = scratch_dir() + "/million-" + std::to_string(distinct) + ".pyro";
  std::string error = ProfileWriter::write(path, run, {{"argv", "app.py"}}, aggregator, functions);
  if (!error.empty()) {
    std::fprintf(stderr, "cannot write the benchmark profile: %s\n", error.c_str());
    std::exit(1);
  }
  return paths.emplace(distinct, path).first->second;
}

void run_report(benchmark::State& state, const std::vector<std::string>& outputs) {
  const std::string& profile = profile_path(static_cast<uint64_t>(state.range(0)));
  std::vector<std::string> args{profile};
  args.insert(args.end(), outputs.begin(), outputs.end());
  std::FILE* sink = std::fopen("/dev/null", "w");
  for (auto _ : state) {
    int status = report::run_report_command(args, sink, sink);
    if (status != 0) {
      state.SkipWithError("pyrometer-report failed");
      break;
    }
  }
  std::fclose(sink);
  state.counters["profile_bytes"] = [&] {
    std::FILE* f = std::fopen(profile.c_str(), "rb");
    if (!f) return 0.0;
    std::fseek(f, 0, SEEK_END);
    double size = static_cast<double>(std::ftell(f));
    std::fclose(f);
    return size;
  }();
}

void BM_ReadProfile(benchmark::State& state) {
  const std::string& profile = profile_path(static_cast<uint64_t>(state.range(0)));
  for (auto _ : state) {
    report::Profile p = report::ProfileReader::read_file(profile);
    benchmark::DoNotOptimize(&p);
  }
}
BENCHMARK(BM_ReadProfile)->ArgName("distinct")->Arg(2000)->Arg(50000)->Unit(benchmark::kMillisecond);

void BM_ReportJson(benchmark::State& state) { run_report(state, {"--json", scratch_dir() + "/out.json"}); }
BENCHMARK(BM_ReportJson)->ArgName("distinct")->Arg(2000)->Arg(50000)->Unit(benchmark::kMillisecond);

void BM_ReportHtml(benchmark::State& state) { run_report(state, {"--html", scratch_dir() + "/out.html"}); }
BENCHMARK(BM_ReportHtml)->ArgName("distinct")->Arg(2000)->Arg(50000)->Unit(benchmark::kMillisecond);

void BM_ReportText(benchmark::State& state) { run_report(state, {"--text"}); }
BENCHMARK(BM_ReportText)->ArgName("distinct")->Arg(2000)->Arg(50000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace pyro::bench
