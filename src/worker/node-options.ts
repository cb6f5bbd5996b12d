// The worker process's memory settings, set where it starts (docker-compose.yml, the cluster tests and the
// benchmarks): a running process can change neither its own isolate's limits nor glibc's arenas.
// - V8: without a limit V8 sizes the main thread's heap for the machine (about 4 GB here) and lets its old generation
//   grow to several times what is live before a full collection; with 1,000 activities failing and retrying that
//   slack took the worker to 502 MB while about 35 MB was live. A 384 MB old generation and 4 MB semi-spaces keep the
//   slack small. Raise the old generation when one worker runs many large activities at once: live data beyond it
//   ends the process with an out-of-memory error. The workflow thread's heap is sized from the workflow cache
//   (limitWorkflowThreadHeap).
// - glibc: each thread that allocates (the SDK's Rust core, libuv's pool) gets a malloc arena of its own, and freed
//   memory stays in them; two arenas took the same run from 322 MB to about 283 MB (docs/performance.md, P6).

/** NODE_OPTIONS of a worker process. */
export const WORKER_NODE_OPTIONS = '--max-old-space-size=384 --max-semi-space-size=4';

/** The environment a worker process starts with, beside its configuration. */
export const WORKER_PROCESS_ENV = { NODE_OPTIONS: WORKER_NODE_OPTIONS, MALLOC_ARENA_MAX: '2' } as const;
