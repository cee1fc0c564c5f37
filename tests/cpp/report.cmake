# report/ unit tests. The helpers (profile builder, mini JSON parser, fake symbols) live in
# report/testing/.
file(GLOB _pyro_report_test_sources ${CMAKE_CURRENT_SOURCE_DIR}/report_*.cpp)
pyro_add_test(report_tests SOURCES ${_pyro_report_test_sources} LIBS pyro_report)
target_include_directories(report_tests PRIVATE ${PROJECT_SOURCE_DIR}/report)
# The symbolizer test reads this executable's own DWARF: debug info always, and -O2 so its
# always_inline helper is really inlined (whatever CMAKE_BUILD_TYPE says).
target_compile_options(report_tests PRIVATE -g)
set_source_files_properties(${CMAKE_CURRENT_SOURCE_DIR}/report_native_symbolizer_test.cpp
  PROPERTIES COMPILE_OPTIONS "-O2;-g")
