// Progress of the downloads the first picture waits for: the GenLab core (core.js), then a
// preset's weights (labs/shared.js). Each is read through a counting stream, so the page knows the
// bytes received as they arrive; the loading placeholders (render/placeholder.js) show them.
//
// Under Content-Encoding (gzip, br: a host that compresses) the stream hands over decoded bytes
// while Content-Length gives the encoded size, and the decoded size is not known until the end.
// Comparing the two would overshoot (a "4.1 of 1.6 MB"), so an encoded download has no total:
// the page shows the bytes received, and judges a slow connection by its rate alone (`slowness`).

/** Fires 'progress' (detail: the download's state, see `track`) as bytes arrive and when one ends. */
export const downloads = new EventTarget();

/** The downloads under way or done, newest last: [{ what, received, total, started, firstByte, done, slow }]. */
export const seen = [];

/** A download still below half after this long is a slow connection. */
const SLOW_AFTER_MS = 3000;
/** Without a total (a content-encoded download), slower than this after `SLOW_AFTER_MS` is slow. */
const SLOW_BYTES_PER_SECOND = 100e3;

function publish(state) {
  downloads.dispatchEvent(new CustomEvent('progress', { detail: state }));
}

/**
 * A copy of `response` whose body counts its bytes as they are read, as a download of `what`
 * ('core' or 'weights'); the headers (the Content-Type `compileStreaming` needs) are kept.
 */
export function track(response, what) {
  const encoding = response.headers.get('Content-Encoding');
  const length = Number(response.headers.get('Content-Length'));
  const encoded = encoding && encoding.toLowerCase() !== 'identity';
  const state = { what, received: 0, total: !encoded && length > 0 ? length : null, started: performance.now(), firstByte: undefined, done: false, slow: false };
  seen.push(state);
  publish(state);
  if (!response.body) {
    state.done = true;
    return response;
  }
  const counter = new TransformStream({
    transform(chunk, controller) {
      state.firstByte ??= performance.now();
      state.received += chunk.byteLength;
      publish(state);
      controller.enqueue(chunk);
    },
    flush() {
      state.done = true;
      publish(state);
    },
  });
  const { status, statusText, headers } = response;
  return new Response(response.body.pipeThrough(counter), { status, statusText, headers });
}

/** Marks `state` ended (a failed read, whose stream never flushes). */
export function ended(state) {
  if (!state || state.done) return;
  state.done = true;
  publish(state);
}

/** The download of `what` under way now, or null. */
export function current(what) {
  return seen.findLast((d) => d.what === what && !d.done) ?? null;
}

/** Whether any download of `what` has started. */
export function started(what) {
  return seen.some((d) => d.what === what);
}

/**
 * Whether `state` is on a slow connection, and when it has a total, about how many seconds it
 * still needs at the rate so far: { slow: false } or { slow: true, seconds (or null), rate }.
 * Once slow, a download stays slow (the line does not flicker away at half way).
 */
export function slowness(state, now = performance.now()) {
  const elapsed = (now - state.started) / 1000;
  // the rate since the first byte: the wait for the response (latency) is not part of the rest
  const flowing = state.firstByte === undefined ? 0 : (now - state.firstByte) / 1000;
  const rate = flowing > 0.2 ? state.received / flowing : 0;
  if (!state.slow && !state.done && elapsed * 1000 >= SLOW_AFTER_MS) {
    state.slow = state.total ? state.received < state.total / 2 : rate < SLOW_BYTES_PER_SECOND;
  }
  if (!state.slow || state.done) return { slow: false };
  const seconds = state.total && rate > 0 ? (state.total - state.received) / rate : null;
  return { slow: true, seconds, rate };
}
