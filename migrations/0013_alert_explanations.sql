-- Custom (hand-edited from drizzle-kit's ALTER, which lacks the USING clause text → jsonb needs): no code wrote
-- the old text column, but any value there is kept as the summary of a template explanation.
ALTER TABLE "alerts" ALTER COLUMN "explanation" SET DATA TYPE jsonb USING (
  CASE WHEN "explanation" IS NULL THEN NULL
  ELSE jsonb_build_object('summary', "explanation", 'likelyCause', '', 'evidence', '[]'::jsonb, 'source', 'template') END
);
