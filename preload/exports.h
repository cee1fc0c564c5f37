// Symbols the preload library exports (interposers and the agent API). Everything else
// in the library is hidden so it cannot clash with the profiled program's symbols.
#pragma once
#define PYRO_EXPORT extern "C" __attribute__((visibility("default")))
