// Where the interpreter's machine code lives, found once at registration (normal context).
// Version-neutral: each version's walker passes the address of its eval function.
#pragma once

#include <string>

#include "pyrometer/walker_api.h"

namespace pyro::cpython {

// eval_loop: the function containing `eval_function`, from its ELF symbol size (dladdr1 with
// RTLD_DL_SYMENT), not from symbol names — the symbol is exported, so this works on a
// stripped binary too. interpreter: the executable PT_LOAD segment (dl_iterate_phdr) of the
// object holding that function — libpython3.X.so for a --enable-shared build, the python
// executable itself for a statically linked one (Debian's python3.X).
// Returns false with `error` set when either cannot be found.
bool find_code_ranges(const void* eval_function, PyroCodeRange* eval_loop,
                      PyroCodeRange* interpreter, std::string* error);

}  // namespace pyro::cpython
