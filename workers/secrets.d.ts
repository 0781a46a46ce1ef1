// Secrets are not in wrangler.toml, so `wrangler types` cannot see them. Declared here, validated at the
// entry by `parseConfig`. Set them with `wrangler secret put` (production) or `.dev.vars` (local).
declare namespace Cloudflare {
  interface Env {
    JWT_SECRET?: string;
    OPENAI_API_KEY?: string;
    // Optional var (the model for incident explanations), absent from wrangler.toml so the default applies.
    OPENAI_MODEL?: string;
    EMAIL_API_KEY?: string;
    EMAIL_API_URL?: string;
    EMAIL_FROM?: string;
    APP_URL?: string;
  }
}
