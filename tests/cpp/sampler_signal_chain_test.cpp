#include <gtest/gtest.h>

#include <signal.h>

#include <cstring>

#include "signal_chain.h"

namespace pyro {
namespace {

// SIGUSR2 stands in for SIGPROF: the agent's handler forwards every signal to the program
// action, as on_sample_signal does for signals without the sample tag.
volatile sig_atomic_t g_agent_calls, g_program_calls, g_program_saw_info;

void agent_handler(int sig, siginfo_t* info, void* uc) {
  ++g_agent_calls;
  if (SignalChain::forward(sig, info, uc) == SignalChain::Outcome::kDefault) ++g_agent_calls;  // marks kDefault
}

void program_handler(int) { ++g_program_calls; }
void program_info_handler(int, siginfo_t* info, void*) {
  ++g_program_calls;
  g_program_saw_info = info != nullptr && info->si_signo == SIGUSR2;
}

struct sigaction action_with(void (*fn)(int), int flags) {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = fn;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = flags;
  return sa;
}

bool take_over_usr2() {
  struct sigaction ours;
  std::memset(&ours, 0, sizeof ours);
  ours.sa_sigaction = agent_handler;
  sigemptyset(&ours.sa_mask);
  ours.sa_flags = SA_SIGINFO;
  return SignalChain::take_over(SIGUSR2, ours);
}

TEST(SignalChain, ProgramActionIsKeptAndChainedTo) {
  struct sigaction before = action_with(SIG_IGN, 0);
  ASSERT_EQ(sigaction(SIGUSR2, &before, nullptr), 0);
  ASSERT_TRUE(take_over_usr2());
  EXPECT_TRUE(SignalChain::owns(SIGUSR2));

  // The action from before the take-over is the program's: SIG_IGN, so nothing runs.
  g_agent_calls = g_program_calls = 0;
  raise(SIGUSR2);
  EXPECT_EQ(g_agent_calls, 1);
  EXPECT_EQ(g_program_calls, 0);

  // The program installs a handler: the kernel keeps ours, the program reads back its own.
  struct sigaction program = action_with(program_handler, 0), old;
  SignalChain::program_sigaction(SIGUSR2, &program, &old);
  EXPECT_EQ(old.sa_handler, SIG_IGN);
  struct sigaction kernel;
  ASSERT_EQ(SignalChain::real_sigaction(SIGUSR2, nullptr, &kernel), 0);
  EXPECT_EQ(kernel.sa_sigaction, agent_handler);
  SignalChain::program_sigaction(SIGUSR2, nullptr, &old);
  EXPECT_EQ(old.sa_handler, program_handler);
  raise(SIGUSR2);
  raise(SIGUSR2);
  EXPECT_EQ(g_program_calls, 2);

  // SA_SIGINFO handlers get the siginfo; SA_RESETHAND makes the next one default.
  struct sigaction with_info;
  std::memset(&with_info, 0, sizeof with_info);
  with_info.sa_sigaction = program_info_handler;
  sigemptyset(&with_info.sa_mask);
  with_info.sa_flags = SA_SIGINFO | SA_RESETHAND;
  SignalChain::program_sigaction(SIGUSR2, &with_info, nullptr);
  g_agent_calls = 0;
  raise(SIGUSR2);
  EXPECT_EQ(g_program_calls, 3);
  EXPECT_TRUE(g_program_saw_info);
  SignalChain::program_sigaction(SIGUSR2, nullptr, &old);
  EXPECT_EQ(old.sa_handler, SIG_DFL);
  EXPECT_EQ(g_agent_calls, 1);

  // Leave SIGUSR2 ignored for the rest of the test binary.
  struct sigaction ignore = action_with(SIG_IGN, 0);
  SignalChain::program_sigaction(SIGUSR2, &ignore, nullptr);
}

TEST(SignalChain, ProgramMaskIsAppliedWhileItsHandlerRuns) {
  // Owned by the previous test (or taken over here when run alone).
  if (!SignalChain::owns(SIGUSR2)) {
    ASSERT_TRUE(take_over_usr2());
  }
  static volatile sig_atomic_t usr1_blocked_inside = -1;
  struct sigaction program = action_with(
      [](int) {
        sigset_t now;
        pthread_sigmask(SIG_BLOCK, nullptr, &now);
        usr1_blocked_inside = sigismember(&now, SIGUSR1);
      },
      0);
  sigaddset(&program.sa_mask, SIGUSR1);
  SignalChain::program_sigaction(SIGUSR2, &program, nullptr);
  raise(SIGUSR2);
  EXPECT_EQ(usr1_blocked_inside, 1);
  sigset_t after;
  pthread_sigmask(SIG_BLOCK, nullptr, &after);
  EXPECT_EQ(sigismember(&after, SIGUSR1), 0);  // restored once the handler returned
  struct sigaction ignore = action_with(SIG_IGN, 0);
  SignalChain::program_sigaction(SIGUSR2, &ignore, nullptr);
}

}  // namespace
}  // namespace pyro
