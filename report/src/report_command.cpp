#include "report_command.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include <fmt/format.h>

#include "atomic_file.h"
#include "child_profiles.h"
#include "collapsed_writer.h"
#include "html_writer.h"
#include "json_writer.h"
#include "line_model.h"
#include "profile_reader.h"
#include "source_file_cache.h"
#include "speedscope_writer.h"
#include "stack_export.h"
#include "text_summary.h"

namespace pyro::report {

const char kReportUsage[] =
    "usage: pyrometer-report PROFILE [--json FILE] [--html FILE] [--collapsed FILE] "
    "[--speedscope FILE] [--text] [--summary] [--wrote FILE]...\n"
    "\n"
    "Reads a pyrometer profile (.pyro) and writes reports from it, merged with the profiles\n"
    "of its child processes found in PROFILE.children/.\n"
    "  --json FILE        the JSON export (schema pyrometer/1)\n"
    "  --html FILE        the self-contained HTML report\n"
    "  --collapsed FILE   folded stacks for flamegraph.pl / inferno (weights in microseconds)\n"
    "  --speedscope FILE  a speedscope profile (https://www.speedscope.app), one per thread\n"
    "  --text             the text summary, on stdout (the default when no output is asked for)\n"
    "  --summary          the text summary, on stderr\n"
    "  --wrote FILE       a file to list among the written files in the summary (repeatable)\n";

CommandLine parse_command_line(const std::vector<std::string>& args) {
  CommandLine cl;
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_done || arg.empty() || arg[0] != '-' || arg == "-") {
      if (!cl.profile.empty()) throw CommandLineError(fmt::format("unexpected argument '{}'", arg));
      cl.profile = arg;
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      cl.help = true;
      continue;
    }
    if (arg == "--text") {
      cl.text = true;
      continue;
    }
    if (arg == "--summary") {
      cl.summary = true;
      continue;
    }
    // Options with a value: "--json FILE" or "--json=FILE".
    std::string name = arg;
    std::string value;
    bool has_value = false;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    std::string* target = nullptr;
    if (name == "--json") target = &cl.json_path;
    if (name == "--html") target = &cl.html_path;
    if (name == "--collapsed") target = &cl.collapsed_path;
    if (name == "--speedscope") target = &cl.speedscope_path;
    if (target == nullptr && name != "--wrote") {
      throw CommandLineError(fmt::format("unknown option '{}' (see --help)", arg));
    }
    if (!has_value) {
      if (i + 1 >= args.size()) throw CommandLineError(fmt::format("{} needs a file name", name));
      value = args[++i];
    }
    if (value.empty()) throw CommandLineError(fmt::format("{} needs a file name", name));
    if (target != nullptr) {
      *target = value;
    } else {
      cl.wrote.push_back(value);
    }
  }
  if (cl.help) return cl;
  if (cl.profile.empty()) throw CommandLineError("no profile given (usage: pyrometer-report PROFILE [options])");
  if (cl.json_path.empty() && cl.html_path.empty() && cl.collapsed_path.empty() &&
      cl.speedscope_path.empty() && !cl.text && !cl.summary) {
    cl.text = true;
  }
  return cl;
}

namespace {

bool wants_colour(std::FILE* stream) {
  const char* term = std::getenv("TERM");
  return ::isatty(::fileno(stream)) == 1 && std::getenv("NO_COLOR") == nullptr &&
         !(term != nullptr && std::strcmp(term, "dumb") == 0);
}

void run(const CommandLine& cl, std::FILE* out, std::FILE* err) {
  std::vector<std::string> warnings;
  const Profile profile = read_profile_with_children(cl.profile, &warnings);
  for (const std::string& warning : warnings) fmt::print(err, "pyrometer: warning: {}\n", warning);
  const LineModel model(profile);
  SourceFileCache sources;
  std::vector<std::string> written = cl.wrote;
  if (!cl.html_path.empty()) {
    write_file_atomically(cl.html_path, HtmlWriter(profile, model, sources).render());
    written.push_back(cl.html_path);
  }
  if (!cl.json_path.empty()) {
    write_file_atomically(cl.json_path, JsonWriter(profile, model).render());
    written.push_back(cl.json_path);
  }
  if (!cl.collapsed_path.empty() || !cl.speedscope_path.empty()) {
    const StackExport stacks(profile, model);
    if (!cl.collapsed_path.empty()) {
      write_file_atomically(cl.collapsed_path, render_collapsed(stacks));
      written.push_back(cl.collapsed_path);
    }
    if (!cl.speedscope_path.empty()) {
      write_file_atomically(cl.speedscope_path, render_speedscope(profile, stacks));
      written.push_back(cl.speedscope_path);
    }
  }
  TextSummary summary(profile, model, sources);
  TextSummaryOptions options;
  options.written_files = written;
  if (cl.text) {
    options.colour = false;
    std::fputs(summary.render(options).c_str(), out);
    std::fflush(out);
  }
  if (cl.summary) {
    options.colour = wants_colour(err);
    std::fputs(summary.render(options).c_str(), err);
    std::fflush(err);
  }
}

}  // namespace

int run_report_command(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  try {
    const CommandLine cl = parse_command_line(args);
    if (cl.help) {
      std::fputs(kReportUsage, out);
      return 0;
    }
    run(cl, out, err);
    if (std::ferror(out) != 0) {
      std::fputs("pyrometer: error: cannot write to standard output\n", err);
      return 2;
    }
    return 0;
  } catch (const std::bad_alloc&) {
    std::fputs("pyrometer: error: out of memory while reading the profile\n", err);
  } catch (const std::exception& e) {
    fmt::print(err, "pyrometer: error: {}\n", e.what());
  } catch (...) {
    std::fputs("pyrometer: error: unexpected internal error\n", err);
  }
  return 2;
}

}  // namespace pyro::report
