/**
 * Incident explanations from aggregate facts only: the metric, its recent values against the baseline, the
 * sources and endpoints that contribute most to the change (from rollups) and similar past incidents from
 * the vector memory. Never raw event properties: the facts type has no place for them, and the prompt is
 * built from these fields alone. The deterministic template here is used when no model is configured or the
 * model fails; `explainIncident` (workers/services/explain-incident.ts) asks the model.
 */
import { toStorableText } from '../storable';
import { clipText } from '../utf8';

export interface ContributorFact {
  kind: 'source' | 'endpoint';
  name: string;
  /** Share of the metric's change this contributor accounts for, in [0, 1]. */
  share: number;
  /** Its own value now and in the baseline. */
  current: number;
  baseline: number;
}

export interface SimilarIncidentFact {
  id: string;
  /** Epoch ms. */
  time: number;
  label: string;
  /** Cosine similarity in [−1, 1]. */
  similarity: number;
}

export interface IncidentFacts {
  /** e.g. "error_rate", "p95_ms", "volume". */
  metric: string;
  /** Unit for display, e.g. "%", "ms", "req/min". */
  unit: string;
  /** Epoch ms of the window's start and end. */
  from: number;
  to: number;
  /** Recent values of the metric (oldest first) and the baseline's typical value and spread. */
  recent: number[];
  baseline: { median: number; p95: number };
  /** Anomaly score in [0, 1] and its components. */
  score: number;
  components: { name: string; value: number }[];
  contributors: ContributorFact[];
  similar: SimilarIncidentFact[];
}

export interface Explanation {
  summary: string;
  likelyCause: string;
  evidence: string[];
  /** Who wrote it: the model, or the deterministic template. */
  source: 'model' | 'template';
}

export const MAX_EXPLANATION_FIELD = 600;
export const MAX_EVIDENCE_ITEMS = 6;
const MAX_NAME = 80;
const MAX_RECENT = 60;
const MAX_LIST = 5;

/** Names come from clients: keep them printable, one line and short before they reach a prompt or a page. */
export function cleanName(name: string): string {
  const printable = Array.from(name)
    .filter((ch) => {
      const c = ch.codePointAt(0) ?? 0;
      return c >= 0x20 && c !== 0x7f && !(c >= 0x80 && c < 0xa0) && !(c >= 0xd800 && c <= 0xdfff);
    })
    .join('');
  return clipText(printable, MAX_NAME);
}

const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : 0);

/**
 * The facts as they are sent to a model: bounded lists, rounded numbers, cleaned names, and only the fields
 * of {@link IncidentFacts} (anything else a caller's object carries is dropped).
 */
export function promptFacts(facts: IncidentFacts): IncidentFacts {
  return {
    metric: cleanName(facts.metric),
    unit: cleanName(facts.unit),
    from: facts.from,
    to: facts.to,
    recent: facts.recent.slice(-MAX_RECENT).map(round),
    baseline: { median: round(facts.baseline.median), p95: round(facts.baseline.p95) },
    score: round(facts.score),
    // The strongest first: the detector reports eight measures (two scales), and the one that fired may be last.
    components: [...facts.components]
      .sort((a, b) => b.value - a.value)
      .slice(0, MAX_LIST)
      .map((c) => ({ name: cleanName(c.name), value: round(c.value) })),
    contributors: [...facts.contributors]
      .sort((a, b) => b.share - a.share)
      .slice(0, MAX_LIST)
      .map((c) => ({
        kind: c.kind,
        name: cleanName(c.name),
        share: round(c.share),
        current: round(c.current),
        baseline: round(c.baseline),
      })),
    similar: [...facts.similar]
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, MAX_LIST)
      .map((s) => ({ id: cleanName(s.id), time: s.time, label: cleanName(s.label), similarity: round(s.similarity) })),
  };
}

function format(x: number, unit: string): string {
  const v = Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(1) : x.toPrecision(2);
  return unit === '%' ? `${v}%` : `${v} ${unit}`;
}

/** A deterministic explanation from the same facts, for when no model is configured or it fails. */
export function templateExplanation(input: IncidentFacts): Explanation {
  const facts = promptFacts(input);
  const latest = facts.recent.length > 0 ? (facts.recent[facts.recent.length - 1] as number) : facts.baseline.median;
  const peak = facts.recent.reduce(
    (m, x) => (Math.abs(x - facts.baseline.median) > Math.abs(m - facts.baseline.median) ? x : m),
    latest,
  );
  const direction = peak >= facts.baseline.median ? 'above' : 'below';
  const ratio = facts.baseline.median !== 0 ? peak / facts.baseline.median : Number.POSITIVE_INFINITY;
  const times =
    Number.isFinite(ratio) && ratio > 0
      ? ` (${ratio >= 1 ? ratio.toFixed(1) : (1 / ratio).toFixed(1)}× ${direction === 'above' ? 'higher' : 'lower'})`
      : '';
  const summary = `${facts.metric} reached ${format(peak, facts.unit)}, ${direction} its usual ${format(facts.baseline.median, facts.unit)}${times}.`;
  const top = facts.contributors[0];
  const strongest = [...facts.components].sort((a, b) => b.value - a.value)[0];
  let likelyCause: string;
  if (top && top.share >= 0.5) {
    likelyCause = `The change is concentrated in ${top.kind} ${top.name} (${Math.round(top.share * 100)}% of it).`;
  } else if (top) {
    likelyCause = `The change is spread over several ${top.kind}s; ${top.name} contributes most (${Math.round(top.share * 100)}%).`;
  } else {
    likelyCause = 'No single source or endpoint stands out; the change is across the traffic as a whole.';
  }
  const past = facts.similar.find((s) => s.similarity >= 0.8);
  if (past)
    likelyCause += ` It resembles incident ${past.id} (${new Date(past.time).toISOString().slice(0, 16)}Z, ${past.label}).`;
  const evidence = [
    `Baseline: median ${format(facts.baseline.median, facts.unit)}, p95 ${format(facts.baseline.p95, facts.unit)}; latest ${format(latest, facts.unit)}.`,
    ...(strongest
      ? [
          `Anomaly score ${facts.score.toFixed(2)}, mostly from the ${strongest.name} measure (${strongest.value.toFixed(2)}).`,
        ]
      : []),
    ...facts.contributors
      .slice(0, 3)
      .map(
        (c) =>
          `${c.kind} ${c.name}: ${format(c.current, facts.unit)} now vs ${format(c.baseline, facts.unit)} before (${Math.round(c.share * 100)}% of the change).`,
      ),
    ...facts.similar
      .slice(0, 2)
      .map((s) => `Similar past window ${s.id} (${s.label}), similarity ${s.similarity.toFixed(2)}.`),
  ].slice(0, MAX_EVIDENCE_ITEMS);
  return { summary, likelyCause, evidence, source: 'template' };
}

/**
 * Checks a model's answer: an object with string summary and likelyCause and a list of strings as evidence;
 * bounded in length. Returns null for anything else, so the caller falls back to the template.
 */
export function parseModelExplanation(text: string): Explanation | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  // The model's text is not ours: NUL and unpaired surrogates become U+FFFD, so the explanation always stores.
  const clip = (s: string) => clipText(toStorableText(s), MAX_EXPLANATION_FIELD);
  if (typeof v.summary !== 'string' || typeof v.likelyCause !== 'string' || !Array.isArray(v.evidence)) return null;
  if (v.summary.trim() === '' || !v.evidence.every((e) => typeof e === 'string')) return null;
  return {
    summary: clip(v.summary.trim()),
    likelyCause: clip(v.likelyCause.trim()),
    evidence: (v.evidence as string[]).slice(0, MAX_EVIDENCE_ITEMS).map(clip),
    source: 'model',
  };
}
