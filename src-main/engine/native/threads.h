/*
 * Threads for the C code, on POSIX (pthreads) and Windows (Win32): start a function on a new thread, wait for it, and
 * count the cores. The only place the addons touch threads, so the rest of the C code is the same everywhere.
 */
#ifndef AE_THREADS_H
#define AE_THREADS_H

typedef void (*ae_thread_fn)(void *arg);

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

typedef struct {
  ae_thread_fn fn;
  void *arg;
  HANDLE handle;
} ae_thread;

static DWORD WINAPI ae_thread_main(LPVOID self) {
  ae_thread *thread = (ae_thread *)self;
  thread->fn(thread->arg);
  return 0;
}

/* Starts fn(arg) on a new thread; 0 on success. `thread` must live until ae_thread_join. */
static int ae_thread_start(ae_thread *thread, ae_thread_fn fn, void *arg) {
  thread->fn = fn;
  thread->arg = arg;
  thread->handle = CreateThread(NULL, 0, ae_thread_main, thread, 0, NULL);
  return thread->handle ? 0 : -1;
}

static void ae_thread_join(ae_thread *thread) {
  WaitForSingleObject(thread->handle, INFINITE);
  CloseHandle(thread->handle);
}

static long ae_cpu_count(void) {
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

static void *ae_thread_main(void *self) {
  ae_thread *thread = (ae_thread *)self;
  thread->fn(thread->arg);
  return NULL;
}

/* Starts fn(arg) on a new thread; 0 on success. `thread` must live until ae_thread_join. */
static int ae_thread_start(ae_thread *thread, ae_thread_fn fn, void *arg) {
  thread->fn = fn;
  thread->arg = arg;
  return pthread_create(&thread->id, NULL, ae_thread_main, thread);
}

static void ae_thread_join(ae_thread *thread) { pthread_join(thread->id, NULL); }

static long ae_cpu_count(void) { return sysconf(_SC_NPROCESSORS_ONLN); }
#endif

#endif
