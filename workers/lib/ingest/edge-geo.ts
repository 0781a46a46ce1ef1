import type { QueuedEvent } from '../../consumers/messages';

export type EdgeGeo = Pick<QueuedEvent, 'country' | 'region' | 'city' | 'colo' | 'asn'>;

/** The edge's own geo data for the request (absent in tests and some local runs). */
export function edgeGeoOf(request: Request): EdgeGeo {
  const cf = request.cf as Record<string, unknown> | undefined;
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : null);
  return {
    country: str(cf?.country),
    region: str(cf?.region),
    city: str(cf?.city),
    colo: str(cf?.colo),
    asn: typeof cf?.asn === 'number' && Number.isInteger(cf.asn) ? cf.asn : null,
  };
}
