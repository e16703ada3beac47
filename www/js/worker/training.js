// The streaming requests every lab with trained networks shares (interpolants, hallucinations,
// latent quantization): training in chunks with the losses streamed, and the weights snapshot.

/**
 * `k` training steps in chunks of `chunk`, one 'progress' message per chunk with that chunk's
 * losses; `afterChunk(reply, done, n)` may add to the message (the interpolants' particles).
 */
export async function train(session, { id, k, chunk = 10 }, worker, afterChunk = () => {}) {
  const started = performance.now();
  let done = 0;
  while (done < k) {
    const n = Math.min(chunk, k - done);
    const losses = session.train(n);
    done += n;
    const reply = { type: 'progress', id, step: session.trainedSteps(), done, total: k, losses, seconds: (performance.now() - started) / 1000 };
    const transfer = afterChunk(reply, done, n) ?? [];
    worker.post(reply, transfer);
    if (await worker.cancelled(id, { step: session.trainedSteps() })) return;
  }
  worker.post({ type: 'ran', id, step: session.trainedSteps() });
}

/** The trained weights with the step count they were trained to, taken together. */
export async function snapshot(session, { id }, worker) {
  const weights = session.weights();
  worker.post({ type: 'snapshot', id, weights, trained: session.trainedSteps() }, [weights.buffer]);
}

/** Session methods every trained lab answers through `call`. */
export const WEIGHT_CALLS = ['weights', 'loadWeights'];
