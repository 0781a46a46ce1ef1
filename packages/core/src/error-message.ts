/** The message of anything thrown, for logs and error causes: an Error's `message`, else its string form. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
