pyro_add_test(sampler_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/sampler_function_table_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sampler_memory_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sampler_aggregator_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sampler_capture_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sampler_cpu_timer_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sampler_child_process_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sampler_profile_writer_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sampler_signal_chain_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sampler_stack_merge_test.cpp
  LIBS pyro_sampler)
