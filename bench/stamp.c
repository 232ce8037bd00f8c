/* stamp FILE: writes the wall-clock time (nanoseconds since the epoch) into
 * FILE, atomically (a temporary file renamed over it).
 *
 * daemon_bench's latency figure runs this as the task: the time it records
 * is when the task's program got control. It is C with nothing but libc so
 * that its own start-up, which daemon_bench measures separately and reports
 * beside the latency, is as short as a program's can be. */
#include <stdio.h>
#include <string.h>
#include <time.h>

int main(int argc, char** argv) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  if (argc != 2) {
    fputs("usage: stamp FILE\n", stderr);
    return 2;
  }
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]) >= (int)sizeof tmp) return 1;
  FILE* f = fopen(tmp, "w");
  if (f == NULL) return 1;
  fprintf(f, "%lld\n", (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
  if (fclose(f) != 0) return 1;
  return rename(tmp, argv[1]) == 0 ? 0 : 1;
}
