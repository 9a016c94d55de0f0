// Stops a child as a user would (SIGINT, so it can flush and report), SIGKILL if it has not exited in 20 s.
export async function stopAndWait(child) {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}
