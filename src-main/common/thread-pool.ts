/**
 * Node reads files, folders and shares on a pool of four threads by default, sized once, before its
 * first use. A share that stops answering keeps one thread for each read still out there
 * (`answerWithin` lets only one wait per folder), so a larger pool keeps the local drive answering
 * meanwhile. Imported first by the entry points, before anything reads a file.
 */
export const threadPoolSize = 32;

if (process.env.UV_THREADPOOL_SIZE === undefined) process.env.UV_THREADPOOL_SIZE = String(threadPoolSize);
