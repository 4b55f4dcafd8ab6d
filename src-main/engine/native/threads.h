/*
 * Threads for the C code, on POSIX (pthreads) and Windows (Win32): start a function on a new thread, wait for it,
 * count the cores, and the one parallel for the kernels share. The only place the addons touch threads, so the rest
 * of the C code is the same everywhere.
 */
#ifndef AE_THREADS_H
#define AE_THREADS_H

#include <stdint.h>

typedef void (*ae_thread_fn)(void *arg);

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

typedef struct {
  ae_thread_fn fn;
  void *arg;
  HANDLE handle;
} ae_thread;

static inline DWORD WINAPI ae_thread_main(LPVOID self) {
  ae_thread *thread = (ae_thread *)self;
  thread->fn(thread->arg);
  return 0;
}

/* Starts fn(arg) on a new thread; 0 on success. `thread` must live until ae_thread_join. */
static inline int ae_thread_start(ae_thread *thread, ae_thread_fn fn, void *arg) {
  thread->fn = fn;
  thread->arg = arg;
  thread->handle = CreateThread(NULL, 0, ae_thread_main, thread, 0, NULL);
  return thread->handle ? 0 : -1;
}

static inline void ae_thread_join(ae_thread *thread) {
  WaitForSingleObject(thread->handle, INFINITE);
  CloseHandle(thread->handle);
}

static inline long ae_cpu_count(void) {
  SYSTEM_INFO info;
  GetSystemInfo(&info);
  return (long)info.dwNumberOfProcessors;
}

#else
#include <pthread.h>
#include <unistd.h>

typedef struct {
  ae_thread_fn fn;
  void *arg;
  pthread_t id;
} ae_thread;

static inline void *ae_thread_main(void *self) {
  ae_thread *thread = (ae_thread *)self;
  thread->fn(thread->arg);
  return NULL;
}

/* Starts fn(arg) on a new thread; 0 on success. `thread` must live until ae_thread_join. */
static inline int ae_thread_start(ae_thread *thread, ae_thread_fn fn, void *arg) {
  thread->fn = fn;
  thread->arg = arg;
  return pthread_create(&thread->id, NULL, ae_thread_main, thread);
}

static inline void ae_thread_join(ae_thread *thread) { pthread_join(thread->id, NULL); }

static inline long ae_cpu_count(void) { return sysconf(_SC_NPROCESSORS_ONLN); }
#endif

/* ---- a parallel for over [0, n) ------------------------------------------------------------------------------- */

#define AE_MAX_THREADS 16

typedef void (*ae_range_fn)(void *ctx, int begin, int end, int thread);

typedef struct {
  ae_range_fn fn;
  void *ctx;
  int begin, end, thread;
} ae_range_task;

static inline void ae_range_main(void *arg) {
  ae_range_task *task = (ae_range_task *)arg;
  task->fn(task->ctx, task->begin, task->end, task->thread);
}

/* The threads a kernel may use: one a core, at most AE_MAX_THREADS. */
static inline int ae_thread_budget(void) {
  static int cores = 0;
  if (!cores) {
    long n = ae_cpu_count();
    cores = n < 1 ? 1 : n > AE_MAX_THREADS ? AE_MAX_THREADS : (int)n;
  }
  return cores;
}

/*
 * Runs fn(ctx, begin, end, thread) over [0, n) cut into `threads` contiguous ranges (fewer when n is smaller), the
 * first on the calling thread; it returns when all are done. The caller picks `threads`, so work too small to be
 * worth a thread's start (tens of microseconds) can run on one. A range whose thread cannot start runs on the
 * caller.
 */
static inline void ae_parallel_for(int threads, int n, ae_range_fn fn, void *ctx) {
  if (threads > n) threads = n;
  if (threads > AE_MAX_THREADS) threads = AE_MAX_THREADS;
  if (threads < 2) {
    if (n > 0) fn(ctx, 0, n, 0);
    return;
  }
  ae_thread ids[AE_MAX_THREADS];
  ae_range_task tasks[AE_MAX_THREADS];
  int started[AE_MAX_THREADS] = {0};
  for (int t = 0; t < threads; t++)
    tasks[t] = (ae_range_task){fn, ctx, (int)((int64_t)n * t / threads), (int)((int64_t)n * (t + 1) / threads), t};
  for (int t = 1; t < threads; t++) started[t] = ae_thread_start(&ids[t], ae_range_main, &tasks[t]) == 0;
  ae_range_main(&tasks[0]);
  for (int t = 1; t < threads; t++) {
    if (started[t]) ae_thread_join(&ids[t]);
    else ae_range_main(&tasks[t]); /* could not start a thread: do its share here */
  }
}

#endif
