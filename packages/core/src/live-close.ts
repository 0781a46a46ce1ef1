/**
 * How a WebSocket server answers a client's close (RFC 6455 §5.5.1, §7.4.1). With the Durable Object
 * hibernation API the answer is the object's job: unanswered, the client waits in CLOSING and finally reports
 * 1006. Three codes are reserved for the receiving side's own use and may never be sent in a close frame:
 * 1005 (the frame carried no code), 1006 (the connection dropped without a close frame) and 1015 (TLS
 * failure). As partyserver does, no close frame arrived for 1006 and 1015, so there is nothing to answer
 * (and writing to the gone transport would fail asynchronously); unlike partyserver, a 1005 did come with a
 * close frame, and gets a normal closure back.
 */

/** The code to answer a client's close `code` with, or null to send nothing. */
export function closeReply(code: number): number | null {
  if (code === 1005) return 1000;
  if (code === 1006 || code === 1015) return null;
  return code;
}
