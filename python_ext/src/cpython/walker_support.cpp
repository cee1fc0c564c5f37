// The normal-context half of the version-neutral walker support: public C API only.
#include "cpython/walker_support.h"

namespace pyro::cpython {

int list_call_opcodes(const OpcodeTable& table, uint8_t out[256]) {
  int count = 0;
  for (int opcode = 0; opcode < 256; ++opcode) {
    if (table.is_call[opcode]) out[count++] = static_cast<uint8_t>(opcode);
  }
  return count;
}

bool check_walker_against_api(const char* version, PyThreadState* walker_tstate,
                              int (*walk)(PyroPyFrame*, int, uint32_t*), std::string* error) {
  // The walker reads raw struct fields, so a build whose layout differs from the headers
  // it was compiled with (another configuration, a patched interpreter) must be refused
  // here rather than produce garbage profiles.
  std::string mismatch =
      std::string("the ") + version + " walker does not match this interpreter's memory layout: ";
  if (walker_tstate != PyThreadState_Get()) {
    *error = mismatch + "the thread-state lookup does not find this thread's state";
    return false;
  }
  PyroPyFrame frames[1];
  uint32_t flags = 0;
  int written = walk(frames, 1, &flags);
  if (!(flags & PYRO_WALK_HAS_THREAD_STATE) || !(flags & PYRO_WALK_GIL_HELD)) {
    *error = mismatch + "the GIL state does not show this thread holding the GIL";
    return false;
  }
  PyFrameObject* python_frame = PyEval_GetFrame();  // borrowed; NULL when called from C
  if (python_frame != nullptr) {
    PyCodeObject* code = PyFrame_GetCode(python_frame);  // new reference
    bool same_frame = written == 1 && frames[0].first_line == code->co_firstlineno &&
                      frames[0].line == PyFrame_GetLineNumber(python_frame) &&
                      frames[0].name == PyUnicode_DATA(code->co_qualname);
    Py_DECREF(code);
    if (!same_frame) {
      *error = mismatch + "the innermost frame read differs from PyEval_GetFrame()";
      return false;
    }
  }
  return true;
}

}  // namespace pyro::cpython
