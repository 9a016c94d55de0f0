// Waits until a child process has written text matching `pattern` on `stream` (its stderr unless told),
// and fails if it exits first or the time runs out. Resolves with everything read so far.
export function waitForOutput(child, pattern, { stream = child.stderr, timeoutMs = 15_000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}: ${text}`)), timeoutMs);
    stream.on('data', (d) => {
      text += d.toString();
      if (pattern.test(text)) {
        clearTimeout(timer);
        resolvePromise(text);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ${pattern}: ${text}`));
    });
  });
}
