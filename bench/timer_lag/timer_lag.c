/* How late does a thread CPU-time timer's signal arrive after its expiry point?
 *
 *   cc -O1 -o /tmp/timer_lag bench/timer_lag/timer_lag.c && /tmp/timer_lag [EXPIRIES]
 *
 * The sampler's engine in miniature: a CLOCK_THREAD_CPUTIME_ID timer delivering SIGPROF to
 * this thread, re-armed from the handler with TIMER_ABSTIME 3-10 ms of CPU ahead, while the
 * thread spins in user space. The handler reads the thread's CPU clock; lag = that minus the
 * expiry point it armed. The kernel checks CPU timers at the scheduler tick, so the lag is
 * spread over one tick (4 ms at CONFIG_HZ=250); a profiler that charges the stack it sees
 * at delivery charges it with CPU that ran that much later. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { kMaxExpiries = 100000 };
static timer_t g_timer;
static long g_expiry_ns;
static long g_lags_ns[kMaxExpiries];
static volatile long g_count;
static long g_wanted;
static unsigned g_rng = 12345;

static long thread_cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void arm_at(long at_ns) {
  struct itimerspec spec = {{0, 0}, {at_ns / 1000000000L, at_ns % 1000000000L}};
  g_expiry_ns = at_ns;
  timer_settime(g_timer, TIMER_ABSTIME, &spec, NULL);
}

static void on_expiry(int sig) {
  (void)sig;
  const long now = thread_cpu_ns();
  if (g_count < g_wanted) g_lags_ns[g_count++] = now - g_expiry_ns;
  g_rng = g_rng * 1103515245u + 12345u;
  arm_at(now + 3000000 + (long)(g_rng % 7000000));
}

static int by_value(const void* a, const void* b) {
  const long x = *(const long*)a, y = *(const long*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  g_wanted = argc > 1 ? atol(argv[1]) : 500;
  if (g_wanted < 10 || g_wanted > kMaxExpiries) g_wanted = 500;
  struct sigaction sa = {0};
  sa.sa_handler = on_expiry;
  sigaction(SIGPROF, &sa, NULL);
  struct sigevent ev = {0};
  ev.sigev_notify = SIGEV_THREAD_ID;
  ev.sigev_signo = SIGPROF;
  ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
  if (timer_create(CLOCK_THREAD_CPUTIME_ID, &ev, &g_timer) != 0) {
    perror("timer_create");
    return 1;
  }
  arm_at(thread_cpu_ns() + 5000000);
  volatile double spin = 0;
  while (g_count < g_wanted) spin += 1.0;
  qsort(g_lags_ns, g_wanted, sizeof(long), by_value);
  printf("%ld expiries, delivery lag after the expiry point (ms of thread CPU): "
         "p10 %.2f  median %.2f  p90 %.2f  max %.2f\n",
         g_wanted, g_lags_ns[g_wanted / 10] / 1e6, g_lags_ns[g_wanted / 2] / 1e6,
         g_lags_ns[g_wanted * 9 / 10] / 1e6, g_lags_ns[g_wanted - 1] / 1e6);
  return 0;
}
