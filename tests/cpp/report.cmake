# report/ unit tests. The helpers (profile builder, mini JSON parser) live in report/testing/.
file(GLOB _pyro_report_test_sources ${CMAKE_CURRENT_SOURCE_DIR}/report_*.cpp)
pyro_add_test(report_tests SOURCES ${_pyro_report_test_sources} LIBS pyro_report)
target_include_directories(report_tests PRIVATE ${PROJECT_SOURCE_DIR}/report)
