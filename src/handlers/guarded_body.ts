/**
 * @module `guardBody()`: wraps a response body so its end, failure or cancellation is seen by
 * the proxy (logs, metrics, the cache writer) without changing a byte of it.
 */

/** Callbacks of {@linkcode guardBody}; each is called at most once overall. */
export interface BodyGuard {
  /** The body ended normally. */
  done?(bytes: number): void;
  /**
   * Reading the upstream or a transform failed. The client's response is cut short (errored),
   * unless this returns true: then it ends cleanly, which is right for a watch the proxy
   * itself ends (shutdown, upstream down) — the client simply watches again.
   */
  failed?(error: unknown, bytes: number): boolean | void;
  /** The client went away. */
  cancelled?(bytes: number): void;
}

/**
 * Passes `body` through, counting bytes and reporting how it ended. A failure errors the
 * returned stream, so the client sees a truncated chunked response, never a made-up ending.
 */
export function guardBody(
  body: ReadableStream<Uint8Array>,
  guard: BodyGuard,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let bytes = 0;
  let settled = false;
  const settle = (fn: () => void) => {
    if (!settled) {
      settled = true;
      try {
        fn();
      } catch {
        // A reporting callback must never break the client's stream.
      }
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await reader.read();
        if (done) {
          settle(() => guard.done?.(bytes));
          controller.close();
          return;
        }
        bytes += value.byteLength;
        controller.enqueue(value);
      } catch (e) {
        let clean = false;
        settle(() => {
          clean = guard.failed?.(e, bytes) === true;
        });
        if (clean) controller.close();
        else controller.error(e);
      }
    },
    async cancel(reason) {
      settle(() => guard.cancelled?.(bytes));
      await reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 1 }); // one chunk ahead lets filtering overlap the socket write
}
