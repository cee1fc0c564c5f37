// _pyrometer: the pybind11 module. It hands the CPython frame walker to the preload agent and
// forwards the agent's control API to Python (python_ext/pyrometer/*.py is the user layer).
// All functions run with the GIL held unless stated; only the walker itself (in
// cpython/walker_3XX.cpp) ever runs in a signal handler.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "agent_client.h"
#include "cpython/interpreter.h"

namespace py = pybind11;

namespace {

// The agent keeps a pointer to this table until finish() returns: it must never move.
PyroWalker g_walker{};
bool g_walker_ready = false;

// Fills g_walker on first use. Retried on failure: the self-check needs a Python frame and
// the GIL, which the next caller may have.
const PyroWalker& prepared_walker() {
  if (!g_walker_ready) {
    std::string error;
    if (!pyro::cpython::prepare_walker(&g_walker, &error)) {
      throw std::runtime_error("pyrometer: " + error);
    }
    g_walker_ready = true;
  }
  return g_walker;
}

const PyroAgentApi& agent() {
  std::string why;
  const PyroAgentApi* api = pyro::find_agent(&why);
  if (api == nullptr) throw std::runtime_error(why);
  return *api;
}

[[noreturn]] void raise_agent_error(const PyroAgentApi& api, const char* what) {
  const char* detail = api.last_error != nullptr ? api.last_error() : nullptr;
  throw std::runtime_error(detail != nullptr && *detail != '\0' ? std::string(detail)
                                                                 : std::string(what));
}

py::str decode(const void* data, uint32_t bytes, uint8_t kind) {
  PyObject* text = PyUnicode_FromKindAndData(kind, data, bytes / kind);
  if (text == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(text);
}

constexpr int kMaxDebugFrames = 1 << 16;

py::tuple debug_walk(int max_frames, bool raw, bool release_gil) {
  prepared_walker();
  if (max_frames < 0 || max_frames > kMaxDebugFrames) {
    throw py::value_error("max_frames must be in [0, " + std::to_string(kMaxDebugFrames) + "]");
  }
  std::vector<PyroPyFrame> frames(static_cast<size_t>(max_frames > 0 ? max_frames : 1));
  uint32_t flags = 0;
  int written;
  if (release_gil) {
    // This thread's frames cannot change while it sits here, with or without the GIL;
    // releasing it shows the walk (and the GIL flag) as a thread blocked in C code sees it.
    py::gil_scoped_release released;
    written = pyro::cpython::walk_current_thread(frames.data(), max_frames, &flags);
  } else {
    written = pyro::cpython::walk_current_thread(frames.data(), max_frames, &flags);
  }
  py::list result;
  for (int i = 0; i < written; ++i) {
    const PyroPyFrame& f = frames[static_cast<size_t>(i)];
    bool is_entry = f.is_entry != 0;
    if (raw) {
      result.append(py::make_tuple(
          py::bytes(static_cast<const char*>(f.file), f.file_len), f.file_kind,
          py::bytes(static_cast<const char*>(f.name), f.name_len), f.name_kind, f.first_line,
          f.line, is_entry));
    } else {
      result.append(py::make_tuple(decode(f.file, f.file_len, f.file_kind),
                                   decode(f.name, f.name_len, f.name_kind), f.first_line, f.line,
                                   is_entry));
    }
  }
  return py::make_tuple(std::move(result), flags);
}

double debug_bench_walk(long iterations, int max_frames) {
  prepared_walker();
  if (iterations <= 0) throw py::value_error("iterations must be positive");
  if (max_frames < 1 || max_frames > kMaxDebugFrames) {
    throw py::value_error("max_frames must be in [1, " + std::to_string(kMaxDebugFrames) + "]");
  }
  std::vector<PyroPyFrame> frames(static_cast<size_t>(max_frames));
  volatile long sink = 0;  // keeps the loop from being optimized away
  auto begin = std::chrono::steady_clock::now();
  for (long i = 0; i < iterations; ++i) {
    uint32_t flags = 0;
    sink = sink + pyro::cpython::walk_current_thread(frames.data(), max_frames, &flags);
  }
  std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - begin;
  return elapsed.count() / static_cast<double>(iterations);
}

int debug_line_for_offset(py::handle code, long offset) {
  if (!PyCode_Check(code.ptr())) {
    throw py::type_error("debug_line_for_offset expects a code object");
  }
  return pyro::cpython::line_for_code_offset(code.ptr(), offset);
}

}  // namespace

PYBIND11_MODULE(_pyrometer, m) {
  m.doc() = "pyrometer's CPython-specific core: the frame walker and the agent control API";

  m.def(
      "agent_available",
      [] {
        std::string why;
        return pyro::find_agent(&why) != nullptr;
      },
      "Whether the preload agent is loaded into this process (with a matching ABI).");

  m.def(
      "start",
      [] {
        const PyroAgentApi& api = agent();
        const PyroWalker& walker = prepared_walker();
        if (api.register_walker(&walker) != 0) raise_agent_error(api, "register_walker failed");
        if (api.start() != 0) raise_agent_error(api, "the agent failed to start");
      },
      "Registers the frame walker with the agent and starts sampling.");

  m.def(
      "finish",
      [] {
        const PyroAgentApi& api = agent();
        // The agent drains, writes the profile and may run the report command and wait for
        // it: other Python threads must be able to run (and finish) meanwhile.
        py::gil_scoped_release released;
        return api.finish();
      },
      "Stops sampling, writes the profile, runs the report command; returns its status.");

  m.def(
      "set_metadata",
      [](const std::string& key, const std::string& value) {
        agent().set_metadata(key.c_str(), value.c_str());
      },
      py::arg("key"), py::arg("value"));

  m.def(
      "set_report_command",
      [](const std::vector<std::string>& argv) {
        const PyroAgentApi& api = agent();
        std::vector<const char*> pointers;
        pointers.reserve(argv.size() + 1);
        for (const std::string& arg : argv) pointers.push_back(arg.c_str());
        pointers.push_back(nullptr);
        api.set_report_command(pointers.data());
      },
      py::arg("argv"));

  m.def(
      "set_thread_name",
      [](uint32_t tid, const std::string& name) { agent().set_thread_name(tid, name.c_str()); },
      py::arg("tid"), py::arg("name"), "Names thread `tid` (0: the calling thread).");

  m.def("debug_walk", &debug_walk, py::arg("max_frames") = 256, py::arg("raw") = false,
        py::arg("release_gil") = false,
        "Runs the signal-handler walk from normal context. Returns (frames, flags); frames\n"
        "are (file, qualname, first_line, line, is_entry), innermost first, or with raw=True\n"
        "(file_bytes, file_kind, name_bytes, name_kind, first_line, line, is_entry).");

  m.def(
      "interpreter_ranges",
      [] {
        const PyroWalker& walker = prepared_walker();
        py::dict ranges;
        ranges["eval_loop"] = py::make_tuple(walker.eval_loop.start, walker.eval_loop.end);
        ranges["interpreter"] = py::make_tuple(walker.interpreter.start, walker.interpreter.end);
        return ranges;
      },
      "Address ranges [start, end) of the eval loop and of the interpreter's code.");

  m.def("python_abi", [] { return std::string(pyro::cpython::abi_name()); },
        "The CPython version whose internals this build reads, e.g. '3.11'.");

  m.def("debug_line_for_offset", &debug_line_for_offset, py::arg("code"), py::arg("offset"),
        "The walker's line for `code` at `offset` (in code units); -1 when none.");

  m.def("debug_bench_walk", &debug_bench_walk, py::arg("iterations"),
        py::arg("max_frames") = 256, "Times the raw walk from here; returns ns per walk.");

  m.def(
      "debug_call_opcodes",
      [] {
        uint8_t opcodes[256];
        int count = pyro::cpython::call_family_opcodes(opcodes);
        return std::vector<int>(opcodes, opcodes + count);
      },
      "The quickened opcodes the walker treats as calls (PYRO_WALK_IN_CALL).");

  m.attr("WALK_GIL_HELD") = static_cast<uint32_t>(PYRO_WALK_GIL_HELD);
  m.attr("WALK_IN_CALL") = static_cast<uint32_t>(PYRO_WALK_IN_CALL);
  m.attr("WALK_TRUNCATED") = static_cast<uint32_t>(PYRO_WALK_TRUNCATED);
  m.attr("WALK_HAS_THREAD_STATE") = static_cast<uint32_t>(PYRO_WALK_HAS_THREAD_STATE);
}
