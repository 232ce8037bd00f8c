// Symbol visibility for libtaskqueue. The library is built with hidden
// visibility; only declarations marked TASKQUEUE_EXPORT form the ABI.
#ifndef TASKQUEUE_EXPORT_H_
#define TASKQUEUE_EXPORT_H_

#if defined(TASKQUEUE_BUILDING_LIBRARY)
#define TASKQUEUE_EXPORT [[gnu::visibility("default")]]
#else
#define TASKQUEUE_EXPORT
#endif

#endif  // TASKQUEUE_EXPORT_H_
