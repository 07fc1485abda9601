/** Drain an async iterable and return the `code` of what it throws ('no error' when it ends normally). */
export async function errorCodeOf(run: () => AsyncIterable<unknown>): Promise<string | undefined> {
  try {
    for await (const _ of run());
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return 'no error';
}
