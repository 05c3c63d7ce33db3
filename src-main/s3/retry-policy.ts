import { exhaustedError, S3Error } from './s3-errors';

/** How often and how patiently a failed request is tried again. */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** The wait before the second try; each later wait doubles, up to maxDelayMs. */
  firstDelayMs: number;
  maxDelayMs: number;
}

/**
 * The default for uploads: ten tries over about two minutes of waiting. A laptop's sleep does not
 * use this up: timers do not run while it sleeps, so after the wake the part in flight fails,
 * and is tried again.
 */
export const defaultRetryPolicy: RetryPolicy = { attempts: 10, firstDelayMs: 500, maxDelayMs: 30_000 };

/** Tries per request in all: DORMOUSE_S3_ATTEMPTS (1–100), else the default policy's ten. */
export function attemptsFromEnvironment(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.DORMOUSE_S3_ATTEMPTS);
  return Number.isInteger(value) && value >= 1 && value <= 100 ? value : defaultRetryPolicy.attempts;
}

/** The wait after the `failedAttempts`-th failure: exponential, with jitter (between half and all of it). */
export function retryDelayMs(policy: RetryPolicy, failedAttempts: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** (failedAttempts - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/** Waits `ms`, or rejects with an S3Error of kind "cancelled" as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const cancelled = (): void => {
      clearTimeout(timer);
      reject(new S3Error('cancelled', 'cancelled while waiting to try again'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', cancelled);
      resolve();
    }, ms);
    if (signal?.aborted) cancelled();
    else signal?.addEventListener('abort', cancelled, { once: true });
  });
}

/** What withRetries reports before each wait. */
export type RetryListener = (error: S3Error, attempt: number, delayMs: number) => void;

/**
 * Runs `work` until it succeeds, trying again after failures that may pass (the network, a busy or
 * failing server; of those, only what `only` accepts) with growing waits; other failures and cancellation are thrown as they are, and
 * the last try's failure saying how many tries there were (see exhaustedError).
 */
export async function withRetries<T>(work: (attempt: number) => Promise<T>, policy: RetryPolicy, options: { signal?: AbortSignal; onRetry?: RetryListener; only?: (error: S3Error) => boolean } = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work(attempt);
    } catch (error) {
      const retryable = error instanceof S3Error && error.retryable && (options.only?.(error) ?? true) && !options.signal?.aborted;
      if (!retryable) throw error;
      if (attempt >= policy.attempts) throw policy.attempts > 1 ? exhaustedError(error as S3Error, attempt) : error;
      const delayMs = retryDelayMs(policy, attempt);
      options.onRetry?.(error, attempt, delayMs);
      await sleep(delayMs, options.signal);
    }
  }
}
